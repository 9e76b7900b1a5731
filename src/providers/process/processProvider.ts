import { fileURLToPath } from 'node:url';
import { Subject, type Observable } from 'rxjs';
import { LatentWorkerCannotSubstantiate } from '../../errors.js';
import type {
  CheckContext,
  CheckResult,
  Provider,
  StartContext,
  StopContext
} from '../provider.js';
import { ProcessInstance, type ProcessExit } from './processInstance.js';

export interface ProcessProviderOptions<P> {
  /** The agent hub's URL, handed to each instance as `LATENT_HUB_URL`. */
  hubUrl: string;
  /**
   * The program to start, as argv; a function picks one per start.
   * @default the package's `latent-agent` under this Node
   */
  command?: readonly string[] | ((ctx: StartContext<P>) => readonly string[]);
  cwd?: string;
  /** Added to this process's environment (the connection details and identity are added last). */
  env?: Record<string, string>;
  /**
   * Time between SIGTERM and SIGKILL when stopping, ms. A fast stop, or one whose signal aborts,
   * sends SIGKILL at once. @default 5_000
   */
  stopGracePeriod?: number;
  /** Lines of stderr kept to explain an early exit. @default 20 */
  stderrLines?: number;
}

/** An instance's process came up or went away. */
export type ProcessEvent =
  | { type: 'spawned'; worker: string; pid: number }
  | ({ type: 'exited'; worker: string; pid: number } & ProcessExit);

/** The bundled agent, next to this module in `dist/`. */
export const AGENT_COMMAND: readonly string[] = [
  process.execPath,
  fileURLToPath(new URL('../../runtime/hub/agent/main.js', import.meta.url))
];

/**
 * The embedded default provider: each instance is a local process (by default `latent-agent`),
 * started in a process group of its own whose leader's pid is the `instanceId`. Its
 * environment carries the connection details, `LATENT_HUB_URL`, `LATENT_WORKER_NAME` and
 * `LATENT_WORKER_PASSWORD`, and the instance's identity, `LATENT_INSTANCE_NAME` and
 * `LATENT_LABELS` (the labels as a JSON object), so that its processes can be found again.
 */
export class ProcessProvider<P = Record<string, unknown>> implements Provider<P> {
  readonly events$: Observable<ProcessEvent>;
  readonly #options: ProcessProviderOptions<P>;
  readonly #instances = new Map<string, ProcessInstance>();
  readonly #events = new Subject<ProcessEvent>();

  constructor(options: ProcessProviderOptions<P>) {
    if (typeof options?.hubUrl !== 'string' || options.hubUrl === '') {
      throw new TypeError('ProcessProvider: hubUrl must be a non-empty string');
    }
    this.#options = options;
    this.events$ = this.#events.asObservable();
  }

  async startInstance(ctx: StartContext<P>): Promise<{ instanceId: string }> {
    ctx.signal.throwIfAborted();
    const { command = AGENT_COMMAND, cwd, env, stderrLines = 20 } = this.#options;
    const argv = typeof command === 'function' ? command(ctx) : command;
    const { workerName } = ctx;
    let instance: ProcessInstance;
    try {
      instance = await ProcessInstance.spawn(argv, {
        stderrLines,
        ...(cwd !== undefined ? { cwd } : {}),
        env: {
          ...process.env,
          ...env,
          LATENT_HUB_URL: this.#options.hubUrl,
          LATENT_WORKER_NAME: workerName,
          LATENT_WORKER_PASSWORD: ctx.password,
          LATENT_INSTANCE_NAME: ctx.instanceName,
          LATENT_LABELS: JSON.stringify(ctx.labels)
        }
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || error instanceof TypeError) {
        throw new LatentWorkerCannotSubstantiate(
          `ProcessProvider: cannot run ${JSON.stringify(argv[0])} for ${workerName}: ${code ?? (error as Error).message}`,
          { cause: error }
        );
      }
      throw error;
    }
    const { pid } = instance;
    this.#instances.set(workerName, instance);
    this.#events.next({ type: 'spawned', worker: workerName, pid });
    void instance.exited.then((exit) =>
      this.#events.next({ type: 'exited', worker: workerName, pid, ...exit })
    );
    return { instanceId: String(pid) };
  }

  async stopInstance({ workerName, fast, signal }: StopContext): Promise<void> {
    const instance = this.#instances.get(workerName);
    if (!instance) return; // never started (spawn failed): nothing to stop
    const grace = this.#options.stopGracePeriod ?? 5_000;
    const forget = () => {
      if (this.#instances.get(workerName) === instance) this.#instances.delete(workerName);
    };
    if (await instance.stop({ grace, fast, signal })) return forget();
    // Kept until it is seen gone, so that a stop issued again still finds it.
    void instance.exited.then(forget);
    throw new Error(
      `ProcessProvider: process group ${instance.pid} of ${workerName} outlived its SIGKILL`
    );
  }

  checkInstance({ workerName }: CheckContext): CheckResult {
    const instance = this.#instances.get(workerName);
    if (!instance) return { isGood: false, message: `no process for ${workerName}` };
    // Only asked while waiting for the attach: any exit is an exit before connecting.
    return instance.exit ? { isGood: false, message: instance.describeExit() } : { isGood: true };
  }

  /** The live instance's process id, if any. */
  pidOf(workerName: string): number | undefined {
    return this.#instances.get(workerName)?.pid;
  }
}
