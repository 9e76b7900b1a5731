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
  /** Writes one change durably. Rejects (and records nothing) when it cannot. */
  record(change: JournalRecord): Promise<void>;
  /** The highest generation ever recorded for the worker, open or closed; 0 if none. */
  lastGeneration(query: { owner: string; workerName: string }): Promise<number>;
  /**
   * The password of the instance named `instanceName`, derived from the journal's secret
   * (`derivePassword`): the same after a restart, different for every instance name.
   */
  password(instanceName: string): string;
  close(): Promise<void>;
}
