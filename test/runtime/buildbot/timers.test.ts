import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerFailedToSubstantiate } from '../../../src/index.js';
import { harness } from '../../support/harness.js';

// Buildbot test_latent.py (class Latent) and test_base.py: the attach deadline and the health poll.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('missing timeout', () => {
  it('a stalled start times out and is stopped once it returns (test_stalled_substantiation_then_timeout_get_requeued)', async () => {
    const h = harness({ missingTimeout: 3_600_000 }, { autoStop: true });
    const build = h.substantiate();
    await h.advance(3_600_000 - 1);
    expect(build.status).toBe('pending');
    await h.advance(1);
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect((build.error as LatentWorkerFailedToSubstantiate).timedOut).toBe(true);
    expect(h.worker.status.availability).toBe('quarantined');
    // The start is told to give up, but no stop overlaps it.
    expect(h.provider.lastStart?.signal.aborted).toBe(true);
    expect(h.provider.stops).toHaveLength(0);
    h.provider.completeStart(false);
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status.state).toBe('idle');
  });

  it('is not armed when zero (test_startMissingTimer_no_timeout)', async () => {
    const h = harness({ missingTimeout: 0 }, { autoConnect: false });
    const build = h.substantiate();
    h.provider.completeStart(true);
    // Six hours of health checks later, still waiting: only the attach or a cancel ends it.
    await h.advance(6 * 3_600_000);
    expect(build.status).toBe('pending');
    expect(h.worker.status.state).toBe('substantiating');
  });

  it('is cancelled by the attach (test_missing_timer)', async () => {
    const h = harness({ missingTimeout: 1000 }, { autoConnect: false });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(500);
    h.provider.connect();
    await h.flush();
    expect(build.value).toBe(true);
    await h.advance(10_000);
    expect(h.eventsOf('substantiationFailed')).toEqual([]);
    expect(h.worker.status.state).toBe('substantiated');
  });

  it('fires after missingTimeout when nothing connects (test_missing_timer_missing)', async () => {
    const h = harness({ missingTimeout: 1000 }, { autoConnect: false, autoStop: true });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    expect(build.error).toMatchObject({ timedOut: true });
    expect(h.calls()).toEqual(['start', 'stop']);
  });

  it('is cancelled by shutdown (test_missing_timer_stopped)', async () => {
    const h = harness({ missingTimeout: 1000 }, { autoConnect: false, autoStop: true });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    await h.worker.shutdown();
    await h.advance(10_000);
    expect(h.eventsOf('substantiationFailed')).toEqual([]);
    expect(h.worker.status).toMatchObject({ state: 'shutDown', availability: 'available' });
  });
});

describe('health check', () => {
  it('a crash before connecting fails the substantiation (test_stalled_substantiation_then_check_instance_fails_get_requeued)', async () => {
    const h = harness({ checkInstanceInterval: 10_000 }, { autoConnect: false, autoStop: true });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(10_000);
    expect(h.provider.checks).toBe(1);
    expect(build.status).toBe('pending');
    h.provider.crashed = true;
    h.provider.crashMessage = 'logs: exited 1';
    await h.advance(10_000);
    expect(h.provider.checks).toBe(2);
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(build.error).toMatchObject({ reason: 'crashed' });
    expect((build.error as Error).message).toContain(
      'latent worker crashed before connecting: logs: exited 1'
    );
    expect(h.calls()).toEqual(['start', 'check', 'check', 'stop']);
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'quarantined' });
  });
});

describe('idle timer', () => {
  it('stops the instance buildWaitTimeout after the last build', async () => {
    const h = harness({ buildWaitTimeout: 5000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(60_000);
    expect(h.provider.stopPending).toBe(false);
    h.worker.buildFinished('success');
    await h.advance(4999);
    expect(h.provider.stopPending).toBe(false);
    await h.advance(1);
    expect(h.provider.stopPending).toBe(true);
    expect(h.worker.status.connected).toBe(false);
  });

  it('is cancelled by a build that starts, and re-armed from its full value', async () => {
    const h = harness({ buildWaitTimeout: 5000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    await h.advance(4000);
    h.worker.buildStarted();
    await h.advance(4000);
    h.worker.buildFinished('failure');
    await h.advance(4999);
    expect(h.provider.stopPending).toBe(false);
    await h.advance(1);
    expect(h.provider.stopPending).toBe(true);
  });

  it('zero stops after each build', async () => {
    const h = harness({ buildWaitTimeout: 0 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    await h.advance(60_000);
    expect(h.provider.stopPending).toBe(false);
    h.worker.buildFinished('success');
    await h.advance(0);
    expect(h.provider.stopPending).toBe(true);
  });

  it('negative never stops for idleness', async () => {
    const h = harness({ buildWaitTimeout: -1 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(365 * 24 * 3_600_000);
    expect(h.provider.state).toBe('started');
    expect(h.worker.status).toMatchObject({ state: 'substantiated', connected: true });
  });
});
