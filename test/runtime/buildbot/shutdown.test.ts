import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerSubstantiationCancelled } from '../../../src/index.js';
import { harness, track } from '../../support/harness.js';

// Buildbot test_latent.py, class Latent: the worker's stopService (our shutdown()).
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('shutdown', () => {
  it('waits for a running stop (test_stopservice_during_insubstantiation_completes)', async () => {
    const h = harness({ buildWaitTimeout: 1000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(true);
    const down = track(h.worker.shutdown());
    await h.advance(60_000);
    expect(down.status).toBe('pending');
    h.provider.completeStop();
    await h.flush();
    expect(down.status).toBe('fulfilled');
    expect(h.worker.status.state).toBe('shutDown');
    expect(h.provider.stops).toHaveLength(1);
  });

  it.each([
    ['with_substantiation_failure', false, false],
    ['without_worker_connecting', true, false],
    ['with_worker_connecting', true, true]
  ] as const)(
    'waits for a running start, then stops (test_stopservice_during_substantiation_completes %s)',
    async (_case, result, connects) => {
      const h = harness({ buildWaitTimeout: 1000 }, { autoConnect: connects });
      const build = h.substantiate();
      const down = track(h.worker.shutdown());
      await h.flush();
      expect(build.error).toBeInstanceOf(LatentWorkerSubstantiationCancelled);
      expect(down.status).toBe('pending');
      h.provider.completeStart(result);
      await h.flush();
      // The stop is requested as soon as the start returns.
      expect(h.provider.stopPending).toBe(true);
      expect(down.status).toBe('pending');
      h.provider.completeStop();
      await h.flush();
      expect(down.status).toBe('fulfilled');
      h.provider.assertPaired();
      // An instance connecting to a cancelled substantiation is turned away.
      expect(h.provider.refusedConnections).toHaveLength(connects ? 1 : 0);
      expect(await h.worker.substantiate()).toBe(false);
    }
  );

  it.each([
    ['after_start_instance_no_worker', 'after', false],
    ['after_start_instance_with_worker', 'after', true],
    ['before_start_instance_no_worker', 'before', false],
    ['before_start_instance_with_worker', 'before', true]
  ] as const)(
    'keeps the password through the substantiation and shuts down cleanly (test_reconfigservice_during_substantiation_clean_shutdown_after %s)',
    async (_case, when, connects) => {
      const h = harness({}, { autoConnect: connects, autoStop: true });
      h.substantiate();
      const password = h.provider.lastStart!.password;
      // Buildbot reconfigures here; what matters is that nothing rotates the password.
      if (when === 'after') h.provider.completeStart(true);
      await h.advance(1000);
      expect(h.provider.lastStart!.password).toBe(password);
      expect(h.worker.checkPassword(password)).toBe(true);
      const down = track(h.worker.shutdown());
      if (when === 'before') h.provider.completeStart(true);
      await h.flush();
      expect(down.status).toBe('fulfilled');
      expect(h.provider.starts.map((s) => s.password)).toEqual([password]);
      h.provider.assertPaired();
    }
  );

  it('stops a never-idle instance (test_negative_build_timeout_insubstantiates_on_master_shutdown)', async () => {
    const h = harness({ buildWaitTimeout: -1 });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    expect(h.provider.state).toBe('started');
    const down = track(h.worker.shutdown());
    await h.flush();
    expect(h.provider.stopPending).toBe(true);
    expect(down.status).toBe('pending');
    h.provider.completeStop();
    await h.flush();
    expect(down.status).toBe('fulfilled');
  });

  it('is idempotent and later calls resolve false without touching the provider', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const first = h.worker.shutdown();
    expect(h.worker.shutdown()).toBe(first);
    await first;
    expect(await h.worker.substantiate()).toBe(false);
    await h.worker.insubstantiate();
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status.state).toBe('shutDown');
  });
});
