import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerSubstantiationCancelled } from '../../../src/index.js';
import { harness, track } from '../../support/harness.js';

// Buildbot test_latent.py, class Latent: substantiations called off by insubstantiate or a build stop.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('insubstantiate during substantiation', () => {
  it('cancels the waiters and stops after the start returns (test_insubstantiation_during_substantiation_refuses_substantiation)', async () => {
    const h = harness({ buildWaitTimeout: 1000 });
    const build = h.substantiate();
    const down = track(h.worker.insubstantiate());
    await h.flush();
    // Improvement: the waiters hear at once, and the start is asked to give up.
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(h.provider.lastStart?.signal.aborted).toBe(true);
    h.provider.completeStart(false);
    await h.flush();
    expect(down.status).toBe('pending');
    expect(h.provider.stopPending).toBe(true);
    h.provider.completeStop();
    await h.flush();
    expect(down.status).toBe('fulfilled');
    // A cancelled substantiation is not the worker's fault.
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'available' });
    h.provider.assertPaired();
  });

  it('cancels a request queued behind a stop at once (test_substantiation_cancelled_by_insubstantiation_when_waiting_for_insubstantiation)', async () => {
    const h = harness({ buildWaitTimeout: 1000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(true);
    const build2 = h.substantiate();
    await h.flush();
    expect(h.worker.status.state).toBe('insubstantiating');
    const down = track(h.worker.insubstantiate());
    await h.flush();
    expect(build2.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    h.provider.completeStop();
    await h.flush();
    expect(down.status).toBe('fulfilled');
    expect(h.worker.status.state).toBe('idle');
    expect(h.provider.starts).toHaveLength(1);
  });
});

describe('build stop during substantiation (the build withdraws its substantiate)', () => {
  it('stops an instance that never connects (test_substantiation_is_cancelled_by_build_stop)', async () => {
    const h = harness({}, { autoConnect: false, autoStop: true });
    const stopBuild = new AbortController();
    const build = h.substantiate(undefined, { signal: stopBuild.signal });
    h.provider.completeStart(true);
    await h.flush();
    expect(h.worker.status.state).toBe('substantiating');
    stopBuild.abort();
    await h.advance(1000);
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(h.provider.state).toBe('stopped');
    expect(h.worker.status.state).toBe('idle');
  });

  it('a build stopped as cancelled does not quarantine (test_build_stop_with_cancelled_during_substantiation)', async () => {
    const h = harness({}, { autoStop: true });
    const stopBuild = new AbortController();
    const build = h.substantiate(undefined, { signal: stopBuild.signal });
    stopBuild.abort();
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    h.provider.completeStart(false);
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status).toMatchObject({ availability: 'available', consecutiveFailures: 0 });
  });

  it('a build stopped for retry frees the worker at once (test_build_stop_with_retry_during_substantiation)', async () => {
    const h = harness({}, { autoStop: true });
    const stopBuild = new AbortController();
    const build = h.substantiate(undefined, { signal: stopBuild.signal });
    stopBuild.abort();
    h.provider.completeStart(false);
    await h.advance(1000);
    expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    // No quarantine, so the retried request can start the worker again right away.
    const retried = h.substantiate();
    expect(h.provider.startPending).toBe(true);
    h.provider.completeStart(false);
    await h.flush();
    expect(retried.status).toBe('rejected');
    expect(h.provider.starts).toHaveLength(2);
  });
});
