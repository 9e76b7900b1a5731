/**
 * latent-workers/process: instances that are processes on this machine. The
 * {@link ProcessProvider} starts one `latent-agent` process per instance; the agent hub is
 * the WebSocket server those agents dial, and through it a build runs commands on its
 * instance (`lease.exec()`).
 *
 * Each provider has an entry of its own, so that what it needs is loaded only for the users
 * who import it: `ws` and child processes here, and the SDKs of the providers to come
 * (`latent-workers/docker`, `latent-workers/ec2`), which follow the same pattern. The package
 * root exports this entry's names too, as the API contract has it; the later providers are
 * exported from their own entries only.
 *
 * @example
 * ```ts
 * import { createAgentHub, ProcessProvider } from 'latent-workers/process';
 * const hub = await createAgentHub(); // 127.0.0.1, a free port
 * const provider = new ProcessProvider({ hubUrl: hub.url });
 * // Agents on other machines: TLS, with a certificate they pin by its fingerprint.
 * const remote = await createAgentHub({ host: '0.0.0.0', tls: { selfSigned: true } });
 * // remote.url is wss://<this host name>:<port>; give the agents remote.fingerprint.
 * ```
 * @module
 */
export { ProcessProvider } from './providers/process/processProvider.js';
export {
  AGENT_COMMAND,
  type ProcessEvent,
  type ProcessProviderOptions
} from './providers/process/processProviderOptions.js';
export {
  isCommandRunner,
  type CommandRunner,
  type ExecChunk,
  type ExecOptions,
  type ExecResult,
  type RemoteExecution
} from './runtime/exec.js';
export {
  createAgentHub,
  type AdvertisedUrl,
  type AgentHub,
  type AgentHubOptions,
  type HubTlsOptions,
  type HubWorker,
  type LockoutOptions
} from './runtime/hub/createAgentHub.js';
export type * from './runtime/hub/events.js';
export { CloseCode } from './protocol.js';
