import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerFailedToSubstantiate } from '../../../src/index.js';
import { harness, slowConnection } from '../../support/harness.js';
import { holdChecks } from './checks.js';

// lifecycle.md "Events and transitions": substantiate(props) in every state.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('substantiate while the substantiation is being cancelled', () => {
  it('queues a fresh start after the stop when an insubstantiate arrived during the start', async () => {
    const h = harness({}, { autoStop: true });
    const cancelled = h.substantiate({ n: 1 });
    void h.worker.insubstantiate();
    const fresh = h.substantiate({ n: 2 });
    await h.flush();
    expect(cancelled.status).toBe('rejected');
    expect(fresh.status).toBe('pending');
    h.provider.completeStart(true);
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
    expect(h.provider.lastStart?.props).toEqual({ n: 2 });
    expect(h.provider.lastStart?.signal.aborted).toBe(false);
    h.provider.completeStart(true);
    await h.flush();
    expect(fresh.value).toBe(true);
  });

  it('queues a fresh start after the stop when the missing timeout fired during the start', async () => {
    const h = harness({ missingTimeout: 1000 }, { autoStop: true });
    const timedOut = h.substantiate();
    await h.advance(1000);
    expect(timedOut.error).toMatchObject({ timedOut: true });
    // Quarantined by the time-out: lift it to see the queueing itself.
    h.worker.unpause();
    const fresh = h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
    h.provider.completeStart(true);
    await h.flush();
    expect(fresh.value).toBe(true);
  });

  it('queues a fresh start after the stop when an insubstantiate arrived during a check', async () => {
    const h = harness({ checkInstanceInterval: 1000 }, { autoConnect: false, autoStop: true });
    const checks = holdChecks(h);
    h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    expect(h.calls()).toEqual(['start', 'check']);
    void h.worker.insubstantiate();
    const fresh = h.substantiate();
    await h.flush();
    expect(h.provider.stopPending).toBe(false);
    checks.resolve({ isGood: true });
    await h.flush();
    expect(h.calls()).toEqual(['start', 'check', 'stop', 'start']);
    h.provider.completeStart(true);
    h.provider.connect();
    await h.flush();
    expect(fresh.value).toBe(true);
  });
});

describe('substantiate during a stop', () => {
  it('joins a request already queued: one start serves both', async () => {
    const h = harness();
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    void h.worker.insubstantiate();
    const first = h.substantiate({ n: 1 });
    const second = h.substantiate({ n: 2 });
    h.provider.completeStop();
    await h.flush();
    h.provider.completeStart(true);
    await h.flush();
    expect([first.value, second.value]).toEqual([true, true]);
    expect(h.provider.starts.map((s) => s.props)).toEqual([undefined, { n: 1 }]);
  });
});

describe('substantiate when substantiated', () => {
  it('answers true at once when connected, without a provider call', async () => {
    const h = harness();
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(await h.worker.substantiate()).toBe(true);
    expect(h.calls()).toEqual(['start']);
  });

  it('restarts the instance when disconnected: stop, then start for this request', async () => {
    const h = harness();
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.provider.disconnect();
    const build = h.substantiate({ n: 2 });
    await h.flush();
    expect(h.worker.status.state).toBe('insubstantiating');
    h.provider.completeStop();
    await h.flush();
    expect(h.provider.lastStart?.props).toEqual({ n: 2 });
    h.provider.completeStart(true);
    await h.flush();
    expect(build.value).toBe(true);
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
  });
});

describe('start results', () => {
  it.each([
    ['undefined', undefined],
    ['true', true],
    ['a list of status strings', ['i-123', 'ami-456']]
  ] as const)('%s means started', async (_name, result) => {
    const h = harness({}, { autoConnect: false });
    const build = h.substantiate();
    h.provider.completeStart(result);
    await h.flush();
    expect(h.worker.status.state).toBe('substantiating');
    h.worker.attached(slowConnection());
    await h.flush();
    expect(build.value).toBe(true);
    expect(h.eventsOf('provider')).toContainEqual(
      expect.objectContaining({ call: 'start', phase: 'end', ok: true })
    );
  });

  it('a refusal is reported as a failed start', async () => {
    const h = harness();
    h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(h.eventsOf('provider')).toContainEqual(
      expect.objectContaining({ call: 'start', phase: 'end', ok: false })
    );
    expect(h.eventsOf('substantiationFailed')[0]?.error).toBeInstanceOf(
      LatentWorkerFailedToSubstantiate
    );
  });
});
