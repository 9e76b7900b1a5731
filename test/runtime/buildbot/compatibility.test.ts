import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness } from '../../support/harness.js';

// Buildbot test_latent.py and test_builder.py: instances that differ by build properties.
// The recycling of an idle incompatible instance for a waiting request is the Fleet's part.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const kinded = (buildWaitTimeout: number) =>
  harness({ buildWaitTimeout }, { autoStart: true, autoStop: true, kind: (p) => p?.workerKind });

describe('compatibility', () => {
  it('an instance of another kind is incompatible while it runs (test_canStartBuild_with_incompatible_latent_worker)', async () => {
    const h = kinded(600_000);
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(true);
    const a = h.substantiate({ workerKind: 'a' });
    await h.flush();
    expect(a.value).toBe(true);
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'a' })).toBe(true);
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(false);
  });

  it('with timeout zero the instance is restarted as the other kind after the build (test_rejects_build_on_instance_with_different_type_timeout_zero)', async () => {
    const h = kinded(0);
    h.substantiate({ workerKind: 'a' });
    await h.flush();
    h.worker.buildStarted();
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(false);
    h.worker.buildFinished('success');
    await h.advance(100);
    expect(h.worker.status.state).toBe('idle');
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(true);
    const b = h.substantiate({ workerKind: 'b' });
    await h.flush();
    expect(b.value).toBe(true);
    expect(h.provider.starts.map((s) => s.props)).toEqual([
      { workerKind: 'a' },
      { workerKind: 'b' }
    ]);
  });

  it('with a nonzero timeout the idle instance waits for its idle timer (test_rejects_build_on_instance_with_different_type_timeout_nonzero)', async () => {
    const h = kinded(5000);
    h.substantiate({ workerKind: 'a' });
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(100);
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(false);
    expect(h.worker.status.state).toBe('substantiated');
    await h.advance(6000);
    expect(h.worker.status.state).toBe('idle');
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(true);
  });

  it('a request queued behind the stop decides what the next instance is compatible with', async () => {
    const h = harness({}, { autoStart: true, kind: (p) => p?.workerKind });
    h.substantiate({ workerKind: 'a' });
    await h.flush();
    void h.worker.insubstantiate(); // the stop stays pending
    await h.flush();
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(true);
    h.substantiate({ workerKind: 'a' }); // queued: the next instance is an 'a'
    await h.flush();
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'a' })).toBe(true);
    expect(await h.worker.isCompatibleWithBuild({ workerKind: 'b' })).toBe(false);
  });
});
