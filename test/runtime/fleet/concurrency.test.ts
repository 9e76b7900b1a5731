import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fleetHarness } from './support.js';

// Buildbot test_latent.py / test_misc.py: requests that overlap, and where they go.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('dispatch', () => {
  it('test_latent_workers_start_in_parallel', async () => {
    const h = fleetHarness(['local1', 'local2']);
    const builds = [h.submit(), h.submit()];
    await h.flush();
    // No serialisation across workers: both starts are pending at the same time.
    expect(h.providers.local1!.startPending).toBe(true);
    expect(h.providers.local2!.startPending).toBe(true);
    h.providers.local1!.completeStart(true);
    h.providers.local2!.completeStart(true);
    await h.flush();
    for (const build of builds) build.finish('success');
    await h.flush();
    expect(builds.map((b) => b.outcome.value?.worker).sort()).toEqual(['local1', 'local2']);
    const down = h.fleet.shutdown();
    await h.flush();
    h.providers.local1!.completeStop();
    h.providers.local2!.completeStop();
    await down;
    h.providers.local1!.assertPaired();
    h.providers.local2!.assertPaired();
  });

  it('test_worker_multiple_substantiations_succeed', async () => {
    const h = fleetHarness(['local']);
    const builds = [h.submit(), h.submit()];
    await h.flush();
    h.providers.local!.completeStart(true);
    await h.flush();
    // One start serves both: the second request joined the first one's substantiation.
    expect(h.providers.local!.starts).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'dispatched').map((e) => e.via)).toEqual([
      'idle',
      'substantiating'
    ]);
    expect(h.workers[0]!.status.building).toBe(2);
    for (const build of builds) build.finish('success');
    await h.flush();
    expect(builds.map((b) => b.outcome.value?.result)).toEqual(['success', 'success']);
  });

  it('test_latent_max_builds', async () => {
    const h = fleetHarness(['local'], { worker: { maxBuilds: 1 } });
    const [first, second] = [h.submit(), h.submit()];
    await h.flush();
    h.providers.local!.completeStart(true);
    await h.flush();
    // Exactly one build started; the other waits for room on the same instance.
    expect(first.leases).toHaveLength(1);
    expect(second.leases).toHaveLength(0);
    expect(h.workers[0]!.status.building).toBe(1);
    first.finish('success');
    await h.flush();
    expect(second.leases).toHaveLength(1);
    expect(h.providers.local!.starts).toHaveLength(1);
  });

  it('prefers a substantiated worker with room, then an idle one, then a join', async () => {
    const h = fleetHarness(['w1', 'w2'], { worker: { maxBuilds: 2 } });
    const first = h.submit();
    await h.flush();
    h.providers.w1!.completeStart(true);
    await h.flush();
    expect(first.leases[0]!.worker.name).toBe('w1');
    h.submit(); // w1 is up with room: no new start
    await h.flush();
    expect(h.providers.w2!.starts).toHaveLength(0);
    h.submit(); // w1 is full: start w2
    h.submit(); // w2 is starting with room: join it rather than wait
    await h.flush();
    expect(h.providers.w2!.starts).toHaveLength(1);
    expect(
      h.events.filter((e) => e.type === 'dispatched').map((e) => `${e.worker}:${e.via}`)
    ).toEqual(['w1:idle', 'w1:substantiated', 'w2:idle', 'w2:substantiating']);
  });

  it('maxConcurrentStarts caps the starts running at once, counted before the provider call', async () => {
    const h = fleetHarness(['w1', 'w2', 'w3'], {
      fleet: { maxConcurrentStarts: 2 },
      worker: { maxBuilds: 1 }
    });
    for (let i = 0; i < 3; i++) h.submit();
    await h.flush();
    const pending = () => Object.values(h.providers).filter((p) => p.startPending).length;
    expect(pending()).toBe(2);
    h.providers.w1!.completeStart(true);
    await h.flush();
    expect(pending()).toBe(2);
    expect(h.providers.w3!.startPending).toBe(true);
  });

  it('keeps submission order: an older request is served first when room appears', async () => {
    const h = fleetHarness(['local'], { worker: { maxBuilds: 1 } });
    const builds = [h.submit(), h.submit(), h.submit()];
    await h.flush();
    h.providers.local!.completeStart(true);
    await h.flush();
    builds[0]!.finish();
    await h.flush();
    builds[1]!.finish();
    await h.flush();
    expect(builds.map((b) => b.leases.length)).toEqual([1, 1, 1]);
    expect(h.events.filter((e) => e.type === 'dispatched').map((e) => e.id)).toEqual([1, 2, 3]);
  });

  it('a request restricted to busy workers does not hold back later ones', async () => {
    const h = fleetHarness(['w1', 'w2'], { worker: { maxBuilds: 1 } });
    const first = h.submit({ workerNames: ['w1'] });
    const blocked = h.submit({ workerNames: ['w1'] });
    const free = h.submit();
    await h.flush();
    expect(first.leases).toHaveLength(0);
    expect(
      h.events.filter((e) => e.type === 'dispatched').map((e) => `${e.id}:${e.worker}`)
    ).toEqual(['1:w1', '3:w2']);
    expect(blocked.outcome.status).toBe('pending');
    expect(free.outcome.status).toBe('pending');
  });

  it('a paused worker gets nothing; unpausing it dispatches the waiting request', async () => {
    const h = fleetHarness(['local'], { provider: { autoStart: true } });
    h.workers[0]!.pause('maintenance');
    const build = h.submit();
    await h.flush();
    expect(h.providers.local!.starts).toHaveLength(0);
    h.workers[0]!.unpause();
    await h.flush();
    expect(build.leases).toHaveLength(1);
  });

  it('test_supports_no_build_for_substantiation_accepts_build_later', async () => {
    const h = fleetHarness(['local'], { worker: { buildWaitTimeout: 1000 } });
    const up = h.workers[0]!.substantiate(); // no build
    h.providers.local!.completeStart(true);
    await up;
    const build = h.submit();
    await h.flush();
    expect(build.leases).toHaveLength(1); // the running instance, no second start
    expect(h.providers.local!.starts).toHaveLength(1);
    build.finish();
    await h.advance(999);
    expect(h.providers.local!.stopPending).toBe(false);
    await h.advance(1);
    expect(h.providers.local!.stopPending).toBe(true);
  });

  it('test_supports_no_build_for_substantiation', async () => {
    const h = fleetHarness(['local']);
    const up = h.workers[0]!.substantiate();
    h.providers.local!.completeStart(true);
    expect(await up).toBe(true);
    const stopped = h.workers[0]!.insubstantiate();
    h.providers.local!.completeStop();
    await stopped;
    h.providers.local!.assertPaired();
    expect(h.events).toEqual([]); // the fleet did not interfere
  });
});
