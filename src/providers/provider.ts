/**
 * Who an instance is. Handed to every provider call; stable for the instance's whole life
 * (its start, every check and its stop get the same values).
 */
export interface InstanceRef {
  workerName: string;
  /** 1 for a worker's first start, +1 for each start after it. */
  generation: number;
  /**
   * Deterministic from the worker's owner, name and generation: a DNS label (lowercase
   * `[a-z0-9-]`, starting with a letter, at most 63 characters), unique per owner. Valid as a
   * container name, a pod name, an EC2 tag and a hostname: use it as the idempotency key.
   */
  instanceName: string;
  /**
   * At least `latent-workers.io/owner`, `latent-workers.io/worker` and
   * `latent-workers.io/generation`. Tag the instance with them so that it can be found again.
   */
  labels: Readonly<Record<string, string>>;
  /** What the start returned as `instanceId` (a cloud id, a container id, a pid). */
  instanceId?: string;
}

export interface StartContext<P = Record<string, unknown>> extends InstanceRef {
  /** Random per start, stable until this instance has been stopped. */
  password: string;
  /** The properties of the build that asked for the instance, if any. */
  props: P | undefined;
  /** Aborted when the substantiation is cancelled or times out. */
  signal: AbortSignal;
}

export interface StopContext extends InstanceRef {
  /** Return as soon as it is safe (`shutdown({ fast: true })`, `insubstantiate({ fast: true })`). */
  fast: boolean;
  /** Aborted at the stop's deadline (`stopTimeout`): give up and return. */
  signal: AbortSignal;
}

export interface CheckContext extends InstanceRef {
  /** Aborted when the worker attaches or the substantiation is cancelled. */
  signal: AbortSignal;
}

export interface CheckResult {
  isGood: boolean;
  /** Why it is not good, e.g. the last lines of the instance's log. */
  message?: string;
}

/**
 * How a start answers: `undefined`, `true`, a list of status strings or `{ instanceId, status }`
 * mean started; `false` means "refused at this time".
 */
export type StartResult =
  void | boolean | readonly string[] | { instanceId?: string; status?: readonly string[] };

/** One instance a provider can see, as `listInstances` reports it. */
export interface ListedInstance {
  instanceName: string;
  instanceId?: string;
  labels: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch, when the backend knows it. */
  createdAt?: number;
}

/**
 * The provider contract: the plug-in that really starts, stops and checks a worker's
 * instance (a VM, a container, a pod, a process).
 *
 * What the engine guarantees to a provider, per worker:
 * - **One call at a time.** `startInstance`, `stopInstance` and `checkInstance` never overlap.
 *   Different workers call their providers fully in parallel.
 * - **Exactly one stop per start.** Every `startInstance` call, whatever it returned or threw
 *   (also `false`, also after its signal was aborted), is followed by exactly one
 *   `stopInstance` for the same instance before the next start, also when the start returns
 *   after the stop's deadline has passed.
 * - **Identity.** Every call gets the instance's {@link InstanceRef}; the stop and every check
 *   get exactly the start's values, plus the `instanceId` the start returned.
 * - **Signals.** `StartContext.signal` aborts when the substantiation is cancelled
 *   (`insubstantiate()`, `shutdown()`, the last waiter leaving) or times out
 *   (`missingTimeout`): abort a long boot promptly, the stop still follows.
 *   `CheckContext.signal` aborts when the worker attaches or the check is cancelled.
 *   `StopContext.signal` aborts at the stop's deadline (`stopTimeout`); the engine then
 *   reports the instance as possibly still running and makes no further call until the stop
 *   has returned.
 * - **Credentials.** `password` is random per start and stable until that instance is
 *   stopped; hand it (and `workerName`) to the instance so that it can connect back.
 *
 * What a provider must guarantee:
 * - **An idempotent start by `instanceName`.** A start issued twice for one `instanceName`
 *   (a retry, a restarted orchestrator) makes one instance: adopt the one that exists.
 * - **An idempotent stop.** Stopping an instance that never came up, is already gone, or is
 *   unknown ("not found") is a success. Stops may be issued again after a crash.
 * - **Typed failures.** A bad *request* (an unknown image, an impossible size) is thrown as
 *   `LatentWorkerCannotSubstantiate` (no retry, no quarantine); anything else thrown counts
 *   as an infrastructure failure (the worker is quarantined, the build retried elsewhere).
 *
 * What a provider must never do: call the worker's methods from inside its own calls (the
 * engine reports attach/detach from the connection side), or keep process-wide resources it
 * did not create.
 *
 * Not in the contract: connections (the orchestrator or the agent hub reports them), build
 * execution, and retries (the engine quarantines and the orchestrator re-queues).
 */
export interface Provider<P = Record<string, unknown>> {
  /** Start the instance that will connect back as `ctx.workerName` with `ctx.password`. */
  startInstance(ctx: StartContext<P>): Promise<StartResult> | StartResult;
  /** Stop it. Called exactly once after every start, also after a failed or refused start. */
  stopInstance(ctx: StopContext): Promise<void> | void;
  /**
   * Health while waiting for the attach. Optional: default is always good. A nullish result
   * (a JavaScript provider that returns nothing), returned or resolved, counts as good too.
   */
  checkInstance?(ctx: CheckContext): Promise<CheckResult> | CheckResult;
  /** True when instances differ by build properties (image, size...). Default false. */
  readonly buildsMayBeIncompatible?: boolean;
  /** Can a build with `props` run on the instance started for `startedWith`? Default true. */
  isCompatibleWithBuild?(props: P, startedWith: P | undefined): Promise<boolean> | boolean;
  /** Every instance this provider can see that carries all of `labels` (the orphan sweep). */
  listInstances?(query: {
    labels: Readonly<Record<string, string>>;
    signal: AbortSignal;
  }): Promise<ListedInstance[]>;
}
