import type { BuildResult, Connection } from '../../machines/latentWorker/types.js';
import type { FinishReason } from './events.js';
import type { WorkerEntry } from './pool.js';
import type { QueueNode } from './queue.js';
import type { BuildOutcome, BuildRequest } from './types.js';

/** A submitted request and how far it got. */
export interface Job<P> {
  readonly id: number;
  readonly request: BuildRequest<P>;
  /** The allowed workers, or undefined for all. */
  readonly allowed: readonly WorkerEntry<P>[] | undefined;
  readonly maxAttempts: number;
  readonly outcome: Promise<BuildOutcome>;
  settle(outcome: BuildOutcome): void;
  attempts: number;
  /** Its place while waiting. */
  node: QueueNode<Job<P>> | undefined;
  queuedAt: number;
  /** The attempt under way (substantiating or running). */
  current: Attempt<P> | undefined;
  /** The worker of the latest attempt. */
  worker: string | undefined;
  cancelled: boolean;
  finished: boolean;
}

/** Why the fleet aborted an attempt's signal. */
export type AbortCause = 'connectionLost' | 'cancel' | 'shutdown';

/** One dispatch of a job to a worker. */
export interface Attempt<P> {
  readonly job: Job<P>;
  readonly entry: WorkerEntry<P>;
  readonly number: number;
  /** Withdraws the substantiation, then is the lease's signal. */
  readonly controller: AbortController;
  abortedFor: AbortCause | undefined;
  /** The worker's connection when the build started: the build is lost once it changes. */
  connection: Connection | undefined;
}

/** How an attempt ends: the request finishes, or goes back to the queue. */
export type Ending =
  | { kind: 'finish'; result: BuildResult; reason: FinishReason; error?: Error }
  | { kind: 'retry'; error: Error };
