import type { CheckResult } from '../../providers/provider.js';
import { classifyCheckResult, classifyStartResult } from './failures.js';
import type { Connection, WorkerContext } from './types.js';

type Args = { context: WorkerContext };

/** The conditions of the latent-worker statechart, by name. */
export const guards = {
  shuttingDown: ({ context }: Args) => context.shuttingDown,
  hasQueued: ({ context }: Args) => context.queued !== undefined,
  hasLeftovers: ({ context }: Args) => context.leftovers.length > 0,
  /** The last leftover still ran when its process died: wait for its agent, keep it if it comes. */
  adoptable: ({ context }: Args) =>
    context.leftovers.length === 1 &&
    context.leftovers[0]!.started &&
    context.settings.adoptTimeout > 0 &&
    !context.shuttingDown,
  hasStopTimeout: ({ context }: Args) => context.settings.stopTimeout > 0,
  hasHealthCheck: ({ context }: Args) => context.settings.healthCheck,
  stopsWhenIdle: ({ context }: Args) => context.settings.buildWaitTimeout >= 0,
  /** A never-idle worker takes a connection in any state, until it shuts down. */
  acceptsAnyAttach: ({ context }: Args) =>
    context.settings.buildWaitTimeout < 0 && !context.shuttingDown,
  /** A connection of this instance, or (never-idle workers) any live connection. */
  connectedToInstance: ({ context }: Args) =>
    context.connection !== undefined &&
    (context.connectedGeneration === context.generation || context.settings.buildWaitTimeout < 0),
  connected: ({ context }: Args) => context.connection !== undefined,
  isCurrentConnection: ({ context }: Args, params: { connection: Connection | undefined }) =>
    context.connection !== undefined &&
    (params.connection === undefined || params.connection === context.connection),
  isLastWaiter: ({ context }: Args, params: { waiter: number }) =>
    context.waiters.length === 1 && context.waiters[0] === params.waiter,
  buildRunning: ({ context }: Args) => context.building > 0,
  isLastBuild: ({ context }: Args) => context.building === 1,
  startRefused: (_: Args, params: { output: unknown }) =>
    classifyStartResult(params.output) === 'refused',
  startInvalid: (_: Args, params: { output: unknown }) =>
    classifyStartResult(params.output) === 'invalid',
  checkGood: (_: Args, params: { result: CheckResult | undefined }) =>
    classifyCheckResult(params.result).good,
  reachedPauseLimit: ({ context }: Args) =>
    context.consecutiveFailures + 1 >= context.settings.pauseAfterFailures,
  buildFailed: (_: Args, params: { result: string }) => params.result === 'exception',
  buildSucceeded: (_: Args, params: { result: string }) =>
    params.result !== 'exception' && params.result !== 'retry'
};
