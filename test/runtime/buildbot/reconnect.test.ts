import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerConnectionRejected } from '../../../src/index.js';
import { harness, slowConnection, type Harness, type Tracked } from '../../support/harness.js';

// Buildbot test_latent.py, class Latent: connections that go away, late or silently.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Substantiates with the connection `conn` and runs one successful build on it. */
async function buildOnce(h: Harness, conn = slowConnection()) {
  const build = h.substantiate();
  h.provider.completeStart(true);
  h.worker.attached(conn);
  await h.flush();
  expect(build.value).toBe(true);
  h.worker.buildStarted();
  h.worker.buildFinished('success');
  return conn;
}

/** The pending start comes up and connects, serves `build` once, and idles out after 1 s. */
async function serveAndIdleOut(h: Harness, build: Tracked<boolean>) {
  h.provider.completeStart(true);
  h.worker.attached(slowConnection());
  await h.flush();
  expect(build.value).toBe(true);
  h.worker.buildStarted();
  h.worker.buildFinished('success');
  await h.advance(1000);
  expect(h.provider.stopPending).toBe(true);
}

describe('late and lost connections', () => {
  it('a very late detach does not disturb the next instance (test_very_late_detached_after_substantiation)', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoConnect: false, autoDisconnect: false });
    const old = await buildOnce(h);
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(true);
    expect(old.disconnect).toHaveBeenCalledTimes(1);
    h.provider.completeStop();
    await h.flush();
    const build2 = h.substantiate();
    expect(h.provider.startPending).toBe(true);
    // Only now does the old connection really close.
    h.worker.detached(old);
    await serveAndIdleOut(h, build2);
  });

  it('a request during the stop starts a fresh instance after it (test_substantiation_during_stop_instance)', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoConnect: false, autoDisconnect: false });
    const old = await buildOnce(h);
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(true);
    h.worker.detached(old);
    const build2 = h.substantiate();
    await h.flush();
    expect(build2.status).toBe('pending');
    h.provider.completeStop();
    await h.flush();
    // The queued substantiation is not cancelled: its start follows the stop at once.
    expect(h.provider.startPending).toBe(true);
    await serveAndIdleOut(h, build2);
  });

  it('a connection lost mid-build ends it retry and the next request restarts (test_worker_close_connection_while_building)', async () => {
    const h = harness({ buildWaitTimeout: 0 }, { autoDisconnect: false, autoStop: true });
    const build1 = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build1.value).toBe(true);
    h.worker.buildStarted();
    h.provider.disconnect();
    await h.flush();
    expect(h.worker.status).toMatchObject({ state: 'substantiated', connected: false });
    h.worker.buildFinished('retry');
    // 'retry' neither quarantines nor resets; the orphaned instance is stopped.
    expect(h.worker.status.availability).toBe('available');
    await h.advance(0);
    expect(h.worker.status.state).toBe('idle');
    const build2 = h.substantiate();
    expect(h.provider.startPending).toBe(true);
    h.provider.completeStart(true);
    await h.flush();
    expect(build2.value).toBe(true);
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
  });

  it('a silently severed connection finally drops mid-build (test_sever_connection_while_building)', async () => {
    const h = harness({ buildWaitTimeout: 0 }, { autoConnect: false, autoStop: true });
    const conn = await (async () => {
      const build1 = h.substantiate();
      h.provider.completeStart(true);
      const c = slowConnection();
      h.worker.attached(c);
      await h.flush();
      expect(build1.value).toBe(true);
      return c;
    })();
    h.worker.buildStarted();
    // Severed: nothing answers, but nobody knows yet.
    await h.advance(100_000);
    expect(h.worker.status).toMatchObject({ connected: true, building: 1 });
    h.worker.detached(conn);
    h.worker.buildFinished('retry');
    await h.advance(0);
    const build2 = h.substantiate();
    h.provider.completeStart(true);
    h.worker.attached(slowConnection());
    await h.flush();
    expect(build2.value).toBe(true);
    expect(h.provider.starts).toHaveLength(2);
  });

  it('a connection severed before the ping: retry, then a fresh start (test_sever_connection_before_ping_then_timeout_get_requeued)', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoConnect: false, autoStop: true });
    const conn = slowConnection();
    const build1 = h.substantiate();
    h.provider.completeStart(true);
    h.worker.attached(conn);
    await h.flush();
    expect(build1.value).toBe(true);
    h.worker.buildStarted();
    await h.advance(100_000);
    h.worker.detached(conn);
    h.worker.buildFinished('retry');
    // Buildbot quarantines here because its ping failed; a lost connection ('retry') does not.
    expect(h.worker.status.availability).toBe('available');
    // The disconnected instance is restarted for the retried request.
    const build2 = h.substantiate();
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
    h.provider.completeStart(true);
    h.worker.attached(slowConnection());
    await h.flush();
    expect(build2.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.calls()).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('a connection severed during the stop (test_sever_connection_during_insubstantiation)', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoConnect: false, autoDisconnect: false });
    const old = await buildOnce(h);
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(true);
    expect(old.disconnect).toHaveBeenCalled();
    h.provider.completeStop();
    await h.advance(100_000);
    h.worker.detached(old);
    const build2 = h.substantiate();
    await serveAndIdleOut(h, build2);
  });

  it('a connection severed during the stop, with a request queued (test_sever_connection_during_insubstantiation_and_buildrequest)', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoConnect: false, autoDisconnect: false });
    const old = await buildOnce(h);
    await h.advance(1000);
    const build2 = h.substantiate();
    await h.flush();
    expect(h.worker.status.state).toBe('insubstantiating');
    h.provider.completeStop();
    await h.flush();
    expect(h.provider.startPending).toBe(true);
    await h.advance(100_000);
    h.worker.detached(old);
    h.provider.completeStart(true);
    h.worker.attached(slowConnection());
    await h.flush();
    expect(build2.value).toBe(true);
  });
});

describe('negative buildWaitTimeout: the worker may reconnect', () => {
  const manual = { autoConnect: false, autoDisconnect: false } as const;

  it('reattaches while substantiated without a restart (test_negative_build_timeout_reattach_substantiated)', async () => {
    const h = harness({ buildWaitTimeout: -1 }, manual);
    const build1 = h.substantiate();
    h.provider.completeStart(true);
    h.provider.connect();
    await h.flush();
    expect(build1.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    h.provider.disconnect();
    h.provider.connect();
    await h.flush();
    expect(h.provider.state).toBe('started');
    const build2 = h.substantiate();
    await h.flush();
    expect(build2.value).toBe(true);
    expect(h.provider.starts).toHaveLength(1);
    const down = h.worker.insubstantiate();
    expect(h.provider.stopPending).toBe(true);
    h.provider.completeStop();
    await down;
  });

  it('a reattach during the stop does not change the intent (test_negative_build_timeout_reattach_insubstantiating)', async () => {
    const h = harness({ buildWaitTimeout: -1 }, manual);
    const build1 = h.substantiate();
    h.provider.completeStart(true);
    h.provider.connect();
    await h.flush();
    expect(build1.value).toBe(true);
    const down = h.worker.insubstantiate();
    h.provider.disconnect();
    h.provider.connect();
    await h.flush();
    expect(h.provider.state).toBe('stopping');
    expect(h.worker.status.state).toBe('insubstantiating');
    h.provider.completeStop();
    await down;
    expect(h.provider.state).toBe('stopped');
    h.provider.disconnect();
    const build2 = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build2.status).toBe('pending');
    h.provider.connect();
    await h.flush();
    expect(build2.value).toBe(true);
  });

  it('a worker still connected completes the next start on its return (test_negative_build_timeout_no_disconnect_insubstantiating)', async () => {
    const h = harness({ buildWaitTimeout: -1 }, manual);
    const build1 = h.substantiate();
    h.provider.completeStart(true);
    h.provider.connect();
    await h.flush();
    expect(build1.value).toBe(true);
    const down = h.worker.insubstantiate();
    h.provider.completeStop();
    await down;
    expect(h.worker.status.connected).toBe(true);
    const build2 = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build2.value).toBe(true);
    expect(h.provider.starts).toHaveLength(2);
  });
});

describe('non-negative buildWaitTimeout: reconnects are refused', () => {
  it('a reconnect while substantiated is rejected and disconnected', async () => {
    const h = harness({}, { autoConnect: false });
    h.substantiate();
    h.provider.completeStart(true);
    const first = slowConnection();
    h.worker.attached(first);
    await h.flush();
    h.worker.detached(first);
    const again = slowConnection();
    expect(() => h.worker.attached(again)).toThrow(LatentWorkerConnectionRejected);
    expect(again.disconnect).toHaveBeenCalledTimes(1);
    expect(h.worker.status).toMatchObject({ state: 'substantiated', connected: false });
    expect(h.eventsOf('connectionRejected')).toHaveLength(1);
  });
});
