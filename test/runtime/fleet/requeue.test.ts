import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate,
  LatentWorkerSubstantiationCancelled,
  type FleetEvent
} from '../../../src/index.js';
import { fleetHarness, type FleetHarness } from './support.js';

// Buildbot test_latent.py (class Latent) and test_build.py: what a request becomes when its
// worker cannot be substantiated.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const retries = (h: FleetHarness) =>
  h.events.filter(
    (e): e is Extract<FleetEvent, { type: 'queued' }> => e.type === 'queued' && e.reason === 'retry'
  );

describe('substantiation failures', () => {
  it('test_refused_substantiations_get_requeued', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    h.providers.local!.completeStart(false);
    await h.flush();
    // RETRY: back in the queue, the refused start still paired with a stop, worker quarantined.
    expect(retries(h)).toHaveLength(1);
    expect(retries(h)[0]!.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(build.outcome.status).toBe('pending');
    expect(h.providers.local!.stops).toHaveLength(1);
    expect(h.workers[0]!.status.availability).toBe('quarantined');
  });

  it('test_failed_substantiations_get_requeued', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    const boom = new Error('no capacity');
    h.providers.local!.completeStart(boom);
    await h.flush();
    expect(retries(h)).toHaveLength(1);
    expect(retries(h)[0]!.error?.cause).toBe(boom);
    expect(build.outcome.status).toBe('pending');
    expect(h.providers.local!.state).toBe('stopped');
  });

  it('test_failed_substantiations_get_exception', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    const bad = new LatentWorkerCannotSubstantiate('no such image');
    h.providers.local!.completeStart(bad);
    await h.flush();
    // EXCEPTION, not retried, and the worker is not blamed for a bad request.
    expect(build.outcome.value).toEqual({
      result: 'exception',
      worker: 'local',
      attempts: 1,
      error: bad
    });
    expect(retries(h)).toHaveLength(0);
    expect(h.workers[0]!.status.availability).toBe('available');
    expect(h.events.at(-1)).toMatchObject({ type: 'finished', reason: 'cannotSubstantiate' });
  });

  it('test_worker_accepts_builds_after_failure', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    const provider = h.providers.local!;
    provider.completeStart(new Error('boom'));
    await h.flush();
    expect(provider.startPending).toBe(false);
    await h.advance(10_000); // the first quarantine ends: the same request is dispatched again
    expect(provider.startPending).toBe(true);
    expect(provider.starts).toHaveLength(2);
    provider.completeStart(new Error('boom'));
    await h.flush();
    await h.advance(10_000);
    expect(provider.startPending).toBe(false); // the second quarantine lasts 20 s
    await h.advance(10_000);
    expect(provider.startPending).toBe(true);
    provider.completeStart(true);
    await h.flush();
    build.finish('success');
    await h.flush();
    expect(build.outcome.value).toMatchObject({ result: 'success', attempts: 3 });
  });

  it('a failed substantiation is retried at once on another worker', async () => {
    const h = fleetHarness(['w1', 'w2'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    h.providers.w1!.completeStart(false);
    await h.flush();
    expect(h.providers.w2!.startPending).toBe(true);
    h.providers.w2!.completeStart(true);
    await h.flush();
    build.finish();
    await h.flush();
    expect(build.outcome.value).toEqual({ result: 'success', worker: 'w2', attempts: 2 });
  });

  it('maxAttempts ends the request as exception with the last error', async () => {
    const h = fleetHarness(['w1', 'w2'], {
      provider: { autoStop: true },
      fleet: { maxAttempts: 2 }
    });
    const build = h.submit();
    await h.flush();
    h.providers.w1!.completeStart(false);
    await h.flush();
    const last = new Error('still no capacity');
    h.providers.w2!.completeStart(last);
    await h.flush();
    expect(build.outcome.value).toMatchObject({ result: 'exception', worker: 'w2', attempts: 2 });
    expect(build.outcome.value?.error?.cause).toBe(last);
    expect(h.events.at(-1)).toMatchObject({ type: 'finished', reason: 'maxAttempts' });
  });

  it('test_stalled_substantiation_then_timeout_get_requeued', async () => {
    const h = fleetHarness(['local'], {
      worker: { missingTimeout: 3_600_000 },
      provider: { autoStop: true }
    });
    const build = h.submit();
    await h.flush();
    const provider = h.providers.local!;
    await h.advance(3_600_000);
    expect(retries(h)).toHaveLength(1);
    expect((retries(h)[0]!.error as LatentWorkerFailedToSubstantiate).timedOut).toBe(true);
    // The stop waits for the stalled start; its signal was aborted.
    expect(provider.lastStart?.signal.aborted).toBe(true);
    expect(provider.stops).toHaveLength(0);
    provider.completeStart(false);
    await h.flush();
    expect(provider.stops).toHaveLength(1);
    expect(build.outcome.status).toBe('pending');
  });

  it('test_insubstantiation_during_substantiation_refuses_substantiation', async () => {
    const h = fleetHarness(['local'], { worker: { buildWaitTimeout: 1000 } });
    const build = h.submit();
    await h.flush();
    const provider = h.providers.local!;
    let stopped = false;
    void h.workers[0]!.insubstantiate().then(() => (stopped = true));
    provider.completeStart(false);
    await h.flush();
    expect(stopped).toBe(false);
    provider.completeStop();
    await h.flush();
    expect(stopped).toBe(true);
    // RETRY: the cancellation was not the build's own, so the request goes back to the queue,
    // and (no quarantine for a cancellation) is dispatched again at once.
    expect(retries(h)[0]!.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
    expect(provider.startPending).toBe(true);
    expect(build.outcome.status).toBe('pending');
  });

  it('test_build_retry_when_worker_substantiate_returns_false: a worker shut down under the request', async () => {
    const h = fleetHarness(['w1', 'w2'], { provider: { autoStop: true } });
    const build = h.submit({ workerNames: ['w1', 'w2'] });
    await h.flush();
    const down = h.workers[0]!.shutdown();
    h.providers.w1!.completeStart(true);
    await down;
    await h.flush();
    expect(retries(h)).toHaveLength(1);
    h.providers.w2!.completeStart(true);
    await h.flush();
    build.finish();
    await h.flush();
    expect(build.outcome.value).toEqual({ result: 'success', worker: 'w2', attempts: 2 });
  });

  it('a worker whose stop is past its deadline takes no requests until the stop returns', async () => {
    const h = fleetHarness(['w1'], { worker: { stopTimeout: 1_000, maxBuilds: 1 } });
    const first = h.submit();
    await h.flush();
    h.providers.w1!.completeStart(true);
    await h.flush();
    first.finish();
    void h.workers[0]!.insubstantiate(); // the stop hangs
    await h.advance(1_000);
    expect(h.workers[0]!.status.stopOverdue).toBe(true);
    const second = h.submit();
    await h.flush();
    expect(h.events.filter((e) => e.type === 'dispatched' && e.id === second.id)).toEqual([]);
    h.providers.w1!.completeStop(); // it returns after all: the worker is free again
    await h.flush();
    expect(h.events.filter((e) => e.type === 'dispatched' && e.id === second.id)).toHaveLength(1);
    expect(h.providers.w1!.starts).toHaveLength(2);
  });

  it('a retried request goes back before younger requests', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true }, worker: { maxBuilds: 1 } });
    const first = h.submit();
    const second = h.submit();
    await h.flush();
    h.providers.local!.completeStart(false);
    await h.advance(10_000);
    h.providers.local!.completeStart(true);
    await h.flush();
    expect(first.leases).toHaveLength(1);
    expect(second.leases).toHaveLength(0);
  });
});
