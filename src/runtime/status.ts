import type { SnapshotFrom } from 'xstate';
import type { latentWorkerMachine } from '../machines/latentWorker/machine.js';
import {
  availabilityOf,
  instanceStateOf,
  type WorkerAvailability,
  type WorkerState
} from '../machines/latentWorker/snapshot.js';
import type { InstanceRef } from '../providers/provider.js';

export type { WorkerAvailability, WorkerState };

/** An instance as `status` and events name it. */
export interface InstanceSummary {
  name: string;
  generation: number;
  /** What its start returned as `instanceId`, once it returned. */
  id?: string;
}

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
  /** The instance that exists or may exist: from its start until its stop has returned. */
  instance?: InstanceSummary;
  /** Taking the instance down outlived `stopTimeout`: it may still be running. */
  stopOverdue: boolean;
}

type WorkerSnapshot = SnapshotFrom<typeof latentWorkerMachine>;

export function summarize(instance: InstanceRef): InstanceSummary {
  const summary: InstanceSummary = { name: instance.instanceName, generation: instance.generation };
  if (instance.instanceId !== undefined) summary.id = instance.instanceId;
  return summary;
}

export function statusOf(
  snapshot: WorkerSnapshot,
  instance: InstanceRef | undefined
): WorkerStatus {
  const { context } = snapshot;
  const status: WorkerStatus = {
    name: context.name,
    state: instanceStateOf(snapshot),
    availability: availabilityOf(snapshot),
    connected: context.connection !== undefined,
    building: context.building,
    consecutiveFailures: context.consecutiveFailures,
    nextQuarantine: context.nextQuarantine,
    stopOverdue: snapshot.hasTag('stopOverdue')
  };
  if (context.pauseReason !== undefined) status.pauseReason = context.pauseReason;
  if (instance) status.instance = summarize(instance);
  return status;
}
