import type { SnapshotFrom } from 'xstate';
import type { latentWorkerMachine } from '../machines/latentWorker/machine.js';

export type WorkerState =
  'idle' | 'substantiating' | 'substantiated' | 'insubstantiating' | 'shutDown';
export type WorkerAvailability = 'available' | 'quarantined' | 'paused';

export interface WorkerStatus {
  name: string;
  state: WorkerState;
  availability: WorkerAvailability;
  connected: boolean;
  building: number;
  consecutiveFailures: number;
  /** Length of the next quarantine, ms. */
  nextQuarantine: number;
  pauseReason?: string;
}

type WorkerSnapshot = SnapshotFrom<typeof latentWorkerMachine>;

/** The top-level instance state, without its substates. */
export function instanceState(snapshot: WorkerSnapshot): WorkerState {
  const { instance } = snapshot.value;
  return (typeof instance === 'string' ? instance : Object.keys(instance)[0]) as WorkerState;
}

export function statusOf(snapshot: WorkerSnapshot): WorkerStatus {
  const { context } = snapshot;
  const status: WorkerStatus = {
    name: context.name,
    state: instanceState(snapshot),
    availability: snapshot.value.availability,
    connected: context.connection !== undefined,
    building: context.building,
    consecutiveFailures: context.consecutiveFailures,
    nextQuarantine: context.nextQuarantine
  };
  if (context.pauseReason !== undefined) status.pauseReason = context.pauseReason;
  return status;
}
