import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerSubstantiationCancelled } from '../../../src/index.js';
import { harness, track } from '../../support/harness.js';
import { holdChecks } from './checks.js';

// lifecycle.md "Events and transitions": insubstantiate(), withdrawing waiters, shutdown().
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('insubstantiate', () => {
  it('in idle resolves at once without a provider call', async () => {
    const h = harness();
    await h.worker.insubstantiate();
    expect(h.calls()).toEqual([]);
  });

  it('in shutDown resolves at once', async () => {
    const h = harness();
    await h.worker.shutdown();
    await h.worker.insubstantiate();
    expect(h.calls()).toEqual([]);
  });

  it('while connecting cancels the waiters and stops at once', async () => {
    const h = harness({}, { autoConnect: false });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const down = track(h.worker.insubstantiate({ fast: true }));
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(h.provider.stopPending).toBe(true);
    expect(h.provider.stops[0]).toMatchObject({ workerName: 'local', fast: true });
    h.provider.completeStop();
    await h.flush();
    expect(down.status).toBe('fulfilled');
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'available' });
  });

  it('during a check cancels at once and stops after the check ends', async () => {
    const h = harness({ checkInstanceInterval: 1000 }, { autoConnect: false, autoStop: true });
    const checks = holdChecks(h);
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    const down = track(h.worker.insubstantiate());
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(checks.signal.aborted).toBe(true);
    expect(h.provider.stops).toHaveLength(0);
    checks.resolve({ isGood: true });
    await h.flush();
    expect(h.calls()).toEqual(['start', 'check', 'stop']);
    expect(down.status).toBe('fulfilled');
  });

  it('a stop is called without fast unless asked', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    await h.worker.insubstantiate();
    expect(h.provider.stops).toMatchObject([{ workerName: 'local', fast: false }]);
  });
});

describe('withdraw (substantiate with a signal)', () => {
  it('cancels the substantiation only when the last waiter leaves', async () => {
    const h = harness({}, { autoStop: true });
    const [a, b] = [new AbortController(), new AbortController()];
    const first = h.substantiate(undefined, { signal: a.signal });
    const second = h.substantiate(undefined, { signal: b.signal });
    a.abort();
    await h.flush();
    expect(first.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(h.provider.lastStart?.signal.aborted).toBe(false);
    b.abort();
    await h.flush();
    expect(second.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(h.provider.lastStart?.signal.aborted).toBe(true);
    h.provider.completeStart(true);
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'available' });
  });

  it('an already aborted signal leaves at once, without touching the provider', async () => {
    const h = harness({}, { autoStop: true });
    const build = h.substantiate(undefined, { signal: AbortSignal.abort() });
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(h.calls()).toEqual([]);
    expect(h.worker.status.state).toBe('idle');
  });

  it('leaving a request queued behind a stop drops it when it was the last', async () => {
    const h = harness();
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    void h.worker.insubstantiate();
    const leaving = new AbortController();
    const queued = h.substantiate(undefined, { signal: leaving.signal });
    leaving.abort();
    await h.flush();
    expect(queued.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.status.state).toBe('idle');
    expect(h.provider.starts).toHaveLength(1);
  });

  it('a signal aborted after the substantiation succeeded changes nothing', async () => {
    const h = harness();
    const leaving = new AbortController();
    const build = h.substantiate(undefined, { signal: leaving.signal });
    h.provider.completeStart(true);
    await h.flush();
    leaving.abort();
    await h.flush();
    expect(build.value).toBe(true);
    expect(h.worker.status.state).toBe('substantiated');
  });
});

describe('shutdown', () => {
  it('cancels a request queued behind a stop, as insubstantiate does', async () => {
    const h = harness();
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    void h.worker.insubstantiate();
    const queued = h.substantiate();
    const down = track(h.worker.shutdown());
    await h.flush();
    expect(queued.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    h.provider.completeStop();
    await h.flush();
    expect(down.status).toBe('fulfilled');
    expect(h.provider.starts).toHaveLength(1);
  });

  it('waits for a running check, then stops', async () => {
    const h = harness({ checkInstanceInterval: 1000 }, { autoConnect: false, autoStop: true });
    const checks = holdChecks(h);
    h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    const down = track(h.worker.shutdown());
    await h.flush();
    expect(down.status).toBe('pending');
    checks.resolve({ isGood: true });
    await h.flush();
    expect(down.status).toBe('fulfilled');
    expect(h.calls()).toEqual(['start', 'check', 'stop']);
  });

  it('makes no provider call afterwards, even when time passes', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoStop: true });
    h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(h.worker.status.availability).toBe('quarantined');
    await h.worker.shutdown();
    await h.advance(3_600_000);
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
