import type { ListedInstance } from '../../providers/provider.js';
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

/**
 * Why the orphan sweep took an instance for an orphan: `unrecorded` (it carries this owner's
 * labels but no journal ever recorded its generation: a journal lost, another process, a start
 * whose record was lost), `closed` (the journal closed it, yet it still exists: a stop that
 * returned too early), `workerGone` (the journal holds it open for a worker no fleet has).
 */
export type OrphanReason = 'unrecorded' | 'closed' | 'workerGone';

/** The sweep found an orphan; it is stopped if it still is one after the grace period. */
export interface OrphanFoundEvent {
  type: 'orphanFound';
  instance: ListedInstance;
  reason: OrphanReason;
}

/** The sweep stopped an orphan (`ok`), or its stop threw (`error`; the next sweep tries again). */
export interface OrphanSweptEvent {
  type: 'orphanSwept';
  instance: ListedInstance;
  reason: OrphanReason;
  ok: boolean;
  error?: unknown;
}

/** Listing an owner's instances, or reading its journal, failed; the next sweep tries again. */
export interface SweepFailedEvent {
  type: 'sweepFailed';
  owner: string;
  error: unknown;
}

export type SweepEvent = OrphanFoundEvent | OrphanSweptEvent | SweepFailedEvent;

export type FleetEvent =
  | RequestQueuedEvent
  | RequestDispatchedEvent
  | RequestFinishedEvent
  | WorkerRecycledEvent
  | SweepEvent;
