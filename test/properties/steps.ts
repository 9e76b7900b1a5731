import type { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { BuildResult } from '../../src/index.js';
import type { LifecycleModel } from '../model/lifecycleModel.js';
import { flush, type World } from './world.js';

/** One thing the outside world does to a worker: an orchestrator call, time, or a provider answer. */
export type Step =
  | { call: 'substantiate'; withdrawable: boolean }
  | { call: 'withdraw'; nth: number }
  | { call: 'insubstantiate'; fast: boolean }
  | { call: 'attach' }
  | { call: 'detach'; connection: 'last' | 'previous' | 'unnamed' }
  | { call: 'buildStarted' }
  | { call: 'buildFinished'; result: BuildResult }
  | { call: 'pause' }
  | { call: 'unpause' }
  | { call: 'shutdown'; fast: boolean }
  | { call: 'advance'; ms: number }
  | { call: 'release' }
  /** The orchestrator's process dies and is restarted on the same journal. */
  | { call: 'crash' };

/**
 * The situations where implementations usually go wrong (issues 5 and 8, and crash recovery);
 * the generators must reach them.
 */
export const CORNERS = [
  'substantiate while a start or check is being cancelled',
  'shutdown with a queued substantiation',
  'attach during the start',
  'attach while a health check runs',
  'detach during a stop',
  'missing timeout while the start hangs',
  'a queued request reaches its deadline behind a takedown',
  'the stop deadline passes while the stop hangs',
  'the stop deadline passes while a cancelled start or check runs',
  'a cancelled call returns after the stop deadline',
  'shutdown while the takedown is overdue',
  'a crash while the start runs',
  'a crash while the stop runs',
  'a crash while a stop that will complete runs (its record is lost)',
  'a crash during recovery',
  'a crash while a leftover waits for its agent',
  'an attach adopts a leftover',
  'a substantiation queued behind recovery'
] as const;
export type Corner = (typeof CORNERS)[number];

/** One generated run: the reference model, the real worker (absent for model-only runs), ids. */
export class Run {
  waiters = 0;
  stopRequests = 0;
  connections = 0;
  readonly withdrawable: number[] = [];
  readonly corners = new Set<Corner>();

  constructor(
    readonly model: LifecycleModel,
    readonly world?: World,
    /** `deadlines`: hold the world to its deadlines only (no model, no contract checks). */
    readonly checks: 'all' | 'deadlines' = 'all'
  ) {}
}

export class StepCommand implements fc.AsyncCommand<LifecycleModel, Run> {
  constructor(readonly step: Step) {}

  check(): boolean {
    return true;
  }

  async run(_: LifecycleModel, run: Run): Promise<void> {
    const before = cornerState(run.model);
    noteCorners(this.step, run);
    await perform(this.step, run);
    noteOutcomes(before, run);
    run.model.settleSynchronous();
    if (!run.world) return;
    await flush();
    if (run.checks === 'deadlines') {
      expect(run.world.overdueWaits(), 'every wait has a deadline').toEqual([]);
      return;
    }
    assertInvariants(run.world);
    expect(observed(run.world)).toEqual(expected(run.model));
  }

  toString(): string {
    const { call, ...args } = this.step;
    const values = Object.values(args).map((value) => JSON.stringify(value));
    return `${call}(${values.join(', ')})`;
  }
}

async function perform(step: Step, run: Run): Promise<void> {
  const { model, world } = run;
  switch (step.call) {
    case 'substantiate': {
      const waiter = ++run.waiters;
      if (step.withdrawable) run.withdrawable.push(waiter);
      world?.substantiate(waiter, step.withdrawable);
      return model.substantiate(waiter);
    }
    case 'withdraw': {
      const waiter = run.withdrawable[step.nth % Math.max(1, run.withdrawable.length)];
      if (waiter === undefined) return;
      world?.withdraw(waiter);
      return model.withdraw(waiter);
    }
    case 'insubstantiate':
      world?.insubstantiate(++run.stopRequests, step.fast);
      return model.insubstantiate(run.stopRequests, step.fast);
    case 'attach': {
      const id = ++run.connections;
      const verdict = model.attach(id);
      if (world) expect(world.attach(id), `attached() of connection ${id}`).toBe(verdict);
      return;
    }
    case 'detach': {
      const id = { last: run.connections, previous: run.connections - 1, unnamed: 0 }[
        step.connection
      ];
      if (id < 0 || (id === 0 && step.connection !== 'unnamed')) return;
      world?.detach(id || undefined);
      return model.detach(id || undefined);
    }
    case 'buildStarted':
      world?.worker.buildStarted();
      return model.buildStarted();
    case 'buildFinished': {
      const finished = model.buildFinished(step.result);
      if (world)
        expect(world.buildFinished(step.result), 'buildFinished() did not throw').toBe(finished);
      return;
    }
    case 'pause':
      world?.worker.pause('by hand');
      return model.pause();
    case 'unpause':
      world?.worker.unpause();
      return model.unpause();
    case 'shutdown':
      world?.callShutdown(step.fast);
      return model.shutdown(step.fast);
    case 'advance':
      await world?.advance(step.ms);
      return model.advance(step.ms);
    case 'release': {
      // The worker sees only its own process's answers; an abandoned call's reaches no one.
      const released = world ? await world.release() : 'current';
      if (released === 'current' && model.pending?.arrived) model.answer();
      return;
    }
    case 'crash':
      world?.crash();
      return model.crash();
  }
}

function noteCorners(step: Step, { model, corners }: Run): void {
  const note = (corner: Corner, when: boolean | undefined) => when && corners.add(corner);
  const { phase, cancelling } = model;
  note(CORNERS[0], step.call === 'substantiate' && cancelling && !model.shuttingDown);
  note(CORNERS[1], step.call === 'shutdown' && model.queued !== undefined);
  note(
    CORNERS[10],
    step.call === 'shutdown' && model.takedown === 'overdue' && !model.shuttingDown
  );
  note(CORNERS[2], step.call === 'attach' && model.live && phase === 'starting');
  note(CORNERS[3], step.call === 'attach' && model.live && phase === 'checking');
  note(CORNERS[4], step.call === 'detach' && phase === 'insubstantiating' && !!model.connection);
  note(
    CORNERS[5],
    step.call === 'advance' &&
      model.live &&
      model.pending?.answer === 'hangs' &&
      model.settings.missingTimeout > 0
  );
  const crash = step.call === 'crash' && model.journal !== undefined;
  note(CORNERS[11], crash && phase === 'starting' && !!model.pending);
  note(CORNERS[12], crash && phase === 'insubstantiating' && !!model.pending);
  note(CORNERS[13], crash && model.pending?.kind === 'stop' && model.pending.answer === 'stopped');
  note(CORNERS[14], crash && model.recovery === 'stopping');
  note(CORNERS[15], crash && model.recovery === 'adopting');
  note(CORNERS[16], step.call === 'attach' && model.recovery === 'adopting' && !model.shuttingDown);
  note(CORNERS[17], step.call === 'substantiate' && phase === 'recovering' && !model.shuttingDown);
}

/** What the deadline corners are told by: the model before a step. */
function cornerState(model: LifecycleModel) {
  return {
    takedown: model.takedown,
    phase: model.phase,
    queued: model.queued ? [...model.queued] : [],
    stopTimeouts: model.stopTimeouts
  };
}

/** The corners that only the step's outcome tells. */
function noteOutcomes(before: ReturnType<typeof cornerState>, { model, corners }: Run): void {
  if (before.queued.some((waiter) => model.outcomes.get(waiter) === 'failed:stopping')) {
    corners.add(CORNERS[6]);
  }
  if (model.stopTimeouts > before.stopTimeouts) {
    corners.add(before.phase === 'insubstantiating' ? CORNERS[7] : CORNERS[8]);
  }
  if (before.takedown === 'overdue' && before.phase !== 'insubstantiating') {
    if (model.phase === 'insubstantiating' && model.takedown === 'pending') corners.add(CORNERS[9]);
  }
}

/** The invariants of `lifecycle.md` and `instances.md` that hold whatever the model says. */
export function assertInvariants(world: World): void {
  const { ledger, worker } = world;
  expect(ledger.violations, 'provider contract').toEqual([]);
  expect(world.overdueWaits(), 'every wait has a deadline').toEqual([]);
  expect(world.journalDisagreements(), 'the journal holds what is open').toEqual([]);
  const passwords = [...ledger.passwords];
  expect(new Set(passwords.map(([, p]) => p)).size, 'a new password per start').toBe(
    passwords.length
  );
  // Only the password of the instance the current process holds works, until its stop returned.
  const { password: live } = ledger.current;
  for (const [generation, password] of passwords) {
    const works = live?.generation === generation && live.live;
    expect(worker.checkPassword(password), `password of generation ${generation}`).toBe(works);
  }
}

function observed(world: World) {
  const { status } = world.worker;
  return {
    state: status.state,
    availability: status.availability,
    building: status.building,
    connected: status.connected,
    consecutiveFailures: status.consecutiveFailures,
    canStartBuild: world.worker.canStartBuild(),
    calls: world.ledger.calls.join(' '),
    fastStops: world.ledger.fastStops.join(' '),
    stopTimeouts: world.stopTimeouts,
    stopOverdue: status.stopOverdue,
    instance: status.instance?.generation,
    answersWaiting: world.ledger.current.tasks,
    substantiate: Object.fromEntries(world.outcomes),
    insubstantiate: Object.fromEntries(world.stopRequests),
    shutdown: world.shutdown,
    journal: world.journalOpen(),
    recovered: world.recovered.join(' ')
  };
}

function expected(model: LifecycleModel): ReturnType<typeof observed> {
  return {
    state: model.state,
    availability: model.availability,
    building: model.building,
    connected: model.connection !== undefined,
    consecutiveFailures: model.failures,
    canStartBuild: !model.shuttingDown && model.availability === 'available',
    calls: model.calls.join(' '),
    fastStops: model.fastStops.join(' '),
    stopTimeouts: model.stopTimeouts,
    stopOverdue: model.takedown === 'overdue',
    instance: model.instance,
    answersWaiting: model.pending?.arrived && model.pending.answer !== 'throwsSync' ? 1 : 0,
    substantiate: Object.fromEntries(model.outcomes),
    insubstantiate: Object.fromEntries(model.stopRequests),
    shutdown: model.shutdownState,
    journal: [...(model.journal ?? [])]
      .sort(([a], [b]) => a - b)
      .map(([generation, state]) => `${generation}:${state}`)
      .join(' '),
    recovered: model.recovered.join(' ')
  };
}
