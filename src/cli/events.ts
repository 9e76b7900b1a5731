import type { FleetEvent, WorkerEvent } from '../index.js';
import type { DockerEvent } from '../docker.js';
import type { HubEvent, ProcessEvent } from '../process.js';

/** A build moved to its next command. */
export interface BuildStepEvent {
  type: 'step';
  build: number;
  worker: string;
  step: number;
  steps: number;
  command: string;
}

/** A line a build's command printed. */
export interface BuildOutputEvent {
  type: 'output';
  build: number;
  worker: string;
  line: string;
}

/** Everything the demo reports, tagged with where it came from. */
export type DemoEvent =
  | { source: 'worker'; event: WorkerEvent }
  | { source: 'fleet'; event: FleetEvent }
  | { source: 'hub'; event: HubEvent }
  | { source: 'process'; event: ProcessEvent }
  | { source: 'docker'; event: DockerEvent }
  | { source: 'build'; event: BuildStepEvent | BuildOutputEvent };
