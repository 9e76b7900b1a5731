/**
 * The provider contract: the plug-in that really starts, stops and checks a worker's
 * instance (a VM, a container, a pod, a process).
 *
 * What the engine guarantees to a provider, per worker:
 * - **One call at a time.** `startInstance`, `stopInstance` and `checkInstance` never overlap.
 *   Different workers call their providers fully in parallel.
 * - **Exactly one stop per start.** Every `startInstance` call, whatever it returned or threw
 *   (also `false`, also after its signal was aborted), is followed by exactly one
 *   `stopInstance` before the next start. `stopInstance` must therefore cope with an instance
 *   that never came up: make it idempotent and tolerant of "not found".
 * - **The signal.** `StartContext.signal` aborts when the substantiation is cancelled
 *   (`insubstantiate()`, `shutdown()`, the last waiter leaving) or times out
 *   (`missingTimeout`). Abort a long boot promptly; the stop still follows once the start
 *   settles. `CheckContext.signal` aborts when the worker attaches or the check is cancelled.
 * - **Credentials.** `password` is random per start and stable until that instance is stopped;
 *   hand it (and `workerName`) to the instance so that it can connect back.
 *
 * What a provider must never do: call the worker's methods from inside its own calls (the
 * engine reports attach/detach from the connection side), keep process-wide resources it did
 * not create, or report a bad *request* as anything but `LatentWorkerCannotSubstantiate`.
 *
 * Not in the contract: connections (the orchestrator or the agent hub reports them), build
 * execution, and retries (the engine quarantines and the orchestrator re-queues).
 */
/** `false` means "refused at this time"; `undefined`, `true` or status strings mean started. */
export type StartResult = void | boolean | readonly string[];

export interface StartContext<P> {
  workerName: string;
  /** Random per start, stable until this instance has been stopped. */
  password: string;
  /** The properties of the build that asked for the instance, if any. */
  props: P | undefined;
  /** Aborted when the substantiation is cancelled or times out. */
  signal: AbortSignal;
}

export interface StopContext {
  workerName: string;
  /** Return as soon as it is safe (shutdown); skip graceful waits. */
  fast: boolean;
}

export interface CheckContext {
  workerName: string;
  /** Aborted when the worker attaches or the substantiation is cancelled. */
  signal: AbortSignal;
}

export interface CheckResult {
  isGood: boolean;
  /** Why it is not good, e.g. the last lines of the instance's log. */
  message?: string;
}

export interface Provider<P = Record<string, unknown>> {
  /** Start the instance that will connect back as `ctx.workerName` with `ctx.password`. */
  startInstance(ctx: StartContext<P>): Promise<StartResult> | StartResult;
  /** Stop it. Called exactly once after every start, also after a failed or refused start. */
  stopInstance(ctx: StopContext): Promise<void> | void;
  /** Health while waiting for the attach. Optional: default is always good. */
  checkInstance?(ctx: CheckContext): Promise<CheckResult> | CheckResult;
  /** True when instances differ by build properties (image, size...). Default false. */
  readonly buildsMayBeIncompatible?: boolean;
  /** Can a build with `props` run on the instance started for `startedWith`? Default true. */
  isCompatibleWithBuild?(props: P, startedWith: P | undefined): Promise<boolean> | boolean;
}
