import { fileURLToPath } from 'node:url';
import type { StartContext } from '../provider.js';
import type { ProcessExit } from './processInstance.js';

export interface ProcessProviderOptions<P = Record<string, unknown>> {
  /** The agent hub's URL, handed to each instance as `LATENT_HUB_URL`. */
  hubUrl: string;
  /**
   * The SHA-256 fingerprint of a `wss://` hub's certificate (`AB:CD:…`), handed to each
   * instance as `LATENT_HUB_FINGERPRINT`: the agent then talks to the hub that shows this
   * certificate, self-signed or not, and to no other. The agent checks its form.
   */
  hubFingerprint?: string;
  /**
   * The program to start, as argv; a function picks one per start.
   * @default the package's `latent-agent` under this Node
   */
  command?: readonly string[] | ((ctx: StartContext<P>) => readonly string[]);
  cwd?: string;
  /**
   * Added to this process's environment (the connection details and identity are added last):
   * e.g. `LATENT_GIVE_UP_AFTER` (seconds) or `LATENT_ON_GIVE_UP` for `latent-agent`.
   */
  env?: Record<string, string>;
  /**
   * Time between SIGTERM and SIGKILL when stopping, ms. A fast stop, or one whose signal aborts,
   * sends SIGKILL at once. Longer than the agent's own (2 s), so that it can end its commands
   * itself. @default 5_000
   */
  stopGracePeriod?: number;
  /** Lines of stderr kept to explain an early exit. @default 20 */
  stderrLines?: number;
  /**
   * A folder where each instance is recorded while it lives, in `<instanceName>.json`: its
   * worker, labels, the hub URL it was given, its process group leader's pid and start time,
   * and when it was created. A later orchestrator process, with a provider on the same folder
   * (and whatever `hubUrl`), then lists (`listInstances`) and stops the
   * instances that one killed or crashed left running. Made if missing, mode 0700. One
   * orchestrator at a time per folder: a live one's records are not another's to act on.
   * Linux only, as the leader is told from a process that got its pid by `/proc`: elsewhere
   * the records are written but lead a stranger to nothing.
   * @default none: an instance is known to the process that started it only
   */
  stateDir?: string;
}

/** An instance's process came up or went away. */
export type ProcessEvent =
  | { type: 'spawned'; worker: string; instanceName: string; pid: number }
  | ({ type: 'exited'; worker: string; instanceName: string; pid: number } & ProcessExit);

/** The package's single-file `latent-agent` (`dist/agent/`), under this Node. */
export const AGENT_COMMAND: readonly string[] = [
  process.execPath,
  fileURLToPath(new URL('../../../agent/latent-agent.mjs', import.meta.url))
];
