import type { Snapshot } from 'xstate';
import type { WorkerContext } from '../machines/latentWorker/types.js';

/**
 * A worker's state as plain JSON, from `worker.persist()`, for `createLatentWorker({ snapshot })`.
 *
 * What does not survive a restart, by design: the connection (the agent reconnects) and the
 * callers waiting on a substantiation (their promises lived in the old process). XState does
 * not persist pending timers; a restored worker re-arms its idle timer and quarantine. A
 * provider call that was in flight is issued again with the same generation, so providers
 * should treat `workerName` + generation as an idempotency key.
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
