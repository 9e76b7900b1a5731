import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerConnectionRejected } from '../../../src/index.js';
import { harness, slowConnection, type Harness } from '../../support/harness.js';
import { holdChecks } from './checks.js';

// lifecycle.md "Events and transitions": attached() and detached() in every state.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const manual = { autoConnect: false, autoDisconnect: false } as const;

/** Drives a fresh harness into the named state (with no connection). */
const states: Record<string, (h: Harness) => Promise<void>> = {
  idle: async () => undefined,
  starting: async (h) => {
    h.substantiate();
    void h.worker.insubstantiate(); // aborting: cancelled, the start still runs
    await h.flush();
  },
  substantiated: async (h) => {
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.attached(slowConnection());
    h.worker.detached();
  },
  insubstantiating: async (h) => {
    await states.substantiated!(h);
    void h.worker.insubstantiate();
    await h.flush();
  },
  shutDown: async (h) => {
    await h.worker.shutdown();
  }
};

describe('attach', () => {
  it('while starting is remembered: the worker is substantiated when the start returns', async () => {
    const h = harness({}, manual);
    const build = h.substantiate();
    h.worker.attached(slowConnection());
    await h.flush();
    expect(build.status).toBe('pending');
    h.provider.completeStart(true);
    await h.flush();
    expect(build.value).toBe(true);
  });

  it('of the live connection again changes nothing and keeps it open', async () => {
    const h = harness({}, manual);
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    const connection = { disconnect: vi.fn() };
    h.worker.attached(connection);
    await h.flush();
    expect(build.value).toBe(true);
    expect(() => h.worker.attached(connection)).not.toThrow();
    expect(connection.disconnect).not.toHaveBeenCalled();
    expect(h.worker.connection).toBe(connection);
    expect(h.eventsOf('attached')).toHaveLength(1);
  });

  it('of a connection object left over from the stopped instance counts for the new one', async () => {
    const h = harness({}, manual);
    const connection = slowConnection();
    h.substantiate();
    h.worker.attached(connection);
    h.provider.completeStart(true);
    await h.flush();
    void h.worker.insubstantiate(); // the connection outlives the stop
    h.provider.completeStop();
    await h.flush();
    const next = h.substantiate();
    h.worker.attached(connection);
    h.provider.completeStart(true);
    await h.flush();
    expect(next.value).toBe(true);
    expect(connection.disconnect).not.toHaveBeenCalled();
  });

  it('while connecting substantiates and answers the waiters', async () => {
    const h = harness({}, manual);
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build.status).toBe('pending');
    h.worker.attached(slowConnection());
    await h.flush();
    expect(build.value).toBe(true);
    expect(h.eventsOf('substantiated')).toHaveLength(1);
  });

  it('during a check cuts it short and substantiates when it returns', async () => {
    const h = harness({ checkInstanceInterval: 1000 }, manual);
    const checks = holdChecks(h);
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    expect(h.provider.checks).toBe(1);
    h.worker.attached(slowConnection());
    await h.flush();
    expect(checks.signal.aborted).toBe(true);
    expect(build.status).toBe('pending');
    checks.resolve({ isGood: false, message: 'aborted' });
    await h.flush();
    expect(build.value).toBe(true);
    expect(h.provider.stops).toHaveLength(0);
  });

  it.each(['idle', 'starting', 'substantiated', 'insubstantiating', 'shutDown'])(
    'in %s is rejected and disconnected when buildWaitTimeout >= 0',
    async (state) => {
      const h = harness({}, manual);
      await states[state]!(h);
      const before = h.worker.status.state;
      const conn = slowConnection();
      expect(() => h.worker.attached(conn)).toThrow(LatentWorkerConnectionRejected);
      expect(conn.disconnect).toHaveBeenCalledTimes(1);
      expect(h.worker.status).toMatchObject({ state: before, connected: false });
    }
  );

  it.each(['idle', 'starting', 'substantiated', 'insubstantiating'])(
    'in %s is accepted when buildWaitTimeout < 0, without changing the state',
    async (state) => {
      const h = harness({ buildWaitTimeout: -1 }, manual);
      await states[state]!(h);
      const before = h.worker.status.state;
      const conn = slowConnection();
      h.worker.attached(conn);
      await h.flush();
      expect(conn.disconnect).not.toHaveBeenCalled();
      expect(h.worker.status).toMatchObject({ state: before, connected: true });
    }
  );

  it('after shutdown is rejected and disconnected, whatever buildWaitTimeout', async () => {
    const h = harness({ buildWaitTimeout: -1 }, manual);
    await h.worker.shutdown();
    const conn = slowConnection();
    expect(() => h.worker.attached(conn)).toThrow(/shut down/);
    expect(conn.disconnect).toHaveBeenCalledTimes(1);
    expect(h.worker.status.connected).toBe(false);
  });

  it('a stale connection never substantiates a new instance, and is replaced by the new one', async () => {
    const h = harness({}, manual);
    h.substantiate();
    h.provider.completeStart(true);
    const stale = slowConnection();
    h.worker.attached(stale);
    await h.flush();
    void h.worker.insubstantiate();
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.status).toMatchObject({ state: 'idle', connected: true });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build.status).toBe('pending');
    expect(h.worker.status.state).toBe('substantiating');
    const fresh = slowConnection();
    h.worker.attached(fresh);
    await h.flush();
    expect(build.value).toBe(true);
    expect(stale.disconnect).toHaveBeenCalledTimes(1);
    expect(h.worker.connection).toBe(fresh);
  });
});

describe('detach', () => {
  it('clears the connection and leaves the state; the idle timer then stops the orphan', async () => {
    const h = harness({ buildWaitTimeout: 5000 }, manual);
    h.substantiate();
    h.provider.completeStart(true);
    h.worker.attached(slowConnection());
    await h.advance(3000);
    h.worker.detached();
    expect(h.worker.status).toMatchObject({ state: 'substantiated', connected: false });
    await h.advance(2000);
    expect(h.provider.stopPending).toBe(true);
  });

  it('of a build that later finishes arms the idle timer then', async () => {
    const h = harness({ buildWaitTimeout: 5000 }, manual);
    h.substantiate();
    h.provider.completeStart(true);
    h.worker.attached(slowConnection());
    await h.flush();
    h.worker.buildStarted();
    h.worker.detached();
    await h.advance(60_000);
    expect(h.provider.stopPending).toBe(false);
    h.worker.buildFinished('retry');
    await h.advance(5000);
    expect(h.provider.stopPending).toBe(true);
  });

  it('and other late calls after shutdown are ignored without a word from XState', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const h = harness({}, { autoStart: true, autoStop: true });
    h.substantiate();
    await h.flush();
    const connection = h.provider.connection!;
    h.worker.buildStarted();
    await h.worker.shutdown();
    h.worker.detached(connection);
    h.worker.buildFinished('success');
    h.worker.pause();
    h.worker.unpause();
    expect(warn).not.toHaveBeenCalled();
    expect(h.worker.status.state).toBe('shutDown');
    warn.mockRestore();
  });

  it('of a stale connection is ignored', async () => {
    const h = harness({}, manual);
    const old = slowConnection();
    const current = slowConnection();
    h.substantiate();
    h.worker.attached(old);
    h.worker.attached(current);
    h.provider.completeStart(true);
    await h.flush();
    expect(old.disconnect).toHaveBeenCalledTimes(1);
    // Replaced: reported gone once, when the newer connection took its place.
    expect(h.eventsOf('detached')).toHaveLength(1);
    h.worker.detached(old);
    expect(h.worker.status.connected).toBe(true);
    expect(h.eventsOf('detached')).toHaveLength(1);
    h.worker.detached(current);
    expect(h.worker.status.connected).toBe(false);
    expect(h.eventsOf('detached')).toHaveLength(2);
  });
});
