import type { InstanceRef } from '../../providers/provider.js';

/** How far an open instance got: its start was recorded, its stop has not returned yet. */
export type JournalState = 'starting' | 'started' | 'stopping';

/** An instance the journal holds open (`Journal.openInstances`). */
export interface JournalInstance extends InstanceRef {
  owner: string;
  /** When its `starting` record was written, ms since the epoch. */
  startedAt: number;
  state: JournalState;
  /** The build properties it was started with, as JSON gave them back (undefined if none). */
  props?: unknown;
}

/**
 * One change to one instance's record. Each is durable (on disk) when `Journal.record`
 * resolves; the engine issues the provider call a record announces only after that.
 */
export type JournalRecord =
  /** Written before `startInstance` is called. */
  | { type: 'starting'; owner: string; instance: InstanceRef; props: unknown; at: number }
  /** The start returned (with the `instanceId` it named, if any). */
  | { type: 'started'; owner: string; instanceName: string; instanceId?: string; at: number }
  /** Written before `stopInstance` is called. */
  | { type: 'stopping'; owner: string; instanceName: string; at: number }
  /** The stop returned: the record is closed. */
  | { type: 'stopped'; owner: string; instanceName: string; at: number };

/**
 * The durable record of starts and stops that lets a restarted orchestrator stop (or adopt)
 * what a crashed one left running. The embedded default is `openJournal` (one SQLite file);
 * a store shared by several orchestrators (PostgreSQL) implements the same interface.
 */
export interface Journal {
  /** Instances whose start was recorded and whose stop was not (oldest first). */
  openInstances(query?: { owner?: string; workerName?: string }): Promise<JournalInstance[]>;
  /**
   * Writes one change durably. Rejects (and records nothing) when it cannot: a `starting` of an
   * instance name or generation recorded before (a generation is never started twice), a
   * closed journal, a failing disk. An update of a record that is closed or was never written
   * (the engine closes every stop, also one whose start record failed) changes nothing.
   */
  record(change: JournalRecord): Promise<void>;
  /**
   * The highest generation ever recorded for the worker, open or closed (also once its record
   * was pruned); 0 if none.
   */
  lastGeneration(query: { owner: string; workerName: string }): Promise<number>;
  /**
   * The password of the instance named `instanceName`, derived from the journal's secret
   * (`derivePassword`): the same after a restart, different for every instance name. Throws
   * once the journal is closed.
   */
  password(instanceName: string): string;
  /** Lets go of the journal (and of its lock); idempotent. Every call after it rejects. */
  close(): Promise<void>;
}
