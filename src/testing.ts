/**
 * latent-workers/testing: the {@link ControllableProvider}, a provider driven by hand (like
 * Buildbot's `ControllableLatentWorker`) for testing an orchestrator without real instances.
 * It has an entry of its own, as every provider does, so that production code never loads it.
 *
 * @example
 * ```ts
 * import { ControllableProvider } from 'latent-workers/testing';
 * const provider = new ControllableProvider({ autoStart: true, autoStop: true });
 * const worker = createLatentWorker({ name: 'w1', provider });
 * provider.bind(worker); // the fake instance connects to this worker
 * ```
 * @module
 */
export {
  ControllableProvider,
  type AttachTarget,
  type ControllableProviderOptions,
  type InstanceState
} from './providers/testing/controllable.js';
