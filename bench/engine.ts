/**
 * The lifecycle engine's cost: substantiate → attach → insubstantiate cycles of one worker with
 * an instant provider, and heap bytes per idle worker, each next to yardsticks measured in the
 * same process: the same chart with every named action a no-op (the ceiling XState sets for
 * this shape) and the switch-based baseline (no statechart at all).
 *
 * Cycles are counted per second of CPU time (`process.cpuUsage`), the subjects interleaved
 * round by round: on a loaded shared machine wall-clock ratios swing several times over.
 */
import { createActor, type AnyActorRef } from 'xstate';
import type { Connection, CheckResult, Provider } from '../src/index.js';
import type { CheckInput, StartInput, StopInput } from '../src/machines/latentWorker/machine.js';
import type { Recovery } from '../src/machines/latentWorker/types.js';
import * as library from '../src/index.js';
import { SwitchWorker } from './baseline.js';

/** What a benchmark needs of a build of the library (this one, or another one's `dist`). */
export type Library = Pick<
  typeof library,
  'createLatentWorker' | 'latentWorkerMachine' | 'fromProviderCall'
>;

/** One substantiate → attach → insubstantiate cycle of a subject made for the benchmark. */
export type Cycle = () => Promise<void>;

export const instant: Provider = { startInstance() {}, stopInstance() {} };
const connection: Connection = { disconnect() {} };

/** The part of a LatentWorker (or of the baseline) that a cycle uses. */
export interface CycleSubject {
  substantiate(): Promise<boolean>;
  attached(connection: Connection): void;
  insubstantiate(): Promise<void>;
}

/** Cycles of `worker`, its agent attaching during the start. */
export function cycleOf(worker: CycleSubject): Cycle {
  return async () => {
    const up = worker.substantiate();
    worker.attached(connection); // during the start: remembered until it returns
    if (!(await up)) throw new Error('substantiation failed');
    await worker.insubstantiate();
  };
}

/** A LatentWorker of `lib`. */
export const workerCycle = (lib: Library = library): Cycle =>
  cycleOf(lib.createLatentWorker({ name: 'bench', provider: instant }));

/** The switch-based baseline: the same Promise API with no statechart, timers or events. */
export const switchCycle = (): Cycle => cycleOf(new SwitchWorker('bench', instant));

/**
 * The same chart with every named action a no-op and instant provider calls: what XState
 * alone costs for this shape. Without the actions nothing is recorded, so the attach comes
 * once the start returned (`connecting`): the same five events a worker's cycle takes.
 */
export function noopChart(lib: Library = library) {
  const { latentWorkerMachine: machine, fromProviderCall } = lib;
  const noop = () => undefined;
  return machine.provide({
    actions: Object.fromEntries(
      Object.keys(machine.implementations.actions).map((name) => [name, noop])
    ),
    actors: {
      startInstance: fromProviderCall<unknown, StartInput>(noop),
      stopInstance: fromProviderCall<void, StopInput>(noop),
      checkInstance: fromProviderCall<CheckResult, CheckInput>(() => ({ isGood: true })),
      readJournal: fromProviderCall<Recovery, void>(() => ({ lastGeneration: 0, leftovers: [] }))
    }
  });
}

export function ceilingCycle(lib: Library = library): Cycle {
  const actor = createActor(noopChart(lib), {
    input: { name: 'bench', settings: settingsOf(lib) }
  });
  const reached = until(actor.start());
  let waiter = 0;
  return async () => {
    actor.send({ type: 'substantiate', waiter: ++waiter, props: undefined });
    await reached({ instance: { substantiating: 'connecting' } });
    actor.send({ type: 'attach', connection });
    actor.send({ type: 'insubstantiate', fast: false });
    await reached({ instance: 'idle' });
  };
}

/** The settings a default worker of `lib` runs with. */
function settingsOf(lib: Library) {
  const worker = lib.createLatentWorker({ name: 'settings', provider: instant });
  return worker.actor.getSnapshot().context.settings;
}

/** Resolves when the actor's snapshot matches `state`. */
function until(actor: AnyActorRef) {
  let wanted: { state: object; resolve: () => void } | undefined;
  actor.subscribe((snapshot: { matches(state: object): boolean }) => {
    if (wanted && snapshot.matches(wanted.state)) {
      const { resolve } = wanted;
      wanted = undefined;
      resolve();
    }
  });
  return (state: object) => new Promise<void>((resolve) => (wanted = { state, resolve }));
}

/** Wall-clock cycles per second of `cycle` over `cycles` cycles, after a warm-up. */
export async function cyclesPerSecond(cycle: Cycle, cycles: number): Promise<number> {
  for (let i = 0; i < Math.min(1000, cycles / 10); i++) await cycle();
  const started = performance.now();
  for (let i = 0; i < cycles; i++) await cycle();
  return (cycles / (performance.now() - started)) * 1000;
}

export interface Figure {
  median: number;
  low: number;
  high: number;
}

/** The median and range of `values`. */
export const figure = (values: number[]): Figure => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, low: sorted[0]!, high: sorted.at(-1)! };
};

/**
 * Cycles per CPU second of each subject: a warm-up, then `rounds` rounds in which every
 * subject runs `cycles` cycles in turn. Returns each subject's rate in every round; compare
 * two subjects by the median of their ratios round by round, which the machine's load
 * changes far less than either rate.
 */
export async function cyclesPerCpuSecond<K extends string>(
  subjects: Record<K, Cycle>,
  { rounds, cycles }: { rounds: number; cycles: number }
): Promise<Record<K, number[]>> {
  const names = Object.keys(subjects) as K[];
  const rates = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (const name of names) for (let i = 0; i < Math.min(2000, cycles); i++) await subjects[name]();
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const cycle = subjects[name];
      const before = process.cpuUsage();
      for (let i = 0; i < cycles; i++) await cycle();
      const { user, system } = process.cpuUsage(before);
      rates[name].push(cycles / ((user + system) / 1e6));
    }
  }
  return rates;
}

/** A count as it is printed: `12,345`. */
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/** A median with its range: `6,029 (2,901–7,780)`. */
export const range = ({ median, low, high }: Figure) => `${fmt(median)} (${fmt(low)}–${fmt(high)})`;

/** `a`'s rate over `b`'s, round by round. */
export const ratios = (a: number[], b: number[]): Figure => figure(a.map((x, i) => x / b[i]!));

/**
 * Heap bytes allocated per cycle, over `cycles` cycles during which no garbage collection
 * runs (run with a young generation large enough, e.g. `--min-semi-space-size=128
 * --max-semi-space-size=128`); undefined if one ran all the same.
 */
export async function allocatedPerCycle(cycle: Cycle, cycles: number): Promise<number | undefined> {
  for (let i = 0; i < 2000; i++) await cycle();
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  let last = before;
  for (let i = 0; i < cycles; i++) {
    await cycle();
    const used = process.memoryUsage().heapUsed;
    if (used < last) return undefined; // collected meanwhile
    last = used;
  }
  return (last - before) / cycles;
}

/** Heap bytes per object `make` returns, from `count` of them kept alive at once. */
export function heapPerObject(make: (i: number) => unknown, count: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: count }, (_, i) => make(i));
  gc();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / count;
  if (kept.length !== count) throw new Error('unreachable');
  return bytes;
}

/** Idle LatentWorkers of `lib`. */
export const idleWorker =
  (lib: Library = library) =>
  (i: number) =>
    lib.createLatentWorker({ name: `w${i}`, provider: instant });

/** Idle LatentWorkers of `lib` whose `events$` someone subscribed to, as a Fleet does. */
export const watchedWorker =
  (lib: Library = library) =>
  (i: number) => {
    const worker = lib.createLatentWorker({ name: `w${i}`, provider: instant });
    worker.events$.subscribe(() => undefined);
    return worker;
  };

/** Started bare actors of the no-op chart: XState's own share of an idle worker. */
export function bareActor(lib: Library = library) {
  const machine = noopChart(lib);
  const settings = settingsOf(lib);
  return (i: number) => createActor(machine, { input: { name: `w${i}`, settings } }).start();
}

export const switchWorker = (i: number) => new SwitchWorker(`w${i}`, instant);
