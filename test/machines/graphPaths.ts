import type { AnyStateMachine } from 'xstate';
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph';
import {
  LatentWorkerCannotSubstantiate,
  latentWorkerMachine,
  type WorkerSettings
} from '../../src/index.js';

type Machine = typeof latentWorkerMachine;
export type Snapshot = ReturnType<Machine['transition']>;
/** Any event the chart can take, including the provider's answers and fired timers. */
export interface ChartEvent {
  type: string;
  [key: string]: unknown;
}
export type Path = StatePath<Snapshot, ChartEvent>;

/** Raised by the chart itself; the outside world never sends them. */
const RAISED = new Set(['substantiation.timedOut', 'request.timedOut', 'worker.failed']);

/** Delayed raises, fired like timers: a request's deadline, a restored substantiation's. */
const TIMERS = ['request.timedOut', 'substantiation.timedOut'];

/**
 * Two worker configurations between them enable every guard: one that stops idle instances,
 * has an attach deadline and a health check; one that never idles out, has no deadline and no
 * health check. Delays are small so that a replay reaches them quickly.
 */
export const VARIANTS: Record<string, WorkerSettings> = {
  stopsWhenIdle: {
    buildWaitTimeout: 30,
    missingTimeout: 50,
    stopTimeout: 70,
    checkInstanceInterval: 20,
    healthCheck: true,
    maxBuilds: Infinity,
    quarantine: { initial: 1_000, factor: 2, max: 4_000 },
    pauseAfterFailures: 2,
    adoptTimeout: 40
  },
  neverIdles: {
    buildWaitTimeout: -1,
    missingTimeout: 0,
    stopTimeout: 0,
    checkInstanceInterval: 20,
    healthCheck: false,
    maxBuilds: Infinity,
    quarantine: { initial: 1_000, factor: 2, max: 4_000 },
    pauseAfterFailures: 2,
    adoptTimeout: 0
  }
};

/**
 * A state as far as the chart's guards can tell: the state value, and the context reduced
 * to what a guard reads (counts capped where a guard stops caring).
 */
export function serializeState(snapshot: Snapshot): string {
  const { context: c, value } = snapshot;
  const connection = !c.connection
    ? 'none'
    : c.connectedGeneration === c.generation
      ? 'this instance'
      : 'stale';
  return JSON.stringify({
    value,
    waiters: Math.min(c.waiters.length, 2),
    queued: Math.min(c.queued?.waiters.length ?? 0, 2),
    connection,
    building: Math.min(c.building, 2),
    failures: Math.min(c.consecutiveFailures, c.settings.pauseAfterFailures),
    shuttingDown: c.shuttingDown,
    leftovers: c.leftovers.map((leftover) => leftover.started)
  });
}

const leftover = (generation: number, started: boolean) => ({
  generation,
  instanceId: `i-${generation}`,
  started,
  props: undefined
});
/** What reading a journal finds: nothing; one running instance; one stopping and one running. */
const RECOVERIES = [
  { lastGeneration: 0, leftovers: [] },
  { lastGeneration: 3, leftovers: [leftover(3, true)] },
  { lastGeneration: 4, leftovers: [leftover(2, false), leftover(4, true)] }
];

/** The events worth trying in a state: every external event, every answer, every timer. */
function eventsIn(snapshot: Snapshot): ChartEvent[] {
  const { waiters, queued, building } = snapshot.context;
  const all = [...waiters, ...(queued?.waiters ?? [])];
  const waiting = [...new Set([waiters[0], waiters.at(-1), queued?.waiters[0]])];
  const external = latentWorkerMachine.events.filter(
    (type) => !RAISED.has(type) && !type.startsWith('xstate.')
  );
  const payloads: Record<string, ChartEvent[]> = {
    substantiate: [{ type: 'substantiate', waiter: Math.max(0, ...all) + 1 }],
    withdraw: waiting.flatMap((waiter) =>
      waiter === undefined ? [] : [{ type: 'withdraw', waiter }]
    ),
    attach: [{ type: 'attach', connection: { disconnect: () => undefined } }],
    pause: [{ type: 'pause', reason: 'graph' }],
    'build.finished':
      building > 0
        ? ['success', 'exception', 'retry'].map((result) => ({ type: 'build.finished', result }))
        : []
  };
  return [
    ...external.flatMap((type) => payloads[type] ?? [{ type }]),
    ...[true, false, 7].map((output) => ({ type: 'xstate.done.actor.start', output })),
    { type: 'xstate.error.actor.start', error: new Error('no capacity') },
    { type: 'xstate.error.actor.start', error: new LatentWorkerCannotSubstantiate('bad image') },
    { type: 'xstate.done.actor.stop' },
    { type: 'xstate.error.actor.stop', error: new Error('stuck') },
    ...RECOVERIES.map((output) => ({ type: 'xstate.done.actor.journal', output })),
    { type: 'xstate.error.actor.journal', error: new Error('file is not a database') },
    { type: 'xstate.done.actor.check', output: { isGood: true } },
    { type: 'xstate.done.actor.check', output: { isGood: false, message: 'oops' } },
    { type: 'xstate.error.actor.check', error: new Error('no route') },
    ...latentWorkerMachine.events
      .filter((t) => t.startsWith('xstate.after.') || TIMERS.includes(t))
      .map((type) => ({ type }))
  ];
}

const traversal = (settings: WorkerSettings) => ({
  input: { name: 'graph', settings },
  events: eventsIn as never,
  filterEvents: (snapshot: Snapshot, event: ChartEvent) => snapshot.can(event as never),
  serializeState: serializeState as never,
  limit: 100_000
});

/** The reachable states and transitions of the chart under `settings`. */
export function adjacency(settings: WorkerSettings) {
  return getAdjacencyMap(
    latentWorkerMachine as AnyStateMachine,
    traversal(settings) as never
  ) as unknown as Record<
    string,
    { state: Snapshot; transitions: Record<string, { event: ChartEvent; state: Snapshot }> }
  >;
}

/** The shortest path to every reachable state of the chart under `settings`. */
export function shortestPaths(settings: WorkerSettings): Path[] {
  const paths: unknown = getShortestPaths(
    latentWorkerMachine as AnyStateMachine,
    traversal(settings) as never
  );
  return paths as Path[];
}
