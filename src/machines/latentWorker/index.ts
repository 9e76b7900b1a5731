export {
  latentWorkerMachine,
  type CheckInput,
  type StartInput,
  type StopInput
} from './machine.js';
export { fromProviderCall, type ProviderCallLogic } from './providerCall.js';
export { classifyStartResult } from './failures.js';
export type * from './types.js';
export { BUILD_RESULTS, isBuildResult } from './types.js';
