import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fleetHarness, type Props } from './support.js';

// Buildbot test_latent.py (test_rejects_build_on_instance_with_different_type_*) and
// test_builder.py (test_canStartBuild_with_incompatible_latent_worker).
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const kind = (props: Props | undefined) => props?.worker_kind;

describe('compatibility', () => {
  it('test_rejects_build_on_instance_with_different_type_timeout_zero', async () => {
    const h = fleetHarness(['local'], {
      worker: { buildWaitTimeout: 0 },
      provider: { kind, autoStart: true, autoStop: true }
    });
    const a = h.submit({ props: { worker_kind: 'a' } });
    await h.flush();
    const b = h.submit({ props: { worker_kind: 'b' } });
    await h.flush();
    // test_canStartBuild_with_incompatible_latent_worker: not dispatched to the 'a' instance.
    expect(b.leases).toHaveLength(0);
    a.finish('success');
    await h.advance(100);
    const provider = h.providers.local!;
    expect(provider.starts.map((s) => kind(s.props))).toEqual(['a', 'b']);
    expect(b.leases).toHaveLength(1);
    b.finish('success');
    await h.flush();
    expect([a.outcome.value?.result, b.outcome.value?.result]).toEqual(['success', 'success']);
  });

  it('test_rejects_build_on_instance_with_different_type_timeout_nonzero: recycled at once', async () => {
    const h = fleetHarness(['local'], {
      worker: { buildWaitTimeout: 5000 },
      provider: { kind, autoStart: true, autoStop: true }
    });
    const a = h.submit({ props: { worker_kind: 'a' } });
    await h.flush();
    const b = h.submit({ props: { worker_kind: 'b' } });
    await h.flush();
    expect(b.leases).toHaveLength(0);
    a.finish('success');
    await h.flush();
    // Buildbot waits for the 5 s idle timer; the fleet stops the idle 'a' instance at once,
    // since nothing else waits for it, and starts it again as 'b'.
    expect(h.events).toContainEqual({ type: 'recycled', id: b.id, worker: 'local' });
    expect(h.providers.local!.starts.map((s) => kind(s.props))).toEqual(['a', 'b']);
    expect(b.leases).toHaveLength(1);
    b.finish('success');
    await h.flush();
    expect(b.outcome.value?.result).toBe('success');
  });

  it('test_canStartBuild_with_incompatible_latent_worker', async () => {
    const h = fleetHarness(['local'], { provider: { kind, autoStart: true } });
    const a = h.submit({ props: { worker_kind: 'a' } });
    await h.flush();
    const b = h.submit({ props: { worker_kind: 'b' } });
    const a2 = h.submit({ props: { worker_kind: 'a' } });
    await h.flush();
    // The busy 'a' instance has room (maxBuilds Infinity) but takes only the 'a' build.
    expect(a.leases).toHaveLength(1);
    expect(a2.leases).toHaveLength(1);
    expect(b.leases).toHaveLength(0);
    expect(h.events.some((e) => e.type === 'recycled')).toBe(false); // it is not idle
  });

  it('does not recycle an instance a later waiting request can use', async () => {
    const h = fleetHarness(['local'], {
      worker: { buildWaitTimeout: 5000, maxBuilds: 1 },
      provider: { kind, autoStart: true, autoStop: true }
    });
    const a = h.submit({ props: { worker_kind: 'a' } });
    await h.flush();
    const b = h.submit({ props: { worker_kind: 'b' } });
    const a2 = h.submit({ props: { worker_kind: 'a' } });
    await h.flush();
    a.finish('success');
    await h.flush();
    // The second 'a' build takes the idle 'a' instance; 'b' waits for it to be free again.
    expect(a2.leases).toHaveLength(1);
    expect(b.leases).toHaveLength(0);
    expect(h.events.some((e) => e.type === 'recycled')).toBe(false);
    a2.finish('success');
    await h.flush();
    expect(h.events.some((e) => e.type === 'recycled')).toBe(true);
    expect(b.leases).toHaveLength(1);
  });

  it('prefers a free compatible worker to recycling an incompatible one', async () => {
    const h = fleetHarness(['w1', 'w2'], {
      provider: { kind, autoStart: true, autoStop: true }
    });
    const a = h.submit({ props: { worker_kind: 'a' }, workerNames: ['w1'] });
    await h.flush();
    a.finish();
    await h.flush();
    const b = h.submit({ props: { worker_kind: 'b' } });
    await h.flush();
    expect(b.leases[0]!.worker.name).toBe('w2');
    expect(h.events.some((e) => e.type === 'recycled')).toBe(false);
  });
});
