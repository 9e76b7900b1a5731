import type { LatentWorkerError } from '../../errors.js';

/** A worker's live connection back to the orchestrator, as reported by `attached()`. */
export interface Connection {
  disconnect(): void | Promise<void>;
}

/** How a build ended, as an orchestrator reports it to `buildFinished()`. */
export const BUILD_RESULTS = [
  'success',
  'warnings',
  'failure',
  'skipped',
  'exception',
  'retry',
  'cancelled'
] as const;

export type BuildResult = (typeof BUILD_RESULTS)[number];

/** Narrows anything to a `BuildResult`. */
export function isBuildResult(value: unknown): value is BuildResult {
  return (BUILD_RESULTS as readonly unknown[]).includes(value);
}

/** The resolved timing and policy of one worker (see `LatentWorkerOptions` for the defaults). */
export interface WorkerSettings {
  /** > 0: idle time before the instance is stopped; 0: stop after each build; < 0: never. */
  buildWaitTimeout: number;
  /** Deadline of a substantiation request, from its call; 0: none. */
  missingTimeout: number;
  /** Deadline of each call a takedown waits for (cancelled start or check, stop); 0: none. */
  stopTimeout: number;
  checkInstanceInterval: number;
  /** Whether the provider has a `checkInstance` worth polling. */
  healthCheck: boolean;
  maxBuilds: number;
  quarantine: { initial: number; factor: number; max: number };
  pauseAfterFailures: number;
  /** How long recovery waits for the agent of a running leftover instance to come back; 0: never. */
  adoptTimeout: number;
}

export interface WorkerMachineInput {
  name: string;
  settings: WorkerSettings;
}

/** A request for an instance: the callers waiting on it and the properties it starts with. */
export interface Substantiation {
  waiters: number[];
  props: unknown;
}

/** An instance an earlier process left open, as the journal holds it. */
export interface Leftover {
  generation: number;
  instanceId: string | undefined;
  /** Its start returned and its stop never began: it may still run, and its agent come back. */
  started: boolean;
  /** The properties it was started with. */
  props: unknown;
}

/** What recovery reads from the journal: what is open, oldest first, and how far starts got. */
export interface Recovery {
  /** The highest generation ever recorded: the next start is the one after it. */
  lastGeneration: number;
  leftovers: Leftover[];
}

export interface WorkerContext {
  readonly name: string;
  readonly settings: WorkerSettings;
  /** Starts issued so far; the current instance's identity (passwords, idempotency keys). */
  generation: number;
  /** Callers waiting on the substantiation in progress. */
  waiters: number[];
  /** Properties the current instance is started with; cleared when it stops. */
  props: unknown;
  /** What the current instance's start returned as `instanceId`; cleared when it stops. */
  instanceId: string | undefined;
  /** Instances left open by an earlier process that recovery has still to stop or adopt. */
  leftovers: Leftover[];
  /** A substantiation queued behind a stop or a cancelled start. */
  queued: Substantiation | undefined;
  connection: Connection | undefined;
  /** The generation whose instance `connection` came from: older ones are stale. */
  connectedGeneration: number;
  /** Builds running on this worker, whatever the instance state. */
  building: number;
  consecutiveFailures: number;
  /** Length of the next quarantine, ms. */
  nextQuarantine: number;
  /** Length of the current quarantine, ms. */
  quarantineDuration: number;
  pauseReason: string | undefined;
  /** The pending stop skips graceful waits (any `insubstantiate` or `shutdown` asked). */
  fastStop: boolean;
  /** `shutdown()` was called: no new substantiations, the next stop ends in `shutDown`. */
  shuttingDown: boolean;
}

export type WorkerMachineEvent =
  | { type: 'substantiate'; waiter: number; props?: unknown }
  | { type: 'withdraw'; waiter: number }
  | { type: 'insubstantiate'; fast?: boolean }
  | { type: 'attach'; connection: Connection }
  | { type: 'detach'; connection?: Connection }
  | { type: 'build.started' }
  | { type: 'build.finished'; result: BuildResult }
  | { type: 'pause'; reason?: string }
  | { type: 'unpause' }
  | { type: 'shutdown'; fast?: boolean }
  /** Sent once at creation by a worker with a journal: stop (or adopt) what it holds open. */
  | { type: 'recover' }
  /** Sent once after restoring a persisted snapshot: XState does not persist timers. */
  | { type: 'restore' }
  // raised internally
  /** The open request's deadline (missingTimeout from its call) passed. */
  | { type: 'request.timedOut' }
  /** The fresh attach deadline of a substantiation restored from a snapshot passed. */
  | { type: 'substantiation.timedOut' }
  | { type: 'worker.failed' };

/** The provider call that a worker taking an instance down was waiting for. */
export type ProviderCallKind = 'start' | 'stop' | 'check';

/** What recovery did with one leftover instance. */
export type RecoveryOutcome = 'stopped' | 'stopFailed' | 'adopted';

/** How a substantiation ended for its waiters. */
export type SubstantiationOutcome =
  | { status: 'substantiated' }
  | { status: 'shutDown' }
  | { status: 'unavailable'; reason: 'quarantined' | 'paused' }
  | { status: 'failed'; error: LatentWorkerError };

/** What the machine tells the runtime; the runtime turns most of it into `WorkerEvent`s. */
export type WorkerMachineEmitted =
  | { type: 'settle'; waiters: number[]; outcome: SubstantiationOutcome }
  | { type: 'substantiated' }
  | { type: 'substantiationFailed'; error: LatentWorkerError }
  | { type: 'quarantined'; duration: number }
  | { type: 'paused'; reason: string | undefined }
  | { type: 'unpaused' }
  | { type: 'attached'; connection: Connection }
  | { type: 'detached'; connection: Connection }
  | { type: 'connectionRejected'; connection: Connection; reason: string }
  | { type: 'connectionDropped'; connection: Connection }
  /** Recovery is done with a leftover instance: stopped (or the stop threw), or adopted. */
  | { type: 'recovered'; leftover: Leftover; outcome: RecoveryOutcome }
  /** Taking the instance down outlived stopTimeout while `call` was still running. */
  | { type: 'stopTimedOut'; call: ProviderCallKind };
