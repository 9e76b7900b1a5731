import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLatentWorker,
  LatentWorkerConnectionRejected,
  LatentWorkerUnavailable
} from '../../src/index.js';
import { harness, substantiated } from '../support/harness.js';
import { holdChecks } from './transitions/checks.js';

// The LatentWorker facade's own duties: what it derives from the machine (status,
// canStartBuild, events), and what it decides before the machine sees a call.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('substantiate', () => {
  it('unavailable while quarantined, with the milliseconds left', async () => {
    const h = harness({ quarantine: { initial: 10_000 } }, { autoStop: true });
    const first = h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(first.error).toBeDefined();
    await h.advance(4_000);
    const error = await h.worker.substantiate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatentWorkerUnavailable);
    expect(error).toMatchObject({ reason: 'quarantined', retryAfter: 6_000 });
  });
});

describe('canStartBuild', () => {
  it('follows availability, room under maxBuilds and shutdown', async () => {
    const h = harness({ maxBuilds: 2 }, { autoStart: true });
    expect(h.worker.canStartBuild()).toBe(true);
    h.substantiate();
    await h.flush();
    h.worker.buildStarted();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.buildStarted();
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.buildFinished('success');
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.pause('maintenance');
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.unpause();
    expect(h.worker.canStartBuild()).toBe(true);
    h.worker.buildFinished('exception'); // quarantines
    expect(h.worker.status.availability).toBe('quarantined');
    expect(h.worker.canStartBuild()).toBe(false);
    h.worker.unpause();
    void h.worker.shutdown(); // the stop is pending: shutting down, not yet shut down
    await h.flush();
    expect(h.worker.status.state).toBe('insubstantiating');
    expect(h.worker.canStartBuild()).toBe(false);
  });
});

describe('status and events', () => {
  it('report availability changes, the pause reason and the back-off', async () => {
    const h = harness({ quarantine: { initial: 1_000, factor: 3 } }, { autoStart: true });
    h.substantiate();
    await h.flush();
    expect(h.worker.status).not.toHaveProperty('pauseReason');
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    expect(h.worker.status).toMatchObject({
      availability: 'quarantined',
      consecutiveFailures: 1,
      nextQuarantine: 3_000
    });
    await h.advance(1_000);
    h.worker.pause('disk check');
    expect(h.worker.status.pauseReason).toBe('disk check');
    h.worker.unpause();
    expect(h.eventsOf('availability').map((e) => [e.from, e.to])).toEqual([
      ['available', 'quarantined'],
      ['quarantined', 'available'],
      ['available', 'paused'],
      ['paused', 'available']
    ]);
    expect(h.eventsOf('paused')).toEqual([
      { type: 'paused', worker: 'local', reason: 'disk check' }
    ]);
  });

  it('a rejected attach names the reason and the state, and is reported', async () => {
    const h = harness();
    const connection = { disconnect: vi.fn() };
    expect(() => h.worker.attached(connection)).toThrow(LatentWorkerConnectionRejected);
    expect(() => h.worker.attached({ disconnect: vi.fn() })).toThrow(
      /local\.attached: rejected, connection while not trying to substantiate \(state idle\)/
    );
    expect(connection.disconnect).toHaveBeenCalledTimes(1);
    expect(h.eventsOf('connectionRejected')[0]).toMatchObject({
      worker: 'local',
      reason: 'connection while not trying to substantiate'
    });
  });
});

describe('insubstantiate and shutdown', () => {
  it('insubstantiate resolves when the stop has finished, not before', async () => {
    const h = harness({}, { autoStart: true });
    h.substantiate();
    await h.flush();
    let stopped = false;
    void h.worker.insubstantiate().then(() => (stopped = true));
    await h.flush();
    expect(h.provider.stopPending).toBe(true);
    expect(stopped).toBe(false);
    h.provider.completeStop();
    await h.flush();
    expect(stopped).toBe(true);
  });

  it('say who cancelled a substantiation', async () => {
    const message = (tracked: { error?: unknown }) => (tracked.error as Error).message;
    const h = harness();
    const leaving = new AbortController();
    const left = h.substantiate(undefined, { signal: leaving.signal });
    const stays = h.substantiate();
    leaving.abort();
    await h.flush();
    expect(message(left)).toBe('substantiation of local was cancelled by its caller');
    void h.worker.insubstantiate();
    await h.flush();
    expect(message(stays)).toBe('substantiation of local was cancelled by insubstantiate()');
    const alone = harness();
    const last = new AbortController();
    const only = alone.substantiate(undefined, { signal: last.signal });
    last.abort();
    const down = alone.substantiate(); // queued behind the cancelled start
    void alone.worker.shutdown();
    await alone.flush();
    expect(message(only)).toBe('substantiation of local was cancelled by its last caller');
    expect(message(down)).toBe('substantiation of local was cancelled by shutdown()');
  });

  it('a detach event names the worker only, and a shutdown with no connection reports none', async () => {
    const h = harness({}, { autoStop: true });
    await substantiated(h);
    h.provider.disconnect();
    expect(h.eventsOf('detached')).toEqual([{ type: 'detached', worker: 'local' }]);
    const idle = harness();
    await idle.worker.shutdown();
    expect(idle.eventsOf('detached')).toEqual([]);
  });

  it('shutdown is idempotent and completes events$', async () => {
    const h = harness({}, { autoStart: true, autoStop: true });
    let completed = false;
    h.worker.events$.subscribe({ complete: () => (completed = true) });
    h.substantiate();
    await h.flush();
    const first = h.worker.shutdown();
    expect(h.worker.shutdown()).toBe(first);
    await first;
    expect(completed).toBe(true);
    expect(await h.worker.substantiate()).toBe(false);
    await expect(h.worker.insubstantiate()).resolves.toBeUndefined();
  });
});

describe('isCompatibleWithBuild', () => {
  const strict = (buildsMayBeIncompatible: boolean) => {
    const provider = {
      buildsMayBeIncompatible,
      startInstance: () => new Promise<void>(() => undefined),
      stopInstance: () => undefined,
      checkInstance: () => new Promise<{ isGood: boolean }>(() => undefined),
      isCompatibleWithBuild: vi.fn((props: { kind?: string }, startedWith?: { kind?: string }) =>
        Object.is(props.kind, startedWith?.kind)
      )
    };
    return provider;
  };

  it('asks nobody when the provider says builds are never incompatible', async () => {
    const provider = strict(false);
    const worker = createLatentWorker({ name: 'w', provider });
    void worker.substantiate({ kind: 'a' });
    expect(await worker.isCompatibleWithBuild({ kind: 'b' })).toBe(true);
    expect(provider.isCompatibleWithBuild).not.toHaveBeenCalled();
  });

  it('with no instance, live or queued, anything goes without asking', async () => {
    const provider = strict(true);
    const worker = createLatentWorker({ name: 'w', provider });
    expect(await worker.isCompatibleWithBuild({ kind: 'b' })).toBe(true);
    expect(provider.isCompatibleWithBuild).not.toHaveBeenCalled();
  });

  it('compares with the instance while it starts, connects and is checked', async () => {
    const provider = strict(true);
    const worker = createLatentWorker({ name: 'w', provider, checkInstanceInterval: 1_000 });
    void worker.substantiate({ kind: 'a' }).catch(() => undefined);
    expect(worker.actor.getSnapshot().matches({ instance: { substantiating: 'starting' } })).toBe(
      true
    );
    expect(await worker.isCompatibleWithBuild({ kind: 'b' })).toBe(false);
    expect(await worker.isCompatibleWithBuild({ kind: 'a' })).toBe(true);
    expect(provider.isCompatibleWithBuild).toHaveBeenLastCalledWith({ kind: 'a' }, { kind: 'a' });
  });

  it('compares with the instance while it connects and while its health is checked', async () => {
    const h = harness(
      { checkInstanceInterval: 1_000 },
      { autoConnect: false, kind: (p) => p?.kind }
    );
    const held = holdChecks(h);
    h.substantiate({ kind: 'a' });
    h.provider.completeStart(true);
    await h.flush();
    expect(
      h.worker.actor.getSnapshot().matches({ instance: { substantiating: 'connecting' } })
    ).toBe(true);
    expect(await h.worker.isCompatibleWithBuild({ kind: 'b' })).toBe(false);
    await h.advance(1_000);
    expect(h.worker.actor.getSnapshot().matches({ instance: { substantiating: 'checking' } })).toBe(
      true
    );
    expect(await h.worker.isCompatibleWithBuild({ kind: 'b' })).toBe(false);
    expect(await h.worker.isCompatibleWithBuild({ kind: 'a' })).toBe(true);
    held.resolve({ isGood: true });
  });
});

describe('messages', () => {
  it('name the worker and the call', async () => {
    const h = harness({}, { autoStart: true });
    await expect(h.worker.substantiate(undefined, { signal: AbortSignal.abort() })).rejects.toThrow(
      'substantiation of local was cancelled by its caller'
    );
    h.substantiate();
    await h.flush();
    h.worker.buildStarted();
    expect(() => h.worker.buildFinished('done' as never)).toThrow(
      'local.buildFinished: unknown result "done"'
    );
    expect(h.eventsOf('attached')).toEqual([{ type: 'attached', worker: 'local' }]);
  });
});
