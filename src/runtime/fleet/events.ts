import type { BuildResult } from '../../machines/latentWorker/types.js';

interface RequestEventBase {
  /** The request's `BuildHandle.id`. */
  id: number;
}

/** A request entered the queue: newly submitted, or back at its head after a `retry`. */
export interface RequestQueuedEvent extends RequestEventBase {
  type: 'queued';
  reason: 'submitted' | 'retry';
  /** For a retry: what ended the previous attempt. */
  error?: Error;
}

/**
 * A request left the queue for a worker: one `substantiated` with room, an `idle` one started
 * for it, one already `substantiating` that it joins, or one that is `restarting` (stopping,
 * lost its connection, or recycled for an incompatible build) and starts again for it.
 */
export interface RequestDispatchedEvent extends RequestEventBase {
  type: 'dispatched';
  worker: string;
  attempt: number;
  via: 'substantiated' | 'idle' | 'substantiating' | 'restarting';
}

/** Why a request ended. */
export type FinishReason =
  | 'completed' // run() returned
  | 'threw' // run() threw
  | 'cannotSubstantiate' // the provider said the request itself is bad
  | 'maxAttempts' // too many retries
  | 'cancelled' // handle.cancel()
  | 'shutdown'; // fleet.shutdown()

/** A request ended; its outcome settles with `result`. */
export interface RequestFinishedEvent extends RequestEventBase {
  type: 'finished';
  result: BuildResult;
  reason: FinishReason;
  worker?: string;
  attempts: number;
  error?: Error;
}

/** An idle instance no waiting request can use is stopped and started again for request `id`. */
export interface WorkerRecycledEvent extends RequestEventBase {
  type: 'recycled';
  worker: string;
}

export type FleetEvent =
  RequestQueuedEvent | RequestDispatchedEvent | RequestFinishedEvent | WorkerRecycledEvent;
