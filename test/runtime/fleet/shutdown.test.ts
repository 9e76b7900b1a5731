import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fleetHarness } from './support.js';

// Buildbot test_latent.py: master shutdown (test_build_stop_with_retry_during_substantiation,
// BotMaster quick clean shutdown) as fleet.shutdown().
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('fleet.shutdown()', () => {
  it('test_build_stop_with_retry_during_substantiation (and test_build_retry_when_worker_substantiate_returns_false_due_to_cancel)', async () => {
    const h = fleetHarness(['local'], { provider: { autoStop: true } });
    const build = h.submit();
    await h.flush();
    let done = false;
    void h.fleet.shutdown().then(() => (done = true));
    await h.flush();
    // RETRY without quarantine: the build was stopped, the worker did nothing wrong.
    expect(build.outcome.value).toMatchObject({ result: 'retry', worker: 'local', attempts: 1 });
    expect(h.events.at(-1)).toMatchObject({ type: 'finished', reason: 'shutdown' });
    expect(done).toBe(false); // the start is still running
    h.providers.local!.completeStart(false);
    await h.flush();
    expect(done).toBe(true);
    h.providers.local!.assertPaired();
    expect(h.workers[0]!.status).toMatchObject({ state: 'shutDown', consecutiveFailures: 0 });
  });

  it('ends waiting requests retry, aborts running leases, shuts every worker down', async () => {
    const h = fleetHarness(['w1', 'w2'], { worker: { maxBuilds: 1 } });
    const running = h.submit({ workerNames: ['w1'] });
    const waiting = h.submit({ workerNames: ['w1'] });
    await h.flush();
    h.providers.w1!.completeStart(true);
    await h.flush();
    const down = h.fleet.shutdown();
    expect(running.leases[0]!.signal.aborted).toBe(true);
    await h.flush();
    expect(waiting.outcome.value).toEqual({ result: 'retry', attempts: 0 });
    expect(running.outcome.value).toMatchObject({ result: 'retry', worker: 'w1', attempts: 1 });
    h.providers.w1!.completeStop();
    await down;
    for (const worker of h.workers) expect(worker.status.state).toBe('shutDown');
    h.providers.w1!.assertPaired();
    expect(h.providers.w2!.starts).toHaveLength(0);
  });

  it('resolves once the workers are down, also when a build ignores its abort', async () => {
    const h = fleetHarness(['local'], { provider: { autoStart: true } });
    let finishBuild!: () => void;
    const handle = h.fleet.submit({
      run: () => new Promise<void>((resolve) => (finishBuild = resolve)) // ignores its signal
    });
    await h.flush();
    let done = false;
    void h.fleet.shutdown().then(() => (done = true));
    await h.flush();
    expect(done, 'the instance is still being stopped').toBe(false);
    h.providers.local!.completeStop();
    await h.flush();
    expect(done).toBe(true);
    expect((await handle.outcome).result).toBe('retry');
    finishBuild(); // the late return changes nothing
    await h.flush();
    expect((await handle.outcome).result).toBe('retry');
  });

  it('resolves within stopTimeout when a stop never returns, and passes fast on', async () => {
    const h = fleetHarness(['w1', 'w2'], { worker: { stopTimeout: 60_000 } });
    h.submit({ workerNames: ['w1'] });
    h.submit({ workerNames: ['w2'] });
    await h.flush();
    h.providers.w1!.completeStart(true);
    h.providers.w2!.completeStart(true);
    await h.flush();
    let done = false;
    void h.fleet.shutdown({ fast: true }).then(() => (done = true));
    await h.flush();
    h.providers.w2!.completeStop(); // w1's stop hangs
    await h.advance(59_999);
    expect(done).toBe(false);
    await h.advance(1);
    expect(done).toBe(true);
    expect(h.workers.map((w) => w.status.stopOverdue)).toEqual([true, false]);
    expect([h.providers.w1!.stops[0], h.providers.w2!.stops[0]]).toMatchObject([
      { fast: true, signal: { aborted: true } },
      { fast: true, signal: { aborted: false } }
    ]);
  });

  it('is idempotent, completes events$, and answers later submits with retry', async () => {
    const h = fleetHarness(['local']);
    let completed = false;
    h.fleet.events$.subscribe({ complete: () => (completed = true) });
    const first = h.fleet.shutdown();
    expect(h.fleet.shutdown()).toBe(first);
    await first;
    expect(completed).toBe(true);
    const late = h.fleet.submit({ run: async () => undefined });
    expect(await late.outcome).toEqual({ result: 'retry', attempts: 0 });
    expect(h.providers.local!.starts).toHaveLength(0);
  });
});
