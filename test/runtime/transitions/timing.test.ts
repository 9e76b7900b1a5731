import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ControllableProvider,
  createLatentWorker,
  LatentWorkerFailedToSubstantiate
} from '../../../src/index.js';
import { harness, track } from '../../support/harness.js';

// lifecycle.md "Events and transitions": the health check and the missing timeout.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('health check', () => {
  it('a throwing check fails the substantiation with its message', async () => {
    const h = harness({ checkInstanceInterval: 1000 }, { autoConnect: false, autoStop: true });
    const boom = new Error('docker daemon unreachable');
    vi.spyOn(h.provider, 'checkInstance').mockImplementation(() => {
      throw boom;
    });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(build.error).toMatchObject({ reason: 'crashed' });
    expect((build.error as Error).message).toContain(
      'latent worker crashed before connecting: docker daemon unreachable'
    );
    expect((build.error as Error).cause).toBe(boom);
    expect(h.calls()).toEqual(['start', 'check', 'stop']);
  });

  it('is polled every checkInstanceInterval, only while waiting for the attach', async () => {
    const h = harness({ checkInstanceInterval: 1000 }, { autoConnect: false });
    h.substantiate();
    await h.advance(5000);
    expect(h.provider.checks).toBe(0);
    h.provider.completeStart(true);
    await h.advance(3000);
    expect(h.provider.checks).toBe(3);
    h.provider.connect();
    await h.advance(5000);
    expect(h.provider.checks).toBe(3);
  });

  it('is not polled when the provider has no checkInstance', async () => {
    const provider = new ControllableProvider({ autoConnect: false });
    const worker = createLatentWorker({
      name: 'plain',
      checkInstanceInterval: 1000,
      provider: {
        startInstance: (ctx) => provider.startInstance(ctx),
        stopInstance: (ctx) => provider.stopInstance(ctx)
      }
    });
    provider.bind(worker);
    const build = track(worker.substantiate());
    provider.completeStart(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(provider.checks).toBe(0);
    provider.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(build.value).toBe(true);
  });
});

describe('missing timeout', () => {
  it('does not fire once substantiated', async () => {
    const h = harness({ missingTimeout: 1000 });
    h.substantiate();
    await h.advance(500);
    h.provider.completeStart(true);
    await h.advance(5000);
    expect(h.worker.status.state).toBe('substantiated');
    expect(h.eventsOf('substantiationFailed')).toEqual([]);
  });

  it('bounds a request queued behind a stop that never ends', async () => {
    const h = harness({ missingTimeout: 1000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    void h.worker.insubstantiate();
    const queued = h.substantiate();
    await h.advance(1000);
    expect(queued.error).toMatchObject({ timedOut: true });
    // The stop still runs; no start overlaps it.
    expect(h.provider.starts).toHaveLength(1);
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.status.state).toBe('idle');
  });
});
