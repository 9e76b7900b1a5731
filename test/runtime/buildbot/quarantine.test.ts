import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLatentWorker, LatentWorkerUnavailable } from '../../../src/index.js';
import { harness, type Harness } from '../../support/harness.js';

// Buildbot test_base.py (AbstractWorker): quarantine back-off and pausing.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Quarantines the worker the way a build that ends 'exception' does. */
function failBuild(h: Harness) {
  h.worker.buildStarted();
  h.worker.buildFinished('exception');
}

/** Buildbot's quarantine has no failure-count pausing: switch ours off to compare. */
const onlyQuarantine = () => harness({ pauseAfterFailures: Infinity });

describe('quarantine', () => {
  it('lasts 10, 20, 40 ... 3600, 3600 s (test_worker_quarantine_wait_times)', async () => {
    const h = onlyQuarantine();
    const seconds = [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600];
    for (const duration of seconds) {
      failBuild(h);
      expect(h.worker.canStartBuild()).toBe(false);
      await h.advance(duration * 1000 - 1);
      expect(h.worker.canStartBuild()).toBe(false);
      await h.advance(1);
      expect(h.worker.canStartBuild()).toBe(true);
    }
    expect(h.eventsOf('quarantined').map((e) => e.duration / 1000)).toEqual(seconds);
  });

  it('is reset by a good build (test_worker_quarantine_reset)', async () => {
    const h = onlyQuarantine();
    for (const duration of [10, 20, 40, 80]) {
      failBuild(h);
      await h.advance(duration * 1000);
    }
    expect(h.worker.status.nextQuarantine).toBe(160_000);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    expect(h.worker.status.nextQuarantine).toBe(10_000);
    failBuild(h);
    await h.advance(9999);
    expect(h.worker.canStartBuild()).toBe(false);
    await h.advance(1);
    expect(h.worker.canStartBuild()).toBe(true);
  });

  it('is not extended whilst quarantined (test_worker_quarantine_whilst_quarantined)', async () => {
    const h = onlyQuarantine();
    failBuild(h);
    await h.advance(5000);
    failBuild(h);
    expect(h.eventsOf('quarantined')).toHaveLength(1);
    await h.advance(4999);
    expect(h.worker.canStartBuild()).toBe(false);
    await h.advance(1);
    expect(h.worker.canStartBuild()).toBe(true);
    await h.advance(5000);
    expect(h.worker.status).toMatchObject({ availability: 'available', nextQuarantine: 20_000 });
  });

  it('ends at once on pause + unpause, also when quarantined while paused (test_worker_quarantine_unpausing_exits_quarantine)', async () => {
    const h = onlyQuarantine();
    failBuild(h);
    h.worker.pause();
    h.worker.unpause();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.pause();
    failBuild(h);
    h.worker.unpause();
    expect(h.worker.status.availability).toBe('available');
    expect(h.worker.canStartBuild()).toBe(true);
  });

  it('unpause does not reset the back-off (test_worker_quarantine_unpausing_doesnt_reset_timeout)', async () => {
    const h = onlyQuarantine();
    for (const duration of [10, 20, 40, 80]) {
      failBuild(h);
      await h.advance(duration * 1000);
    }
    failBuild(h);
    h.worker.pause();
    h.worker.unpause();
    expect(h.worker.canStartBuild()).toBe(true);
    failBuild(h);
    await h.advance(319_000);
    expect(h.worker.canStartBuild()).toBe(false);
    await h.advance(1000);
    expect(h.worker.canStartBuild()).toBe(true);
  });

  it('does not affect a pause (test_worker_quarantine_doesnt_affect_pause)', async () => {
    const h = onlyQuarantine();
    failBuild(h);
    expect(h.worker.status).toMatchObject({ availability: 'quarantined' });
    expect(h.worker.status.pauseReason).toBeUndefined();
    h.worker.pause('maintenance');
    await h.advance(10_000);
    expect(h.worker.status).toMatchObject({ availability: 'paused', pauseReason: 'maintenance' });
    expect(h.worker.canStartBuild()).toBe(false);
  });

  it('unpause outside a quarantine is harmless (test_worker_quarantine_stop_timer)', async () => {
    const h = onlyQuarantine();
    h.worker.unpause();
    expect(h.worker.status).toMatchObject({ availability: 'available', nextQuarantine: 10_000 });
    failBuild(h);
    h.worker.unpause();
    expect(h.worker.status.availability).toBe('available');
    expect(h.eventsOf('unpaused')).toHaveLength(1);
  });

  it('refuses substantiations without touching the provider', async () => {
    const h = onlyQuarantine();
    failBuild(h);
    await h.advance(4000);
    const refused = h.substantiate();
    await h.flush();
    expect(refused.error).toBeInstanceOf(LatentWorkerUnavailable);
    expect(refused.error).toMatchObject({ reason: 'quarantined', retryAfter: 6000 });
    expect(h.calls()).toEqual([]);
  });
});

describe('pause', () => {
  it('pause and unpause toggle canStartBuild (test_worker_actions_pause)', () => {
    const h = harness();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.pause();
    expect(h.worker.canStartBuild()).toBe(false);
    expect(h.worker.status.availability).toBe('paused');
    h.worker.unpause();
    expect(h.worker.canStartBuild()).toBe(true);
  });

  it('a paused worker refuses substantiations', async () => {
    const h = harness();
    h.worker.pause('disk full');
    const refused = h.substantiate();
    await h.flush();
    expect(refused.error).toMatchObject({ reason: 'paused' });
    expect((refused.error as LatentWorkerUnavailable).retryAfter).toBeUndefined();
    expect(h.calls()).toEqual([]);
  });

  it('is restored from a persisted snapshot (test_startService_paused_true)', () => {
    const h = harness();
    h.worker.pause('maintenance');
    const restored = createLatentWorker({
      name: 'local',
      provider: h.provider,
      snapshot: h.worker.persist()
    });
    expect(restored.status).toMatchObject({ availability: 'paused', pauseReason: 'maintenance' });
    expect(restored.canStartBuild()).toBe(false);
  });
});
