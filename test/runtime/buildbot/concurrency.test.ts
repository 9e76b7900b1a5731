import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness } from '../../support/harness.js';

// Buildbot test_latent.py and test_misc.py: overlapping requests on one worker.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('overlapping requests', () => {
  it('builds are not blocked while the worker stops, and queue a fresh start (test_substantiation_during_stop_instance_canStartBuild_race)', async () => {
    const h = harness({ buildWaitTimeout: 1000 });
    const build1 = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build1.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(true);
    // Buildbot's commit "Don't prevent builds during insubstantiation": dispatch stays open.
    expect(h.worker.canStartBuild()).toBe(true);
    const build2 = h.substantiate();
    h.provider.completeStop();
    await h.flush();
    expect(h.provider.startPending).toBe(true);
    h.provider.completeStart(true);
    await h.flush();
    expect(build2.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.calls()).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('maxBuilds closes dispatch while that many builds run (test_latent_max_builds)', async () => {
    const h = harness({ maxBuilds: 1 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.buildStarted();
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.buildFinished('success');
    expect(h.worker.canStartBuild()).toBe(true);
  });

  it('a second request joins the pending substantiation without a second start', async () => {
    const h = harness();
    const first = h.substantiate({ image: 'a' });
    h.provider.completeStart(true);
    const second = h.substantiate({ image: 'b' });
    await h.flush();
    expect([first.value, second.value]).toEqual([true, true]);
    // The instance is rendered from the request that started it.
    expect(h.provider.starts.map((s) => s.props)).toEqual([{ image: 'a' }]);
  });
});
