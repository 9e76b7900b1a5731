import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate,
  LatentWorkerUnavailable
} from '../../../src/index.js';
import { harness } from '../../support/harness.js';

// Buildbot test_latent.py, class Latent: failures of the start and of the stop.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('start failures', () => {
  it('refused substantiations get requeued (test_refused_substantiations_get_requeued)', async () => {
    const h = harness({}, { autoStop: true });
    const build = h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(build.status).toBe('rejected');
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect((build.error as LatentWorkerFailedToSubstantiate).timedOut).toBe(false);
    // The refused start is still paired with a stop, and the worker is back to idle.
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.provider.state).toBe('stopped');
    expect(h.worker.status.state).toBe('idle');
    // The request may go elsewhere: this worker is quarantined.
    expect(h.worker.status.availability).toBe('quarantined');
  });

  it('failed substantiations get requeued (test_failed_substantiations_get_requeued)', async () => {
    const h = harness({}, { autoStop: true });
    const build = h.substantiate();
    const boom = new Error('no capacity');
    h.provider.completeStart(boom);
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect((build.error as Error).cause).toBe(boom);
    expect((build.error as Error).message).toContain('no capacity');
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.provider.state).toBe('stopped');
    expect(h.worker.status.availability).toBe('quarantined');
  });

  it('failed substantiations get exception (test_failed_substantiations_get_exception)', async () => {
    const h = harness({}, { autoStop: true });
    const build = h.substantiate();
    const bad = new LatentWorkerCannotSubstantiate('no such image');
    h.provider.completeStart(bad);
    await h.flush();
    // Passed through unchanged: the orchestrator ends the build 'exception', not retried.
    expect(build.error).toBe(bad);
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status).toMatchObject({ availability: 'available', consecutiveFailures: 0 });
  });

  it('worker accepts builds after failure (test_worker_accepts_builds_after_failure)', async () => {
    const h = harness({}, { autoStop: true });
    const first = h.substantiate();
    h.provider.completeStart(new Error('boom'));
    await h.flush();
    expect(first.status).toBe('rejected');
    // No new start right away: the 10 s quarantine refuses without touching the provider.
    const early = h.substantiate();
    await h.flush();
    expect(early.error).toBeInstanceOf(LatentWorkerUnavailable);
    expect(early.error).toMatchObject({ reason: 'quarantined', retryAfter: 10_000 });
    expect(h.provider.starts).toHaveLength(1);

    await h.advance(10_000);
    const second = h.substantiate();
    expect(h.provider.startPending).toBe(true);
    h.provider.completeStart(new Error('boom again'));
    await h.flush();
    expect(second.status).toBe('rejected');
    // The second quarantine lasts 20 s.
    await h.advance(10_000);
    expect(h.worker.canStartBuild()).toBe(false);
    expect(h.substantiate().status).toBe('pending');
    await h.flush();
    expect(h.provider.starts).toHaveLength(2);
    await h.advance(10_000);
    expect(h.worker.canStartBuild()).toBe(true);
    h.substantiate();
    expect(h.provider.startPending).toBe(true);
  });
});

describe('stop failures', () => {
  it('a stop that throws synchronously still ends the instance (test_stop_instance_synchronous_exception)', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoStop: true });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build.value).toBe(true);
    const boom = new Error('stop exploded');
    vi.spyOn(h.provider, 'stopInstance').mockImplementationOnce(() => {
      // The test resets the fake itself, as Buildbot's does.
      h.provider.state = 'stopped';
      throw boom;
    });
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.worker.status.state).toBe('idle');
    expect(h.eventsOf('provider')).toContainEqual(
      expect.objectContaining({ call: 'stop', phase: 'end', ok: false, error: boom })
    );
    // Errors of the stop are never reported to builds and never quarantine.
    expect(h.worker.status.availability).toBe('available');

    const next = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(next.value).toBe(true);
    expect(h.provider.starts).toHaveLength(2);
  });
});
