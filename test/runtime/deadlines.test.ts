import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerFailedToSubstantiate } from '../../src/index.js';
import { harness, substantiated, track } from '../support/harness.js';

// Every wait has a deadline (instances.md): a request's from its call, a takedown's from its
// beginning, whatever the provider does.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('a substantiate() queued behind a stop', () => {
  it('settles within missingTimeout of its call when the stop never returns', async () => {
    // The reproduction: queued after the waiting state's only timer had fired, the
    // request had no deadline at all.
    const h = harness({ missingTimeout: 1000 });
    await substantiated(h);
    void h.worker.insubstantiate(); // the stop never returns
    await h.advance(2500);
    const queued = h.substantiate();
    await h.advance(999);
    expect(queued.status).toBe('pending');
    await h.advance(1);
    expect(queued.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(queued.error).toMatchObject({ reason: 'stopping', timedOut: true });
    expect(h.worker.status).toMatchObject({ state: 'insubstantiating', availability: 'available' });
    expect(h.calls()).toEqual(['start', 'stop']);
  });

  it('fails at its own deadline without quarantine when its start was never issued', async () => {
    // Queued 1.3 s into a healthy 3 s stop with missingTimeout 1.5 s: it used to fail 0.2 s
    // later, from the stop's own timer, and quarantine the worker.
    const h = harness({ missingTimeout: 1500 });
    await substantiated(h);
    void h.worker.insubstantiate();
    await h.advance(1300);
    const queued = h.substantiate();
    await h.advance(1499);
    expect(queued.status).toBe('pending');
    await h.advance(1);
    expect(queued.error).toMatchObject({ reason: 'stopping' });
    expect(h.eventsOf('quarantined')).toEqual([]);
    await h.advance(200);
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'available' });
    expect(h.calls()).toEqual(['start', 'stop']);
  });

  it('takes its deadline with it when its caller leaves, so a later request keeps its own', async () => {
    const h = harness({ missingTimeout: 2000 });
    await substantiated(h);
    void h.worker.insubstantiate(); // the stop runs for a while
    const leaving = new AbortController();
    const left = h.substantiate(undefined, { signal: leaving.signal });
    await h.advance(1000);
    leaving.abort();
    await h.flush();
    expect(left.error).toMatchObject({ by: 'caller' });
    await h.advance(500);
    const later = h.substantiate(); // deadline: 3.5 s, not the withdrawn one's 2 s
    await h.advance(1999);
    expect(later.status).toBe('pending');
    expect(h.eventsOf('substantiationFailed')).toEqual([]);
    await h.advance(1);
    expect(later.error).toMatchObject({ reason: 'stopping' });
  });

  it('keeps its deadline when its start begins after the stop (decided corner 1)', async () => {
    const h = harness({ missingTimeout: 2000 }, { autoConnect: false });
    const up = h.substantiate();
    h.provider.completeStart(true);
    h.provider.connect();
    await h.flush();
    expect(up.value).toBe(true);
    void h.worker.insubstantiate();
    await h.advance(1300);
    const queued = h.substantiate(); // deadline: 1.3 s + 2 s = 3.3 s
    await h.advance(1700);
    h.provider.completeStop(); // 3 s: its start begins now, 0.3 s before its deadline
    await h.flush();
    h.provider.completeStart(true);
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
    await h.advance(299);
    expect(queued.status).toBe('pending');
    await h.advance(1);
    expect(queued.error).toMatchObject({ reason: 'timedOut' });
    expect(h.worker.status.availability).toBe('quarantined');
  });
});

describe('stopTimeout bounds every takedown', () => {
  it('a stop that never returns: insubstantiate() resolves at the deadline, and the stop is aborted', async () => {
    const h = harness({ stopTimeout: 5000, missingTimeout: 3000 });
    await substantiated(h);
    const down = track(h.worker.insubstantiate());
    await h.advance(4999);
    const { signal } = h.provider.stops[0]!;
    expect([down.status, signal.aborted]).toEqual(['pending', false]);
    await h.advance(1);
    expect([down.status, signal.aborted]).toEqual(['fulfilled', true]);
    expect(h.eventsOf('stopTimedOut')).toMatchObject([
      { call: 'stop', instance: { name: 'latent-workers-local-1', generation: 1 } }
    ]);
    expect(h.worker.status).toMatchObject({
      state: 'insubstantiating',
      stopOverdue: true,
      instance: { generation: 1 }
    });
    // Overdue: another insubstantiate() does not wait for it.
    expect(await h.worker.insubstantiate().then(() => 'at once')).toBe('at once');
    // No new provider call until the hung one returns; a request meanwhile meets its deadline.
    const waiting = h.substantiate();
    await h.advance(3000);
    expect(waiting.error).toMatchObject({ reason: 'stopping' });
    expect(h.calls()).toEqual(['start', 'stop']);
    h.provider.completeStop(); // it returns after all
    await h.flush();
    expect(h.worker.status).toMatchObject({ state: 'idle', stopOverdue: false });
    expect(h.worker.instance).toBeUndefined();
    h.substantiate();
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop', 'start']);
  });

  it('a start that ignores its signal: shutdown() resolves at the deadline; the late start still gets its stop', async () => {
    const h = harness({ stopTimeout: 5000 });
    const up = h.substantiate();
    const down = track(h.worker.shutdown());
    await h.flush();
    expect(up.error).toMatchObject({ by: 'shutdown' });
    expect(h.provider.lastStart?.signal.aborted).toBe(true);
    await h.advance(5000);
    expect(down.status).toBe('fulfilled');
    expect(h.eventsOf('stopTimedOut')).toMatchObject([{ call: 'start' }]);
    h.provider.completeStart(true); // returns long after its abort
    await h.flush();
    expect(h.calls()).toEqual(['start', 'stop']);
    const { signal } = h.provider.stops[0]!;
    expect(signal.aborted, 'the late stop has a deadline of its own').toBe(false);
    await h.advance(5000);
    expect(signal.aborted).toBe(true);
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.status.state).toBe('shutDown');
  });

  it('each call a takedown waits for has its own deadline: a start returning in time hands over to a full one for the stop', async () => {
    const h = harness({ stopTimeout: 5000 });
    h.substantiate();
    const down = track(h.worker.insubstantiate());
    await h.advance(4000);
    h.provider.completeStart(true); // within its deadline: 1 s to spare
    await h.flush();
    await h.advance(4999);
    expect([down.status, h.provider.stops[0]?.signal.aborted]).toEqual(['pending', false]);
    await h.advance(1);
    expect([down.status, h.provider.stops[0]?.signal.aborted]).toEqual(['fulfilled', true]);
    expect(h.eventsOf('stopTimedOut')).toMatchObject([{ call: 'stop' }]);
  });

  it('a health check that hangs while the substantiation is cancelled is bounded too', async () => {
    const h = harness({ stopTimeout: 5000, checkInstanceInterval: 1000 }, { autoConnect: false });
    // Never answers, and ignores its signal.
    vi.spyOn(h.provider, 'checkInstance').mockImplementation(() => new Promise(() => {}) as never);
    h.substantiate();
    h.provider.completeStart(true);
    await h.advance(1000);
    expect(h.calls()).toEqual(['start', 'check']);
    const down = track(h.worker.insubstantiate());
    await h.advance(5000);
    expect(down.status).toBe('fulfilled');
    expect(h.eventsOf('stopTimedOut')).toMatchObject([{ call: 'check' }]);
  });

  it('stopTimeout 0 means no deadline', async () => {
    const h = harness({ stopTimeout: 0 });
    await substantiated(h);
    const down = track(h.worker.insubstantiate());
    await h.advance(2 ** 31 - 1);
    expect(down.status).toBe('pending');
    expect(h.provider.stops[0]?.signal.aborted).toBe(false);
  });
});

describe('shutdown({ fast })', () => {
  it('passes fast: true to the stop it causes', async () => {
    const h = harness({}, { autoStop: true });
    await substantiated(h);
    await h.worker.shutdown({ fast: true });
    expect(h.provider.stops).toMatchObject([{ fast: true }]);
  });

  it('a later fast call makes a stop that has not begun fast', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate(); // the start runs: the stop follows its return
    const first = h.worker.shutdown();
    expect(h.worker.shutdown({ fast: true })).toBe(first);
    h.provider.completeStart(true);
    await first;
    expect(h.provider.stops).toMatchObject([{ fast: true }]);
  });

  it('without it, stops are graceful', async () => {
    const h = harness({}, { autoStop: true });
    await substantiated(h);
    await h.worker.shutdown();
    expect(h.provider.stops).toMatchObject([{ fast: false }]);
  });
});
