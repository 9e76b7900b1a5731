import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerError, type CheckResult } from '../../src/index.js';
import { harness, slowConnection, substantiated } from '../support/harness.js';

// lifecycle.md, "Decided corners": where this engine and Buildbot 3.7 disagreed, decided.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('late calls after shutdown() are ignored quietly (corner 2)', () => {
  it('buildStarted() and the matching buildFinished() included', async () => {
    const h = harness({}, { autoStop: true });
    await substantiated(h);
    await h.worker.shutdown();
    expect(() => {
      h.worker.buildStarted();
      h.worker.buildFinished('success');
    }).not.toThrow();
    expect(h.worker.status).toMatchObject({ state: 'shutDown', building: 0 });
  });

  it('also while the shutdown is still stopping the instance', async () => {
    const h = harness();
    await substantiated(h);
    void h.worker.shutdown();
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    expect(h.worker.status).toMatchObject({ building: 0, availability: 'available' });
  });

  it('before shutdown(), a buildFinished() without a build still throws', () => {
    const h = harness();
    expect(() => h.worker.buildFinished()).toThrow(LatentWorkerError);
  });
});

describe('a failure while paused still lengthens the back-off (corner 3)', () => {
  it('after unpause(), the next quarantine is the doubled one', async () => {
    const h = harness({ quarantine: { initial: 10_000 } }, { autoStop: true });
    const first = h.substantiate();
    h.worker.pause('maintenance');
    h.provider.completeStart(false); // refused while paused
    await h.flush();
    expect(first.status).toBe('rejected');
    expect(h.worker.status).toMatchObject({ availability: 'paused', nextQuarantine: 20_000 });
    h.worker.unpause();
    const second = h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(second.status).toBe('rejected');
    expect(h.eventsOf('quarantined')).toMatchObject([{ duration: 20_000 }]);
  });
});

describe('several insubstantiate() calls before the stop runs: fast wins (corner 4)', () => {
  it.each([
    ['fast first', [true, false]],
    ['fast last', [false, true]]
  ])('%s', async (_, order) => {
    const h = harness({}, { autoStop: true });
    h.substantiate(); // the stop waits for this start
    for (const fast of order) void h.worker.insubstantiate({ fast });
    h.provider.completeStart(true);
    await h.flush();
    expect(h.provider.stops).toMatchObject([{ fast: true }]);
  });
});

describe('shutdown() drops the connection at once, in every state (corner 5)', () => {
  it('during the start, when the worker attached early', async () => {
    const h = harness({}, { autoConnect: false });
    h.substantiate();
    const connection = slowConnection();
    h.worker.attached(connection); // remembered until the start returns
    void h.worker.shutdown();
    expect(connection.disconnect).toHaveBeenCalledTimes(1);
    expect(h.worker.status.connected).toBe(false);
  });

  it('during a stop, while the instance is still connected', async () => {
    const h = harness({}, { autoConnect: false });
    const up = h.substantiate();
    h.provider.completeStart(true);
    const connection = slowConnection();
    h.worker.attached(connection);
    await h.flush();
    expect(up.value).toBe(true);
    void h.worker.insubstantiate(); // the stop takes its connection down in its own time
    await h.flush();
    expect([h.worker.status.connected, connection.disconnect.mock.calls.length]).toEqual([true, 0]);
    void h.worker.shutdown();
    expect(connection.disconnect).toHaveBeenCalledTimes(1);
    expect(h.worker.status.connected).toBe(false);
  });

  it('idle, on a never-idle worker that keeps its connection; later attaches are refused', () => {
    const h = harness({ buildWaitTimeout: -1 });
    const connection = slowConnection();
    h.worker.attached(connection); // any state takes one while buildWaitTimeout < 0
    expect(h.worker.status.connected).toBe(true);
    void h.worker.shutdown();
    expect(connection.disconnect).toHaveBeenCalledTimes(1);
    expect(() => h.worker.attached(slowConnection())).toThrow(/shut down/);
  });
});

describe('a health check that answers nothing (defect 5)', () => {
  it.each([
    ['returned', () => undefined],
    ['resolved', () => Promise.resolve(undefined)]
  ])('counts as good when %s', async (_, check) => {
    const h = harness({ checkInstanceInterval: 1_000 }, { autoConnect: false });
    vi.spyOn(h.provider, 'checkInstance').mockImplementation(check as unknown as () => CheckResult);
    const up = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(3_500);
    expect(h.calls()).toEqual(['start', 'check', 'check', 'check']);
    h.provider.connect();
    await h.flush();
    expect(up.value).toBe(true);
  });
});
