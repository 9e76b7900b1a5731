/**
 * latent-workers: on-demand CI/batch workers. A worker's instance is started through a
 * provider only when a build needs it and stopped when idle, following Buildbot's latent
 * worker lifecycle as an explicit XState statechart.
 *
 * @example
 * ```ts
 * import { createLatentWorker } from 'latent-workers';
 * const worker = createLatentWorker({ name: 'w1', provider });
 * await worker.substantiate();      // start the instance and wait for its attach
 * worker.buildStarted(); ...; worker.buildFinished('success');
 * await worker.shutdown();
 * ```
 * @module
 */
export {
  LatentWorkerCannotSubstantiate,
  LatentWorkerConnectionLost,
  LatentWorkerConnectionRejected,
  LatentWorkerError,
  LatentWorkerFailedToSubstantiate,
  LatentWorkerSubstantiationCancelled,
  LatentWorkerUnavailable,
  type CancelledBy,
  type FailureReason,
  type UnavailableReason
} from './errors.js';
export {
  BUILD_RESULTS,
  classifyCheckResult,
  classifyStartResult,
  fromProviderCall,
  latentWorkerMachine,
  type BuildResult,
  type Connection,
  type ProviderCallKind,
  type WorkerContext,
  type WorkerMachineEvent,
  type WorkerSettings,
  type WorkerTag
} from './machines/latentWorker/index.js';
export { toMermaid } from './machines/mermaid.js';
export type {
  CheckContext,
  CheckResult,
  InstanceRef,
  ListedInstance,
  Provider,
  StartContext,
  StartResult,
  StopContext
} from './providers/provider.js';
export {
  AGENT_COMMAND,
  ProcessProvider,
  type ProcessEvent,
  type ProcessProviderOptions
} from './providers/process/processProvider.js';
export {
  ControllableProvider,
  type ControllableProviderOptions,
  type InstanceState
} from './providers/testing/controllable.js';
export { createLatentWorker, type LatentWorker } from './runtime/createLatentWorker.js';
export type * from './runtime/events.js';
export {
  isCommandRunner,
  type CommandRunner,
  type ExecChunk,
  type ExecOptions,
  type ExecResult,
  type RemoteExecution
} from './runtime/exec.js';
export { createFleet } from './runtime/fleet/createFleet.js';
export type * from './runtime/fleet/events.js';
export type {
  BuildHandle,
  BuildOutcome,
  BuildRequest,
  Fleet,
  FleetOptions,
  Lease
} from './runtime/fleet/types.js';
export {
  createAgentHub,
  type AgentHub,
  type AgentHubOptions,
  type HubWorker
} from './runtime/hub/createAgentHub.js';
export type * from './runtime/hub/events.js';
export { CloseCode } from './runtime/hub/protocol.js';
export { DEFAULT_OWNER, instanceName, LABELS } from './runtime/identity.js';
export type { Clock, InspectionObserver, LatentWorkerOptions } from './runtime/options.js';
export type { PersistedWorkerSnapshot } from './runtime/persistence.js';
export type {
  InstanceSummary,
  WorkerAvailability,
  WorkerState,
  WorkerStatus
} from './runtime/status.js';
