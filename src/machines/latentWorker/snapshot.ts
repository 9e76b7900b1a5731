import type { SnapshotFrom } from 'xstate';
import type { latentWorkerMachine } from './machine.js';

/** The public name of where the instance is: the top-level state of region `instance`. */
export type WorkerState =
  'idle' | 'recovering' | 'substantiating' | 'substantiated' | 'insubstantiating' | 'shutDown';
export type WorkerAvailability = 'available' | 'quarantined' | 'paused';

/**
 * What the chart says of itself through tags, for code outside it: `live` (an instance is up
 * or coming up and not being called off), `cancelling` (a cancelled start or check still
 * runs), `stopOverdue` (taking the instance down outlived stopTimeout).
 */
export type WorkerTag = 'live' | 'cancelling' | 'stopOverdue';

type WorkerSnapshot = SnapshotFrom<typeof latentWorkerMachine>;

/** The top-level instance state, without its substates. */
export function instanceStateOf(snapshot: WorkerSnapshot): WorkerState {
  const { instance } = snapshot.value;
  if (typeof instance === 'string') return instance;
  // The one key of a compound state's value, read without building an array of keys.
  for (const state in instance) return state as WorkerState;
  throw new Error('latentWorker: the instance region has no state');
}

export function availabilityOf(snapshot: WorkerSnapshot): WorkerAvailability {
  return snapshot.value.availability;
}
