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
 *
 * Providers also have entries of their own, `latent-workers/process` (local processes and the
 * agent hub) and `latent-workers/testing` (the controllable provider), whose names this root
 * exports too. Providers with an SDK to load (`/docker`, `/ec2`) will be on their entries only.
 * @module
 */
export {
  LatentWorkerCannotSubstantiate,
  LatentWorkerConnectionLost,
  LatentWorkerConnectionRejected,
  LatentWorkerError,
  LatentWorkerFailedToSubstantiate,
  LatentWorkerJournalError,
  LatentWorkerSubstantiationCancelled,
  LatentWorkerUnavailable,
  type CancelledBy,
  type FailureReason,
  type JournalErrorCode,
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
export {
  activeStates,
  toChartGraph,
  type ChartGraph,
  type ChartState,
  type ChartTransition
} from './machines/chartGraph.js';
export { toMermaid } from './machines/mermaid.js';
export { toStatelyJson } from './machines/stately.js';
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
export { createLatentWorker, type LatentWorker } from './runtime/createLatentWorker.js';
export {
  createDashboard,
  type Dashboard,
  type DashboardOptions
} from './runtime/dashboard/createDashboard.js';
export type {
  EventView,
  FleetViewState,
  FleetViewUpdate,
  QueueView,
  WorkerView
} from './runtime/dashboard/fleetView.js';
export type * from './runtime/events.js';
export { createFleet } from './runtime/fleet/createFleet.js';
export type * from './runtime/fleet/events.js';
export type {
  BuildHandle,
  BuildOutcome,
  BuildRequest,
  Fleet,
  FleetOptions,
  Lease,
  QueuedRequest
} from './runtime/fleet/types.js';
export type { SweepOptions } from './runtime/fleet/orphanSweep.js';
export { DEFAULT_OWNER, instanceName, LABELS } from './runtime/identity.js';
export type {
  Journal,
  JournalInstance,
  JournalRecord,
  JournalState
} from './runtime/journal/journal.js';
export { derivePassword } from './runtime/journal/password.js';
export { openJournal, type JournalOptions } from './runtime/journal/sqliteJournal.js';
export type { Clock, InspectionObserver, LatentWorkerOptions } from './runtime/options.js';
export type { PersistedWorkerSnapshot } from './runtime/persistence.js';
export type {
  InstanceSummary,
  WorkerAvailability,
  WorkerState,
  WorkerStatus
} from './runtime/status.js';
// The subpath entries' names, which the API contract has at the root too.
export * from './process.js';
export * from './testing.js';
