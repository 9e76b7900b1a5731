import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness } from '../../support/harness.js';

// Buildbot test_latent.py, class Latent: every start has exactly one stop.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('pairing', () => {
  it('latent workers start in parallel (test_latent_workers_start_in_parallel)', async () => {
    const one = harness();
    const two = harness();
    const builds = [one.substantiate(), two.substantiate()];
    await one.flush();
    // Both starts are in flight at the same time: no serialisation across workers.
    expect(one.provider.startPending && two.provider.startPending).toBe(true);
    one.provider.completeStart(true);
    two.provider.completeStart(true);
    await one.flush();
    expect(builds.map((b) => b.value)).toEqual([true, true]);
    const stopped = [one.worker.insubstantiate(), two.worker.insubstantiate()];
    one.provider.completeStop();
    two.provider.completeStop();
    await Promise.all(stopped);
    one.provider.assertPaired();
    two.provider.assertPaired();
  });

  it('one start serves every waiter (test_worker_multiple_substantiations_succeed)', async () => {
    const h = harness();
    const testy1 = h.substantiate();
    const testy2 = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect([testy1.value, testy2.value]).toEqual([true, true]);
    expect(h.provider.starts).toHaveLength(1);
    h.worker.buildStarted();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    h.worker.buildFinished('success');
    expect(h.worker.status).toMatchObject({ state: 'substantiated', building: 0 });
  });

  it('supports no build for substantiation (test_supports_no_build_for_substantiation)', async () => {
    const h = harness();
    const up = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(up.value).toBe(true);
    expect(h.provider.lastStart?.props).toBeUndefined();
    const down = h.worker.insubstantiate();
    expect(h.provider.stopPending).toBe(true);
    h.provider.completeStop();
    await down;
    expect(h.worker.status.state).toBe('idle');
    h.provider.assertPaired();
  });

  it('accepts a build later on the same instance (test_supports_no_build_for_substantiation_accepts_build_later)', async () => {
    const h = harness({ buildWaitTimeout: 1000 });
    const up = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(up.value).toBe(true);

    const build = h.substantiate({ branch: 'main' });
    await h.flush();
    expect(build.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    expect(h.provider.starts).toHaveLength(1);
    await h.advance(999);
    expect(h.provider.stopPending).toBe(false);
    await h.advance(1);
    expect(h.provider.stopPending).toBe(true);
  });
});
