import { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import { BUILD_RESULTS } from '../../src/index.js';
import { CHECK_ANSWERS, START_ANSWERS, STOP_ANSWERS } from '../model/answers.js';
import type { ModelSettings } from '../model/lifecycleModel.js';
import { StepCommand, type Run, type Step } from './steps.js';
import type { World } from './world.js';

/**
 * `numRuns` for a property: `ci` unless FC_NUM_RUNS is set (vitest.setup.ts turns that into
 * the global default, which explicit params would override).
 */
export function runs(ci: number): { numRuns?: number } {
  return process.env.FC_NUM_RUNS ? {} : { numRuns: ci };
}

/** A test timeout that grows with FC_NUM_RUNS (`npm run test:deep`). */
export const timeoutFor = (ci: number) =>
  60_000 * Math.max(1, Number(process.env.FC_NUM_RUNS ?? 0) / ci);

/**
 * Timer lengths chosen so that no two timers that interact can fall due at the same instant:
 * the clock moves in whole seconds and every length has its own remainder modulo 1 s.
 */
export const settingsArb: fc.Arbitrary<ModelSettings> = fc.record({
  buildWaitTimeout: fc.constantFrom(2_700, 0, -1),
  missingTimeout: fc.constantFrom(3_500, 0),
  stopTimeout: fc.constantFrom(1_900, 5_900, 0),
  checkInstanceInterval: fc.constant(1_300),
  healthCheck: fc.constantFrom(true, true, true, false),
  pauseAfterFailures: fc.constantFrom(2, 3, 5),
  quarantine: fc.constant({ initial: 1_100, factor: 2, max: 9_000 }),
  // Most runs journal their starts and stops, so that a crash can be recovered from.
  journal: fc.constantFrom(true, true, true, false),
  // 650: also after a stop's deadline (.900 + .650 = .550) no other timer falls due with it.
  adoptTimeout: fc.constantFrom(6_650, 6_650, 6_650, 0)
});

export const scriptArb = fc.record({
  // Most starts succeed, so that runs get past the start; hangs, and refusals (after which
  // Buildbot's own workers forgot to stop), would be rare otherwise.
  start: fc.array(
    fc.oneof(
      { arbitrary: fc.constant('started' as const), weight: 4 },
      { arbitrary: fc.constantFrom('hangs' as const, 'hangsForever' as const), weight: 1 },
      { arbitrary: fc.constant('refused' as const), weight: 1 },
      { arbitrary: fc.constantFrom(...START_ANSWERS), weight: 4 }
    ),
    { minLength: 1, maxLength: 6 }
  ),
  stop: fc.array(fc.constantFrom(...STOP_ANSWERS), { minLength: 1, maxLength: 3 }),
  check: fc.array(fc.constantFrom(...CHECK_ANSWERS), { minLength: 1, maxLength: 3 })
});

const step = (weight: number, arb: fc.Arbitrary<Step>) => ({ weight, arbitrary: arb });

/**
 * Every orchestrator call, time, and provider answers, weighted to move the lifecycle along
 * (a shutdown ends the interesting part of a run, so it is rare; `finish` always adds one).
 */
export const stepArb: fc.Arbitrary<StepCommand> = fc
  .oneof(
    step(
      8,
      fc.boolean().map((withdrawable) => ({ call: 'substantiate', withdrawable }))
    ),
    step(
      2,
      fc.nat(3).map((nth) => ({ call: 'withdraw', nth }))
    ),
    step(
      3,
      fc.boolean().map((fast) => ({ call: 'insubstantiate', fast }))
    ),
    step(5, fc.constant({ call: 'attach' })),
    step(
      3,
      fc
        .constantFrom('last', 'previous', 'unnamed')
        .map((connection) => ({ call: 'detach', connection }))
    ),
    step(3, fc.constant({ call: 'buildStarted' })),
    step(
      3,
      fc.constantFrom(...BUILD_RESULTS).map((result) => ({ call: 'buildFinished', result }))
    ),
    step(1, fc.constant({ call: 'pause' })),
    step(2, fc.constant({ call: 'unpause' })),
    step(
      1,
      fc.boolean().map((fast) => ({ call: 'shutdown', fast }))
    ),
    step(
      6,
      fc.constantFrom(1_000, 2_000, 10_000).map((ms) => ({ call: 'advance', ms }))
    ),
    step(12, fc.constant({ call: 'release' })),
    step(3, fc.constant({ call: 'crash' }))
  )
  .map((s: Step) => new StepCommand(s));

export function lifecycleArbitraries(maxCommands = 100) {
  return {
    settings: settingsArb,
    script: scriptArb,
    s: fc.scheduler(),
    steps: fc.commands([stepArb], { maxCommands, size: 'large' })
  };
}

/**
 * Shuts the worker down and lets the provider answer until it is down, checking every step
 * (the backend also ends the calls a crash abandoned, those that end at all); then every
 * promise has settled, every start has had its stop, and nothing calls the provider any more.
 */
export async function finish(run: Run): Promise<void> {
  const act = (s: Step) => new StepCommand(s).run(run.model, run);
  await act({ call: 'shutdown', fast: false });
  // Let the provider answer and time pass until nothing more can happen.
  const { model, world } = run;
  const abandoned = () => (world ? world.ledger.tasks - world.ledger.current.tasks : 0);
  for (let i = 0; i < 80; i++) {
    const up = model.phase !== 'shutDown';
    if (up && model.pending?.arrived) await act({ call: 'release' });
    else if (up && model.takedown === 'pending') await act({ call: 'advance', ms: 2_000 });
    else if (abandoned() > 0) await act({ call: 'release' });
    else break;
  }
  expect([...model.outcomes.values()], 'every substantiate() settled').not.toContain('pending');
  if (world) assertNothingLeft(world, model.phase === 'shutDown');
  if (model.phase === 'shutDown') return;
  // Left behind: only a call that never returns, and only past the deadline when there is one.
  expect(model.pending?.arrived, 'what holds the worker up is a hung call').toBe(false);
  if (model.settings.stopTimeout > 0) {
    expect(model.shutdownState, 'shutdown() settled by its deadline').toBe('resolved');
    expect(model.takedown, 'the takedown is overdue').toBe('overdue');
  }
  await act({ call: 'advance', ms: 10_000_000 });
  await act({ call: 'release' });
}

/**
 * After the last process's shutdown (`down`: it got to `shutDown`), across every process:
 * each start was followed by exactly one completed stop of its instance, but for one
 * exception, a stop that completed in the backend while a crash kept it from its record
 * (unseen): then recovery stops the instance again. So every stop of an instance but its last
 * either threw (the instance stays open, recovery stops it again) or was abandoned by a crash.
 * Once down, the last process owes no stop, and the journal holds nothing open but instances
 * whose last stop threw.
 */
function assertNothingLeft(world: World, down: boolean): void {
  const { ledger } = world;
  for (const [generation, { stops }] of ledger.instances) {
    stops.slice(0, -1).forEach((stop, nth) => {
      const allowed = stop.end === 'threw' || !stop.seen;
      const message = `stop #${nth + 1} of generation ${generation} completed, yet another came`;
      expect(allowed, message).toBe(true);
    });
    const last = stops.at(-1);
    if (!down) continue;
    expect(last, `generation ${generation} was stopped`).toBeDefined();
    expect(last?.seen, `the last stop of generation ${generation} returned`).toBe(true);
  }
  if (!down) return;
  expect(ledger.current.owed, 'the last process stopped every instance it held').toEqual([]);
  for (const { generation } of ledger.openInJournal()) {
    const last = ledger.instances.get(generation)?.stops.at(-1);
    expect(last?.end, `generation ${generation} left open in the journal: its stop`).toBe('threw');
  }
}
