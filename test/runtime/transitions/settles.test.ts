import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LatentWorkerError } from '../../../src/index.js';
import { harness, type Harness, type Tracked } from '../../support/harness.js';

// lifecycle.md invariant 3: every substantiate() settles with true, false or a typed error.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const settledProperly = (t: Tracked<boolean>) =>
  t.status === 'fulfilled' ? typeof t.value === 'boolean' : LatentWorkerError.is(t.error);

/** Substantiate calls made in every state a worker passes through, with nothing completed. */
async function callEverywhere(h: Harness): Promise<Tracked<boolean>[]> {
  const calls = [h.substantiate()]; // idle → starting
  calls.push(h.substantiate()); // joins the start
  h.provider.completeStart(true);
  await h.flush();
  calls.push(h.substantiate()); // substantiated
  h.provider.disconnect();
  calls.push(h.substantiate()); // substantiated, disconnected → queued behind the stop
  calls.push(h.substantiate()); // joins the queued request
  await h.flush();
  return calls;
}

describe('every substantiate() settles', () => {
  it('when the provider answers', async () => {
    const h = harness({}, { autoStop: true });
    const calls = await callEverywhere(h);
    h.provider.completeStart(true);
    await h.flush();
    expect(calls.map((c) => c.value)).toEqual([true, true, true, true, true]);
  });

  it('when the worker shuts down meanwhile', async () => {
    const h = harness({}, { autoStop: true });
    const calls = await callEverywhere(h);
    void h.worker.shutdown();
    calls.push(h.substantiate()); // shutting down
    await h.flush();
    calls.push(h.substantiate()); // still shutting down: the second start runs
    await h.flush();
    expect(calls.every(settledProperly)).toBe(true);
    expect(calls.slice(-2).map((c) => c.value)).toEqual([false, false]);
  });

  it('within missingTimeout when the start never returns, although the stop must wait', async () => {
    const h = harness({ missingTimeout: 60_000 });
    const calls = [h.substantiate(), h.substantiate()];
    await h.advance(60_000);
    expect(calls.every(settledProperly)).toBe(true);
    expect(calls.map((c) => c.status)).toEqual(['rejected', 'rejected']);
    // Later requests queue behind the hung start and are bounded the same way.
    h.worker.unpause();
    const queued = h.substantiate();
    await h.advance(60_000);
    expect(queued.error).toMatchObject({ timedOut: true });
    expect(h.provider.stops).toHaveLength(0);
  });

  it('at once when shutdown() must wait for a start that never returns', async () => {
    const h = harness();
    const calls = [h.substantiate(), h.substantiate()];
    void h.worker.shutdown();
    await h.flush();
    expect(calls.every(settledProperly)).toBe(true);
    expect(h.provider.lastStart?.signal.aborted).toBe(true);
  });
});
