import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ControllableProvider,
  createLatentWorker,
  LatentWorkerUnavailable,
  type LatentWorkerOptions,
  type PersistedWorkerSnapshot
} from '../../src/index.js';
import { harness, track, type Props } from '../support/harness.js';

// worker.persist() and the `snapshot` option: what a restarted orchestrator gets back.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Restores `snapshot` on a fresh provider whose instance is in `instance`. */
function restore(
  snapshot: PersistedWorkerSnapshot,
  options: Partial<LatentWorkerOptions<Props>> = {},
  instance: ControllableProvider['state'] = 'stopped'
) {
  const provider = new ControllableProvider<Props>({ autoStop: true });
  provider.state = instance;
  // Through JSON, as a real restart would store it.
  const stored = JSON.parse(JSON.stringify(snapshot)) as PersistedWorkerSnapshot;
  const worker = createLatentWorker<Props>({
    name: 'local',
    provider,
    snapshot: stored,
    ...options
  });
  provider.bind(worker);
  return { provider, worker };
}

describe('restoring a persisted worker', () => {
  it('re-arms a quarantine, which then ends', async () => {
    const h = harness({ pauseAfterFailures: Infinity });
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    const { worker } = restore(h.worker.persist(), { pauseAfterFailures: Infinity });
    expect(worker.status.availability).toBe('quarantined');
    const refused = track(worker.substantiate());
    await vi.advanceTimersByTimeAsync(0);
    expect(refused.error).toBeInstanceOf(LatentWorkerUnavailable);
    expect((refused.error as LatentWorkerUnavailable).retryAfter).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(worker.status.availability).toBe('available');
    expect(worker.status.nextQuarantine).toBe(20_000);
  });

  it('re-arms the idle timer of a substantiated instance', async () => {
    const h = harness({ buildWaitTimeout: 5000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const { worker, provider } = restore(h.worker.persist(), { buildWaitTimeout: 5000 }, 'started');
    expect(worker.status).toMatchObject({ state: 'substantiated', connected: false });
    await vi.advanceTimersByTimeAsync(5000);
    expect(provider.stops).toHaveLength(1);
    expect(worker.status.state).toBe('idle');
  });

  it('re-arms the attach deadline of an instance waiting for its worker', async () => {
    const h = harness({ missingTimeout: 60_000 }, { autoConnect: false });
    h.substantiate();
    h.provider.completeStart(true);
    await h.advance(30_000);
    const { worker, provider } = restore(h.worker.persist(), { missingTimeout: 60_000 }, 'started');
    expect(worker.status.state).toBe('substantiating');
    await vi.advanceTimersByTimeAsync(59_999);
    expect(provider.stops).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(provider.stops).toHaveLength(1);
    expect(worker.status).toMatchObject({ state: 'idle', availability: 'quarantined' });
  });

  it('arms no restored deadline when missingTimeout is 0', async () => {
    const h = harness({ missingTimeout: 0 }, { autoConnect: false });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const { worker, provider } = restore(h.worker.persist(), { missingTimeout: 0 }, 'started');
    await vi.advanceTimersByTimeAsync(3_600_000); // its health check polls all the while
    expect(provider.stops).toHaveLength(0);
    expect(worker.status).toMatchObject({ state: 'substantiating', availability: 'available' });
  });

  it('re-issues a start that was in flight, bounded by a fresh attach deadline', async () => {
    const h = harness({ missingTimeout: 60_000 });
    h.substantiate();
    const { worker, provider } = restore(h.worker.persist(), { missingTimeout: 60_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(provider.startPending).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(provider.lastStart?.signal.aborted).toBe(true);
    provider.completeStart(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(provider.stops).toHaveLength(1);
    expect(worker.status.state).toBe('idle');
  });

  it('drops the restored deadline once the instance connects', async () => {
    const h = harness({ missingTimeout: 60_000 }, { autoConnect: false });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const options = { missingTimeout: 60_000 };
    const { worker, provider } = restore(h.worker.persist(), options, 'started');
    provider.connect();
    await worker.insubstantiate();
    await vi.advanceTimersByTimeAsync(30_000);
    const next = track(worker.substantiate());
    // The restored deadline would have fired here, under the next substantiation.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(next.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(next.error).toMatchObject({ timedOut: true });
  });

  it('takes its settings from the new options, not from the snapshot', async () => {
    const h = harness({
      pauseAfterFailures: Infinity,
      maxBuilds: Infinity,
      buildWaitTimeout: 5000
    });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const { worker, provider } = restore(
      h.worker.persist(),
      { pauseAfterFailures: Infinity, buildWaitTimeout: 1000 },
      'started'
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(provider.stops).toHaveLength(1);
    // Infinity survives (JSON would have turned it into null, pausing at the first failure).
    const failed = track(worker.substantiate());
    provider.completeStart(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(failed.status).toBe('rejected');
    expect(worker.status.availability).toBe('quarantined');
  });

  it('keeps a pause and its reason', () => {
    const h = harness();
    h.worker.pause('maintenance');
    const { worker } = restore(h.worker.persist());
    expect(worker.status).toMatchObject({ availability: 'paused', pauseReason: 'maintenance' });
  });
});
