import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { fleetHarness } from './support.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('lists the waiting requests in the order they will be served, with their attempts', async () => {
  const h = fleetHarness(['w1'], { worker: { maxBuilds: 1 }, provider: { autoStop: true } });
  vi.setSystemTime(1_000);
  const first = h.submit();
  const second = h.submit({ workerNames: ['w1'] });
  h.submit();
  await h.flush();
  // The first is dispatched (w1 substantiating for it); the others wait.
  expect(h.fleet.queueLength).toBe(2);
  expect(h.fleet.queued()).toEqual([
    { id: second.id, attempts: 0, queuedAt: 1_000, workerNames: ['w1'] },
    { id: 3, attempts: 0, queuedAt: 1_000 }
  ]);
  expect(h.fleet.queued(1).map((r) => r.id)).toEqual([second.id]);
  // A refused start puts the first back at the head, one attempt on.
  vi.setSystemTime(2_000);
  h.providers.w1!.completeStart(false);
  await h.flush();
  expect(h.fleet.queued().map((r) => [r.id, r.attempts, r.queuedAt])).toEqual([
    [first.id, 1, 2_000],
    [second.id, 0, 1_000],
    [3, 0, 1_000]
  ]);
});
