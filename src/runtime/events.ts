import type { LatentWorkerError } from '../errors.js';
import type { ProviderCallKind, RecoveryOutcome } from '../machines/latentWorker/types.js';
import type { JournalRecord } from './journal/journal.js';
import type { InstanceSummary, WorkerAvailability, WorkerState } from './status.js';

interface EventBase {
  /** The worker's name. */
  worker: string;
}

/** The instance moved to another top-level state. */
export interface StateEvent extends EventBase {
  type: 'state';
  from: WorkerState;
  to: WorkerState;
}

/** The worker became available, quarantined or paused. */
export interface AvailabilityEvent extends EventBase {
  type: 'availability';
  from: WorkerAvailability;
  to: WorkerAvailability;
}

/** A provider call began or ended; `ok` is false for a throw or a refused start. */
export interface ProviderEvent extends EventBase {
  type: 'provider';
  call: ProviderCallKind;
  phase: 'begin' | 'end';
  ok: boolean;
  error?: unknown;
}

/** The instance is up and connected; its waiters got `true`. */
export interface SubstantiatedEvent extends EventBase {
  type: 'substantiated';
}

/** A substantiation failed; its waiters got `error`. */
export interface SubstantiationFailedEvent extends EventBase {
  type: 'substantiationFailed';
  error: LatentWorkerError;
}

/** The worker entered a quarantine of `duration` ms. */
export interface QuarantinedEvent extends EventBase {
  type: 'quarantined';
  duration: number;
}

export interface PausedEvent extends EventBase {
  type: 'paused';
  reason: string | undefined;
}

export interface UnpausedEvent extends EventBase {
  type: 'unpaused';
}

/** A connection was accepted (`attached`) or went away (`detached`). */
export interface ConnectionEvent extends EventBase {
  type: 'attached' | 'detached';
}

/** An `attached()` call was refused; the connection was disconnected. */
export interface ConnectionRejectedEvent extends EventBase {
  type: 'connectionRejected';
  reason: string;
}

/**
 * Taking the instance down outlived `stopTimeout` while `call` still ran: the stop's signal
 * was aborted (when the stop was the call), `insubstantiate()` and `shutdown()` resolved, and
 * the instance may still be running. The worker makes no new provider call until `call`
 * returns; a stop that follows a late start gets a deadline of its own.
 */
export interface StopTimedOutEvent extends EventBase {
  type: 'stopTimedOut';
  call: ProviderCallKind;
  instance: InstanceSummary;
}

/**
 * Recovery is done with an instance an earlier process left open in the journal: `stopped`;
 * `stopFailed` (the stop threw: the journal keeps it open, for the next recovery to stop it
 * again); or `adopted` (its agent came back, and it is this worker's instance again).
 */
export interface RecoveredEvent extends EventBase {
  type: 'recovered';
  instance: InstanceSummary;
  outcome: RecoveryOutcome;
}

/**
 * The journal failed: reading it when the worker was created (the worker pauses itself rather
 * than start anything blind), or writing the record `operation` names. A start whose record
 * cannot be written is not issued (it fails); a stop is issued anyway and stays open in the
 * journal, so that the next recovery stops the instance again.
 */
export interface JournalFailedEvent extends EventBase {
  type: 'journalFailed';
  operation: 'read' | JournalRecord['type'];
  error: unknown;
}

export type WorkerEvent =
  | StateEvent
  | AvailabilityEvent
  | ProviderEvent
  | SubstantiatedEvent
  | SubstantiationFailedEvent
  | QuarantinedEvent
  | PausedEvent
  | UnpausedEvent
  | ConnectionEvent
  | ConnectionRejectedEvent
  | StopTimedOutEvent
  | RecoveredEvent
  | JournalFailedEvent;
