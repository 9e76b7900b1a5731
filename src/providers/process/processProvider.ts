import { Subject, type Observable } from 'rxjs';
import { LatentWorkerCannotSubstantiate } from '../../errors.js';
import type {
  CheckContext,
  CheckResult,
  Provider,
  StartContext,
  StopContext
} from '../provider.js';
import { findProcessGroups } from './findProcessGroups.js';
import { ProcessInstance } from './processInstance.js';
import {
  AGENT_COMMAND,
  type ProcessEvent,
  type ProcessProviderOptions
} from './processProviderOptions.js';
import { stopGroups } from './stopGroups.js';

/** A spawned instance and the worker it belongs to. */
interface Entry {
  workerName: string;
  instance: ProcessInstance;
}

/**
 * The embedded default provider: each instance is a local process (by default `latent-agent`),
 * started in a process group of its own whose leader's pid is the `instanceId`. Its
 * environment carries the connection details, `LATENT_HUB_URL`, `LATENT_WORKER_NAME`,
 * `LATENT_WORKER_PASSWORD` and, when set, `LATENT_HUB_FINGERPRINT`, and the instance's
 * identity, `LATENT_INSTANCE_NAME` and `LATENT_LABELS` (the labels as a JSON object), so that
 * its processes can be found again.
 *
 * A stop ends the instance's processes: the leader's group and, on Linux, the group of every
 * process of this user whose environment carries the instance's `LATENT_INSTANCE_NAME` and this
 * provider's `LATENT_HUB_URL`: the commands `latent-agent` ran, to which it hands its
 * environment (without the password), even after the agent itself was killed with SIGKILL.
 * The hub URL keeps apart orchestrators whose instances share names (the same owner and worker
 * names). Elsewhere a stop reaches the leader's group only.
 *
 * Instances are keyed by `instanceName`: a start for an instance whose process still runs
 * adopts that process, and a stop of an instance that is unknown or already gone succeeds
 * (after ending, on Linux, the processes that carry its name, whoever started them).
 */
export class ProcessProvider<P = Record<string, unknown>> implements Provider<P> {
  readonly events$: Observable<ProcessEvent>;
  readonly #options: ProcessProviderOptions<P>;
  readonly #instances = new Map<string, Entry>();
  /** Spawns under way, so that a start issued twice at once makes one process too. */
  readonly #spawning = new Map<string, Promise<Entry>>();
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
    const { instanceName } = ctx;
    const running = this.#instances.get(instanceName);
    if (running && !running.instance.exit) return { instanceId: String(running.instance.pid) };
    let spawning = this.#spawning.get(instanceName);
    if (!spawning) {
      spawning = this.#spawn(ctx).finally(() => this.#spawning.delete(instanceName));
      this.#spawning.set(instanceName, spawning);
    }
    return { instanceId: String((await spawning).instance.pid) };
  }

  async stopInstance({ instanceName, fast, signal }: StopContext): Promise<void> {
    await this.#spawning.get(instanceName)?.catch(() => undefined);
    const entry = this.#instances.get(instanceName);
    const agent = entry?.instance;
    const tags = { LATENT_INSTANCE_NAME: instanceName, LATENT_HUB_URL: this.#options.hubUrl };
    const running = async () => {
      const groups = new Set(await findProcessGroups(tags));
      if (agent && !agent.exit) groups.add(agent.pid);
      return [...groups];
    };
    const grace = this.#options.stopGracePeriod ?? 5_000;
    const forget = () => {
      if (entry && this.#instances.get(instanceName) === entry) {
        this.#instances.delete(instanceName);
      }
    };
    if (await stopGroups(running, { grace, fast, signal }, agent?.exited)) return forget();
    // Kept until it is seen gone, so that a stop issued again still finds it.
    void agent?.exited.then(forget);
    throw new Error(`ProcessProvider: processes of ${instanceName} outlived their SIGKILL`);
  }

  checkInstance({ instanceName }: CheckContext): CheckResult {
    const instance = this.#instances.get(instanceName)?.instance;
    if (!instance) return { isGood: false, message: `no process for ${instanceName}` };
    // Only asked while waiting for the attach: any exit is an exit before connecting.
    return instance.exit ? { isGood: false, message: instance.describeExit() } : { isGood: true };
  }

  /** The process id of `workerName`'s latest instance not yet stopped, if any. */
  pidOf(workerName: string): number | undefined {
    return [...this.#instances.values()].findLast((entry) => entry.workerName === workerName)
      ?.instance.pid;
  }

  async #spawn(ctx: StartContext<P>): Promise<Entry> {
    const { command = AGENT_COMMAND, cwd, env, hubFingerprint, stderrLines = 20 } = this.#options;
    const argv = typeof command === 'function' ? command(ctx) : command;
    const { workerName, instanceName } = ctx;
    let instance: ProcessInstance;
    try {
      instance = await ProcessInstance.spawn(argv, {
        stderrLines,
        ...(cwd !== undefined ? { cwd } : {}),
        env: {
          ...process.env,
          ...env,
          LATENT_HUB_URL: this.#options.hubUrl,
          ...(hubFingerprint !== undefined ? { LATENT_HUB_FINGERPRINT: hubFingerprint } : {}),
          LATENT_WORKER_NAME: workerName,
          LATENT_WORKER_PASSWORD: ctx.password,
          LATENT_INSTANCE_NAME: instanceName,
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
    const entry = { workerName, instance };
    this.#instances.set(instanceName, entry);
    this.#events.next({ type: 'spawned', worker: workerName, instanceName, pid });
    void instance.exited.then((exit) =>
      this.#events.next({ type: 'exited', worker: workerName, instanceName, pid, ...exit })
    );
    return entry;
  }
}
