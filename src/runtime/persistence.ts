import type { Snapshot } from 'xstate';
import type { WorkerContext, WorkerSettings } from '../machines/latentWorker/types.js';

/**
 * A worker's state as plain JSON, from `worker.persist()`, for `createLatentWorker({ snapshot })`.
 *
 * What does not survive a restart, by design: the connection (the agent reconnects) and the
 * callers waiting on a substantiation (their promises lived in the old process). XState does
 * not persist pending timers: a restored worker re-arms them in full (idle timer, health
 * check, attach deadline, quarantine), as if their state had just been entered. A provider
 * call that was in flight is issued again with the same generation, so providers should treat
 * `workerName` + generation as an idempotency key.
 */
export type PersistedWorkerSnapshot = Snapshot<unknown> & {
  value: unknown;
  context: WorkerContext;
  children: Record<string, unknown>;
};

/** Drops what cannot outlive this process and returns plain JSON. */
export function toPersisted(persisted: unknown): PersistedWorkerSnapshot {
  const snapshot = persisted as PersistedWorkerSnapshot;
  const context: WorkerContext = {
    ...snapshot.context,
    connection: undefined,
    connectedGeneration: -1,
    waiters: [],
    queued: undefined
  };
  return JSON.parse(JSON.stringify({ ...snapshot, context })) as PersistedWorkerSnapshot;
}

/**
 * The snapshot to restore a worker from, running on the settings of the new options: a
 * restart is the moment to change them, and JSON has turned every `Infinity` into `null`.
 */
export function fromPersisted(
  snapshot: PersistedWorkerSnapshot,
  name: string,
  settings: WorkerSettings
): PersistedWorkerSnapshot {
  return { ...snapshot, context: { ...snapshot.context, name, settings } };
}
