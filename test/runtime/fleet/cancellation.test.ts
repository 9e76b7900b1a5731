import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fleetHarness } from './support.js';

// Buildbot test_latent.py / test_build.py: stopping a build before or while its worker starts.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('handle.cancel()', () => {
  it('test_build_stop_with_cancelled_during_substantiation', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    build.cancel();
    await h.flush();
    expect(build.outcome.value).toEqual({ result: 'cancelled', worker: 'local', attempts: 1 });
    // The start's signal is aborted; the refused start still gets its stop, with no quarantine.
    expect(h.providers.local!.lastStart?.signal.aborted).toBe(true);
    h.providers.local!.completeStart(false);
    await h.flush();
    h.providers.local!.assertPaired();
    expect(h.workers[0]!.status).toMatchObject({
      availability: 'available',
      consecutiveFailures: 0
    });
  });

  it('test_build_cancelled_when_worker_substantiate_returns_false_due_to_cancel', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    build.cancel();
    h.providers.local!.completeStart(false);
    await h.flush();
    expect(build.outcome.value?.result).toBe('cancelled');
    expect(h.events.filter((e) => e.type === 'queued')).toHaveLength(1); // never requeued
  });

  it('test_substantiation_is_cancelled_by_build_stop', async () => {
    const h = fleetHarness(['local'], { provider: { autoConnect: false, autoStop: true } });
    const build = h.submit();
    await h.flush();
    h.providers.local!.completeStart(true); // started, but the worker never connects
    await h.flush();
    expect(h.workers[0]!.status.state).toBe('substantiating');
    build.cancel();
    await h.flush();
    expect(h.providers.local!.state).toBe('stopped');
    expect(build.outcome.value?.result).toBe('cancelled');
  });

  it('leaves a substantiation another request still waits on', async () => {
    const h = fleetHarness(['local']);
    const [first, second] = [h.submit(), h.submit()];
    await h.flush();
    first.cancel();
    await h.flush();
    expect(first.outcome.value?.result).toBe('cancelled');
    expect(h.providers.local!.lastStart?.signal.aborted).toBe(false);
    h.providers.local!.completeStart(true);
    await h.flush();
    expect(second.leases).toHaveLength(1);
    second.finish();
    await h.flush();
    expect(second.outcome.value?.result).toBe('success');
  });

  it('a waiting request is cancelled without touching any worker', async () => {
    const h = fleetHarness(['local'], { worker: { maxBuilds: 1 } });
    h.submit();
    const waiting = h.submit();
    await h.flush();
    waiting.cancel();
    await h.flush();
    expect(waiting.outcome.value).toEqual({ result: 'cancelled', attempts: 0 });
    expect(h.providers.local!.starts).toHaveLength(1);
  });

  it('a running build is asked to stop through its lease and ends cancelled', async () => {
    const h = fleetHarness(['local']);
    const build = h.submit();
    await h.flush();
    h.providers.local!.completeStart(true);
    await h.flush();
    build.cancel();
    expect(build.leases[0]!.signal.aborted).toBe(true);
    await h.flush();
    expect(build.outcome.value?.result).toBe('cancelled');
    expect(h.workers[0]!.status.building).toBe(0);
    build.cancel(); // idempotent once finished
    expect(h.events.filter((e) => e.type === 'finished')).toHaveLength(1);
  });

  it('test_substantiation_cancelled_by_insubstantiation_when_waiting_for_insubstantiation', async () => {
    const h = fleetHarness(['local'], { worker: { buildWaitTimeout: 1000 } });
    const first = h.submit();
    await h.flush();
    const provider = h.providers.local!;
    provider.completeStart(true);
    await h.flush();
    first.finish('success');
    await h.advance(1000); // idle: the stop is pending
    expect(provider.stopPending).toBe(true);
    const second = h.submit(); // queued behind the stop
    await h.flush();
    expect(h.events.at(-1)).toMatchObject({ type: 'dispatched', via: 'restarting' });
    void h.workers[0]!.insubstantiate(); // cancels the queued substantiation
    provider.completeStop();
    await h.flush();
    // Build 2's attempt is RETRY; the request is dispatched again and starts a fresh instance.
    expect(
      h.events.some((e) => e.type === 'queued' && e.id === second.id && e.reason === 'retry')
    ).toBe(true);
    expect(provider.startPending).toBe(true);
    provider.completeStart(true);
    await h.flush();
    second.finish();
    await h.flush();
    expect(second.outcome.value).toMatchObject({ result: 'success', attempts: 2 });
  });
});
