import { fc, test } from '@fast-check/vitest';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { ScheduledFleet, type FleetScript } from './scheduledFleet.js';

// The Fleet under random interleavings of provider answers, builds, submits, cancels, lost
// connections and time: no request is lost or finished twice, every outcome settles, the
// caps hold, a build runs only on an instance started for a compatible build, and after
// shutdown every start has had its stop.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const script: fc.Arbitrary<FleetScript> = fc.record({
  workers: fc.integer({ min: 1, max: 3 }),
  maxBuilds: fc.integer({ min: 1, max: 3 }),
  buildWaitTimeout: fc.constantFrom(-1, 0, 5_000),
  maxConcurrentStarts: fc.integer({ min: 1, max: 3 }),
  maxAttempts: fc.constantFrom(1, 3, Infinity),
  kinds: fc.boolean(),
  starts: fc.array(
    fc.constantFrom('started', 'started', 'refused', 'rejects', 'cannotSubstantiate'),
    {
      minLength: 1,
      maxLength: 8
    }
  ),
  builds: fc.array(fc.constantFrom('success', 'failure', 'throws', 'dropsConnection'), {
    minLength: 1,
    maxLength: 8
  })
});

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

type Step =
  | { type: 'submit'; only: number | undefined; kind: 'a' | 'b' }
  | { type: 'cancel'; id: number }
  | { type: 'disconnect'; worker: number }
  | { type: 'tick' }
  | { type: 'release' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('submit' as const),
      only: fc.option(fc.nat(2), { nil: undefined }),
      kind: fc.constantFrom('a' as const, 'b' as const)
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('cancel' as const),
      id: fc.integer({ min: 1, max: 8 })
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('disconnect' as const), worker: fc.nat(2) })
  },
  { weight: 1, arbitrary: fc.constant({ type: 'tick' as const }) },
  { weight: 5, arbitrary: fc.constant({ type: 'release' as const }) }
);

test.prop(
  { s: fc.scheduler(), script, steps: fc.array(step, { maxLength: 30 }) },
  { numRuns: 200 }
)(
  'the fleet loses no request, settles every outcome once, respects its caps, runs builds on instances of their kind and pairs starts with stops',
  async ({ s, script, steps }) => {
    // Arrange
    const world = new ScheduledFleet(s, script);
    // Act
    for (const next of steps) {
      if (next.type === 'submit') {
        const only = next.only === undefined ? undefined : [`w${next.only % script.workers}`];
        world.submit(only, next.kind);
      } else if (next.type === 'cancel') world.cancel(next.id);
      else if (next.type === 'disconnect') world.disconnect(next.worker);
      else if (next.type === 'tick') await vi.advanceTimersByTimeAsync(10_000);
      else if (s.count() > 0) await s.waitNext(1);
      await settle(); // let the fleet react (dispatch passes) before the next step
    }
    await s.waitFor(world.fleet.shutdown());
    // Assert
    expect(world.violations).toEqual([]);
    const finished = world.events.flatMap((e) => (e.type === 'finished' ? [e.id] : []));
    expect([...finished].sort((a, b) => a - b)).toEqual([...world.outcomes.keys()]);
    for (const [id, outcome] of world.outcomes) {
      expect(outcome, `build ${id}`).toBeDefined();
      expect(outcome!.attempts).toBeLessThanOrEqual(script.maxAttempts);
    }
    for (const worker of world.workers) {
      expect(worker.status.state).toBe('shutDown');
      expect(world.stops.get(worker.name) ?? 0).toBe(world.starts.get(worker.name) ?? 0);
    }
    expect(world.startsInFlight).toBe(0);
  }
);
