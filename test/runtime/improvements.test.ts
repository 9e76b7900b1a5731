import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerCannotSubstantiate, type StartContext } from '../../src/index.js';
import { harness, type Props } from '../support/harness.js';

// lifecycle.md "Improvements over Buildbot": one test per row.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('improvements over Buildbot', () => {
  it('1a. a cancelled substantiation leaves no missing timer behind (hazard 7.3.1)', async () => {
    const h = harness({ missingTimeout: 60_000 }, { autoStop: true });
    const cancelled = h.substantiate();
    await h.advance(30_000);
    void h.worker.insubstantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(cancelled.status).toBe('rejected');
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build.value).toBe(true);
    h.worker.buildStarted();
    // Past the first substantiation's deadline: nothing fires under the running build.
    await h.advance(60_000);
    expect(h.worker.status).toMatchObject({ state: 'substantiated', building: 1 });
    expect(h.eventsOf('substantiationFailed')).toEqual([]);
  });

  it('1b. the missing timer ends with the connected-worker shortcut (hazard 7.3.2)', async () => {
    const h = harness(
      { buildWaitTimeout: -1, missingTimeout: 60_000 },
      { autoConnect: false, autoDisconnect: false, autoStop: true }
    );
    h.substantiate();
    h.provider.completeStart(true);
    h.provider.connect();
    await h.flush();
    await h.worker.insubstantiate();
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(build.value).toBe(true);
    h.worker.buildStarted();
    await h.advance(120_000);
    expect(h.worker.status).toMatchObject({ state: 'substantiated', building: 1 });
    expect(h.provider.state).toBe('started');
  });

  it('1c. with buildWaitTimeout 0, a build starting in the same tick is not stopped under (hazard 7.3.4)', async () => {
    const h = harness({ buildWaitTimeout: 0 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    const next = await h.worker.substantiate();
    expect(next).toBe(true);
    h.worker.buildStarted();
    await h.advance(1000);
    expect(h.provider.stopPending).toBe(false);
    expect(h.worker.status).toMatchObject({ state: 'substantiated', building: 1 });
  });

  it('2. a cancel aborts a long boot through its signal, still followed by exactly one stop', async () => {
    const h = harness({}, { autoStop: true });
    const aborted = vi.fn();
    const boot = vi.spyOn(h.provider, 'startInstance');
    boot.mockImplementationOnce((ctx: StartContext<Props>) => {
      h.provider.state = 'starting';
      return new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted();
          h.provider.state = 'started';
          reject(new Error(`boot aborted: ${String(ctx.signal.reason)}`));
        });
      });
    });
    const build = h.substantiate();
    await h.flush();
    expect(aborted).not.toHaveBeenCalled();
    await h.worker.insubstantiate();
    expect(aborted).toHaveBeenCalledTimes(1);
    expect(build.status).toBe('rejected');
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'available' });
  });

  it('3. LatentWorkerCannotSubstantiate neither quarantines nor counts toward pausing', async () => {
    const h = harness({ pauseAfterFailures: 2 }, { autoStop: true });
    for (let i = 0; i < 3; i++) {
      const build = h.substantiate();
      h.provider.completeStart(new LatentWorkerCannotSubstantiate('unknown image'));
      await h.flush();
      expect(build.error).toBeInstanceOf(LatentWorkerCannotSubstantiate);
    }
    expect(h.worker.status).toMatchObject({ availability: 'available', consecutiveFailures: 0 });
    expect(h.provider.stops).toHaveLength(3);
  });

  it('4. one waiter leaving does not cancel a substantiation others wait on', async () => {
    const h = harness();
    const leaving = new AbortController();
    const cancelled = h.substantiate(undefined, { signal: leaving.signal });
    const staying = h.substantiate();
    leaving.abort();
    await h.flush();
    expect(cancelled.status).toBe('rejected');
    expect(h.provider.lastStart?.signal.aborted).toBe(false);
    h.provider.completeStart(true);
    await h.flush();
    expect(staying.value).toBe(true);
    expect(h.provider.stops).toHaveLength(0);
  });

  it('5. an instance that never ran a build is still stopped by the idle timer (hazard 7.3.5)', async () => {
    const h = harness({ buildWaitTimeout: 5000 });
    h.substantiate();
    h.provider.completeStart(true);
    await h.advance(4999);
    expect(h.provider.stopPending).toBe(false);
    await h.advance(1);
    expect(h.provider.stopPending).toBe(true);
  });

  it('6. a start returning undefined means success', async () => {
    const h = harness({}, { autoConnect: false });
    vi.spyOn(h.provider, 'startInstance').mockImplementationOnce(() => {
      h.provider.state = 'started';
      return Promise.resolve(undefined);
    });
    const build = h.substantiate();
    await h.flush();
    expect(h.worker.status.state).toBe('substantiating');
    h.provider.connect();
    await h.flush();
    expect(build.value).toBe(true);
  });

  it('7. too many consecutive failures pause the worker, with a reason, until unpause()', async () => {
    const h = harness({}, { autoStop: true });
    for (const quarantine of [10_000, 20_000, 40_000, 80_000]) {
      h.substantiate();
      h.provider.completeStart(false);
      await h.advance(quarantine);
    }
    expect(h.worker.status).toMatchObject({ availability: 'available', consecutiveFailures: 4 });
    h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    expect(h.worker.status).toMatchObject({
      availability: 'paused',
      pauseReason: 'too many failures',
      consecutiveFailures: 5
    });
    expect(h.eventsOf('paused')).toEqual([
      { type: 'paused', worker: 'local', reason: 'too many failures' }
    ]);
    await h.advance(24 * 3_600_000);
    expect(h.worker.status.availability).toBe('paused');
    h.worker.unpause();
    expect(h.worker.status).toMatchObject({ availability: 'available', consecutiveFailures: 0 });
  });

  it('8. the missing timeout defaults to 20 minutes', async () => {
    const h = harness({}, { autoConnect: false });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.advance(20 * 60_000 - 1);
    expect(build.status).toBe('pending');
    await h.advance(1);
    expect(build.error).toMatchObject({ timedOut: true });
  });
});
