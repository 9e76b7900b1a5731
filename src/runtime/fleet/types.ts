import type { Observable } from 'rxjs';
import type { Registry } from 'prom-client';
import type { BuildResult } from '../../machines/latentWorker/types.js';
import type { LatentWorker } from '../createLatentWorker.js';
import type { ExecOptions, RemoteExecution } from '../exec.js';
import type { FleetEvent } from './events.js';
import type { SweepOptions } from './orphanSweep.js';

export interface FleetOptions<P = Record<string, unknown>> {
  /** The workers the fleet dispatches to; names must be unique. The fleet drives their builds. */
  workers: LatentWorker<P>[];
  /** Provider starts running at once across the fleet. @default Infinity */
  maxConcurrentStarts?: number;
  /** Default for `BuildRequest.maxAttempts`. @default Infinity */
  maxAttempts?: number;
  /**
   * The orphan sweep, run when some workers have a journal: at creation and every `interval`,
   * instances of their owners that no journal holds (found with the provider's
   * `listInstances`), and open journal records of workers this fleet does not have, are
   * marked, and stopped if they are still orphans `grace` later. `false`: no sweep.
   * @default { interval: 300_000, grace: 60_000 }
   */
  sweep?: SweepOptions | false;
}

/** An orchestrator core: queues build requests and runs each on a latent worker. */
export interface Fleet<P = Record<string, unknown>> {
  readonly workers: readonly LatentWorker<P>[];
  submit(request: BuildRequest<P>): BuildHandle;
  /**
   * No new dispatch; waiting builds end `retry`; leases aborted; every worker shut down.
   * Resolves once every worker's shutdown has (so within their `stopTimeout`); a build still
   * running then ends `retry`. `fast`: every stop gets `fast: true`.
   */
  shutdown(options?: { fast?: boolean }): Promise<void>;
  readonly events$: Observable<FleetEvent>;
  /**
   * Runs the orphan sweep now (see `FleetOptions.sweep`), resolving when it is done: marks new
   * orphans and stops those marked at least `grace` ago. Does nothing without journaled workers.
   */
  sweep(): Promise<void>;
  /** This fleet's Prometheus metrics (its own registry, not prom-client's global one). */
  readonly metrics: Registry;
  /** Requests waiting for a worker. */
  readonly queueLength: number;
  /** The first `limit` waiting requests, in the order they will be served. @default all */
  queued(limit?: number): QueuedRequest[];
}

/** A request waiting in the queue, for those who watch it. */
export interface QueuedRequest {
  /** Its `BuildHandle.id`. */
  id: number;
  /** Dispatches so far: 0 until its first, more after retries. */
  attempts: number;
  /** When it entered the queue, this time (ms since the epoch). */
  queuedAt: number;
  /** Its allowed workers; absent when any will do. */
  workerNames?: readonly string[];
}

export interface BuildRequest<P = Record<string, unknown>> {
  props?: P;
  /** Allowed workers. @default all */
  workerNames?: string[];
  /** The build. `void` = 'success'; a throw = 'exception' (a `LatentWorkerConnectionLost`: 'retry'). */
  run(lease: Lease<P>): Promise<BuildResult | void>;
  /** Dispatches before the request ends `exception` with the last error. @default the fleet's */
  maxAttempts?: number;
}

/** One attempt of a build on one worker. */
export interface Lease<P = Record<string, unknown>> {
  worker: LatentWorker<P>;
  /** Aborted when the build must stop: connection lost, `cancel()`, fleet shutdown. */
  signal: AbortSignal;
  /** 1 for the first dispatch of the request, 2 for its first retry, … */
  attempt: number;
  /**
   * Runs a command on the instance through the worker's connection (when it can run
   * commands), with this lease's signal; rejects with `LatentWorkerConnectionLost` otherwise.
   */
  exec(command: string, args?: readonly string[], options?: ExecOptions): RemoteExecution;
}

export interface BuildHandle {
  readonly id: number;
  /** Settles once, never rejects. */
  readonly outcome: Promise<BuildOutcome>;
  /** While waiting or substantiating: 'cancelled'. While running: aborts the lease, then 'cancelled'. */
  cancel(): void;
}

export interface BuildOutcome {
  result: BuildResult;
  /** The worker of the last attempt, if any. */
  worker?: string;
  attempts: number;
  error?: Error;
}
