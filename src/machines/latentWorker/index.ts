export {
  latentWorkerMachine,
  type CheckInput,
  type StartInput,
  type StopInput
} from './machine.js';
export { fromProviderCall, type ProviderCallLogic } from './providerCall.js';
export { classifyCheckResult, classifyStartResult } from './failures.js';
export {
  availabilityOf,
  instanceStateOf,
  type WorkerAvailability,
  type WorkerState,
  type WorkerTag
} from './snapshot.js';
export type * from './types.js';
export { BUILD_RESULTS, isBuildResult } from './types.js';
