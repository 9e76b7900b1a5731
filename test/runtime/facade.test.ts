import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerConnectionRejected, LatentWorkerUnavailable } from '../../src/index.js';
import { harness } from '../support/harness.js';

// The LatentWorker facade's own duties: what it derives from the machine (status,
// canStartBuild, events), and what it decides before the machine sees a call.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('substantiate', () => {
  it('unavailable while quarantined, with the milliseconds left', async () => {
    const h = harness({ quarantine: { initial: 10_000 } }, { autoStop: true });
    const first = h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(first.error).toBeDefined();
    await h.advance(4_000);
    const error = await h.worker.substantiate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatentWorkerUnavailable);
    expect(error).toMatchObject({ reason: 'quarantined', retryAfter: 6_000 });
  });
});

describe('canStartBuild', () => {
  it('follows availability, room under maxBuilds and shutdown', async () => {
    const h = harness({ maxBuilds: 2 }, { autoStart: true });
    expect(h.worker.canStartBuild()).toBe(true);
    h.substantiate();
    await h.flush();
    h.worker.buildStarted();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.buildStarted();
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.buildFinished('success');
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.pause('maintenance');
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.unpause();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.buildFinished('exception'); // quarantines
    expect(h.worker.status.availability).toBe('quarantined');
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.unpause();
    void h.worker.shutdown(); // the stop is pending: shutting down, not yet shut down
    await h.flush();
    expect(h.worker.status.state).toBe('insubstantiating');
    expect(h.worker.canStartBuild()).toBe(false);
  });
});

describe('status and events', () => {
  it('report availability changes, the pause reason and the back-off', async () => {
    const h = harness({ quarantine: { initial: 1_000, factor: 3 } }, { autoStart: true });
    h.substantiate();
    await h.flush();
    expect(h.worker.status).not.toHaveProperty('pauseReason');
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    expect(h.worker.status).toMatchObject({
      availability: 'quarantined',
      consecutiveFailures: 1,
      nextQuarantine: 3_000
    });
    await h.advance(1_000);
    h.worker.pause('disk check');
    expect(h.worker.status.pauseReason).toBe('disk check');
    h.worker.unpause();
    expect(h.eventsOf('availability').map((e) => [e.from, e.to])).toEqual([
      ['available', 'quarantined'],
      ['quarantined', 'available'],
      ['available', 'paused'],
      ['paused', 'available']
    ]);
    expect(h.eventsOf('paused')).toEqual([
      { type: 'paused', worker: 'local', reason: 'disk check' }
    ]);
  });

  it('a rejected attach names the reason and the state, and is reported', async () => {
    const h = harness();
    const connection = { disconnect: vi.fn() };
    expect(() => h.worker.attached(connection)).toThrow(LatentWorkerConnectionRejected);
    expect(() => h.worker.attached({ disconnect: vi.fn() })).toThrow(
      /local\.attached: rejected, connection while not trying to substantiate \(state idle\)/
    );
    expect(connection.disconnect).toHaveBeenCalledTimes(1);
    expect(h.eventsOf('connectionRejected')[0]).toMatchObject({
      worker: 'local',
      reason: 'connection while not trying to substantiate'
    });
  });
});

describe('insubstantiate and shutdown', () => {
  it('insubstantiate resolves when the stop has finished, not before', async () => {
    const h = harness({}, { autoStart: true });
    h.substantiate();
    await h.flush();
    let stopped = false;
    void h.worker.insubstantiate().then(() => (stopped = true));
    await h.flush();
    expect(h.provider.stopPending).toBe(true);
    expect(stopped).toBe(false);
    h.provider.completeStop();
    await h.flush();
    expect(stopped).toBe(true);
  });

  it('shutdown is idempotent and completes events$', async () => {
    const h = harness({}, { autoStart: true, autoStop: true });
    let completed = false;
    h.worker.events$.subscribe({ complete: () => (completed = true) });
    h.substantiate();
    await h.flush();
    const first = h.worker.shutdown();
    expect(h.worker.shutdown()).toBe(first);
    await first;
    expect(completed).toBe(true);
    expect(await h.worker.substantiate()).toBe(false);
    await expect(h.worker.insubstantiate()).resolves.toBeUndefined();
  });
});
