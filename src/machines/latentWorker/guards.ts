import type { CheckResult } from '../../providers/provider.js';
import { classifyCheckResult, classifyStartResult } from './failures.js';
import type { Connection, WorkerContext } from './types.js';

type Args = { context: WorkerContext };

/** The conditions of the latent-worker statechart, by name. */
export const guards = {
  /** `shutdown()` was called: nothing new is started, and the next stop ends in `shutDown`. */
  shuttingDown: ({ context }: Args) => context.shuttingDown,
  /** A request waits behind the stop; its start follows the stop. */
  hasQueued: ({ context }: Args) => context.queued !== undefined,
  /** Recovery still has leftover instances of an earlier process to stop or adopt. */
  hasLeftovers: ({ context }: Args) => context.leftovers.length > 0,
  /** The last leftover still ran when its process died: wait for its agent, keep it if it comes. */
  adoptable: ({ context }: Args) =>
    context.leftovers.length === 1 &&
    context.leftovers[0]!.started &&
    context.settings.adoptTimeout > 0 &&
    !context.shuttingDown,
  /** The calls a takedown waits for have a deadline (`stopTimeout` > 0). */
  hasStopTimeout: ({ context }: Args) => context.settings.stopTimeout > 0,
  /** The provider has a `checkInstance` to poll while the worker connects. */
  hasHealthCheck: ({ context }: Args) => context.settings.healthCheck,
  /** The idle timer may stop the instance (`buildWaitTimeout` >= 0). */
  stopsWhenIdle: ({ context }: Args) => context.settings.buildWaitTimeout >= 0,
  /** A never-idle worker takes a connection in any state, until it shuts down. */
  acceptsAnyAttach: ({ context }: Args) =>
    context.settings.buildWaitTimeout < 0 && !context.shuttingDown,
  /** A connection of this instance, or (never-idle workers) any live connection. */
  connectedToInstance: ({ context }: Args) =>
    context.connection !== undefined &&
    (context.connectedGeneration === context.generation || context.settings.buildWaitTimeout < 0),
  /** The worker has a live connection, of whichever instance. */
  connected: ({ context }: Args) => context.connection !== undefined,
  /** The detach is of the live connection (or names none): a stale one's detach changes nothing. */
  isCurrentConnection: ({ context }: Args, params: { connection: Connection | undefined }) =>
    context.connection !== undefined &&
    (params.connection === undefined || params.connection === context.connection),
  /** The caller leaving is the only one still waiting: the substantiation is called off. */
  isLastWaiter: ({ context }: Args, params: { waiter: number }) =>
    context.waiters.length === 1 && context.waiters[0] === params.waiter,
  /** At least one build runs on the instance. */
  buildRunning: ({ context }: Args) => context.building > 0,
  /** The build that finishes is the only one running: the instance becomes idle. */
  isLastBuild: ({ context }: Args) => context.building === 1,
  /** The start answered `false`: the provider refused to start the instance. */
  startRefused: (_: Args, params: { output: unknown }) =>
    classifyStartResult(params.output) === 'refused',
  /** The start answered something the provider contract does not allow. */
  startInvalid: (_: Args, params: { output: unknown }) =>
    classifyStartResult(params.output) === 'invalid',
  /** The health check found the instance alive: nothing, or `{ isGood: true }`. */
  checkGood: (_: Args, params: { result: CheckResult | undefined }) =>
    classifyCheckResult(params.result).good,
  /** This failure makes `pauseAfterFailures` in a row: the worker pauses instead. */
  reachedPauseLimit: ({ context }: Args) =>
    context.consecutiveFailures + 1 >= context.settings.pauseAfterFailures,
  /** The build ended `exception`: counted as a failure of the worker. */
  buildFailed: (_: Args, params: { result: string }) => params.result === 'exception',
  /** The build ended in neither `exception` nor `retry`: the failure streak ends. */
  buildSucceeded: (_: Args, params: { result: string }) =>
    params.result !== 'exception' && params.result !== 'retry'
};
