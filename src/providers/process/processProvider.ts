import { Subject, type Observable } from 'rxjs';
import { LatentWorkerCannotSubstantiate } from '../../errors.js';
import type {
  CheckContext,
  CheckResult,
  ListedInstance,
  Provider,
  StartContext,
  StopContext
} from '../provider.js';
import { findProcessGroups } from './findProcessGroups.js';
import { InstanceRecords, type InstanceRecord } from './instanceRecords.js';
import { identityOf, isRunning, type ProcessIdentity } from './processIdentity.js';
import { ProcessInstance } from './processInstance.js';
import {
  AGENT_COMMAND,
  type ProcessEvent,
  type ProcessProviderOptions
} from './processProviderOptions.js';
import { instanceKey, leaderRuns, leaderRunsWith, runningInstances } from './recordedProcesses.js';
import { StartsUnderWay } from '../startsUnderWay.js';
import { stopGroups } from './stopGroups.js';

/** An instance this provider started or adopted, until its stop succeeded. */
interface Entry {
  record: InstanceRecord;
  /** Its process group leader's. */
  pid: number;
  /** The process spawned; none for one adopted from an earlier orchestrator. */
  instance?: ProcessInstance;
}

/** Whether the entry's leader still runs. */
function isUp({ record, instance }: Entry): boolean {
  return instance ? !instance.exit : leaderRuns(record);
}

/**
 * The embedded default provider: each instance is a local process (by default `latent-agent`),
 * started in a process group (and session) of its own whose leader's pid is the `instanceId`,
 * so that it outlives an orchestrator killed with SIGKILL. Its environment carries the
 * connection details, `LATENT_HUB_URL`, `LATENT_WORKER_NAME`, `LATENT_WORKER_PASSWORD` and,
 * when set, `LATENT_HUB_FINGERPRINT`, and the instance's identity, `LATENT_INSTANCE_NAME` and
 * `LATENT_LABELS` (the labels as a JSON object), so that its processes can be found again.
 *
 * A stop ends the instance's processes: the leader's group and, on Linux, the group of every
 * process of this user whose environment carries the instance's `LATENT_INSTANCE_NAME` and this
 * provider's `LATENT_HUB_URL` (or the one recorded for it): the commands `latent-agent` ran, to
 * which it hands its environment (without the password), even after the agent itself was
 * killed with SIGKILL. The hub URL keeps apart orchestrators whose instances share names (the
 * same owner and worker names). Elsewhere a stop reaches the leader's group only.
 *
 * Instances are keyed by `instanceName`: a start for an instance whose process still runs
 * adopts that process, and a stop of an instance that is unknown or already gone succeeds
 * (after ending, on Linux, the processes that carry its name, whoever started them).
 *
 * With `stateDir`, each instance is also recorded on disk from before its spawn until its stop
 * succeeded, and the provider acts on the records of earlier orchestrator processes too:
 * `listInstances` lists theirs that still run; a stop of an instance it does not know ends the
 * recorded group (if its leader is still the recorded process) and the processes that carry the
 * recorded hub URL; a start for a name an earlier orchestrator left running adopts that
 * process if it can serve this start (it dials this hub with this password), and ends it
 * first otherwise, so that one name is still one instance.
 */
export class ProcessProvider<P = Record<string, unknown>> implements Provider<P> {
  readonly events$: Observable<ProcessEvent>;
  readonly #options: ProcessProviderOptions<P>;
  readonly #records: InstanceRecords | undefined;
  readonly #instances = new Map<string, Entry>();
  readonly #starting = new StartsUnderWay<Entry>();
  readonly #events = new Subject<ProcessEvent>();
  /** This process's identity (null off Linux), once asked for. */
  #self: ProcessIdentity | null | undefined;

  constructor(options: ProcessProviderOptions<P>) {
    if (typeof options?.hubUrl !== 'string' || options.hubUrl === '') {
      throw new TypeError('ProcessProvider: hubUrl must be a non-empty string');
    }
    if (options.stateDir !== undefined && options.stateDir === '') {
      throw new TypeError('ProcessProvider: stateDir must be a non-empty path');
    }
    this.#options = options;
    this.#records =
      options.stateDir !== undefined ? new InstanceRecords(options.stateDir) : undefined;
    this.events$ = this.#events.asObservable();
  }

  async startInstance(ctx: StartContext<P>): Promise<{ instanceId: string }> {
    ctx.signal.throwIfAborted();
    const { instanceName } = ctx;
    const known = this.#instances.get(instanceName);
    if (known && isUp(known)) return { instanceId: String(known.pid) };
    const starting = this.#starting.join(instanceName, () => this.#start(ctx, known === undefined));
    return { instanceId: String((await starting).pid) };
  }

  async stopInstance({ instanceName, fast, signal }: StopContext): Promise<void> {
    await this.#starting.ended(instanceName);
    const entry = this.#instances.get(instanceName);
    // Not one of ours: an earlier orchestrator's, if a record says so.
    const record = entry?.record ?? (await this.#records?.read(instanceName));
    const forget = () => {
      if (entry && this.#instances.get(instanceName) === entry) {
        this.#instances.delete(instanceName);
      }
    };
    if (await this.#end(instanceName, record, entry?.instance, { fast, signal })) {
      await this.#records?.remove(instanceName); // not before: a stop issued again needs it
      return forget();
    }
    // Kept until it is seen gone, so that a stop issued again still finds it.
    void entry?.instance?.exited.then(forget);
    throw new Error(`ProcessProvider: processes of ${instanceName} outlived their SIGKILL`);
  }

  checkInstance({ instanceName }: CheckContext): CheckResult {
    const entry = this.#instances.get(instanceName);
    if (!entry) return { isGood: false, message: `no process for ${instanceName}` };
    // Only asked while waiting for the attach: any exit is an exit before connecting.
    const { instance } = entry;
    if (instance) {
      return instance.exit ? { isGood: false, message: instance.describeExit() } : { isGood: true };
    }
    return isUp(entry)
      ? { isGood: true }
      : {
          isGood: false,
          message: `process ${entry.pid}, adopted from an earlier orchestrator, is gone`
        };
  }

  /**
   * The instances that carry every one of `labels` and still run: their leader, or on Linux any
   * process that carries their name and hub URL. With `stateDir`, those of its records (also an
   * earlier orchestrator's); without, this provider's own. Oldest first. A record whose processes
   * are all gone and whose writer has ended too is removed: nobody is left to stop it.
   */
  async listInstances({
    labels,
    signal
  }: {
    labels: Readonly<Record<string, string>>;
    signal: AbortSignal;
  }): Promise<ListedInstance[]> {
    signal.throwIfAborted();
    const records = this.#records
      ? await this.#records.list()
      : [...this.#instances.values()].map(({ record }) => record);
    const wanted = Object.entries(labels);
    const matching = records.filter((record) =>
      wanted.every(([name, value]) => record.labels[name] === value)
    );
    const leaderUp = (record: InstanceRecord) => {
      const entry = this.#instances.get(record.instanceName);
      return entry ? isUp(entry) : leaderRuns(record);
    };
    // One read of /proc for every record whose leader is gone, whatever their number.
    const tagged = matching.every(leaderUp) ? new Set<string>() : await runningInstances();
    signal.throwIfAborted();
    const live = (record: InstanceRecord) =>
      leaderUp(record) || tagged.has(instanceKey(record.instanceName, record.hubUrl));
    await Promise.all(matching.filter((record) => !live(record)).map((r) => this.#prune(r)));
    const oldestFirst = matching.filter(live).sort((a, b) => a.createdAt - b.createdAt);
    return oldestFirst.map(({ instanceName, labels, createdAt, leader }) => {
      const pid = this.#instances.get(instanceName)?.pid ?? leader?.pid;
      return {
        instanceName,
        labels,
        createdAt,
        ...(pid !== undefined ? { instanceId: String(pid) } : {})
      };
    });
  }

  /** The process id of `workerName`'s latest instance not yet stopped, if any. */
  pidOf(workerName: string): number | undefined {
    return [...this.#instances.values()].findLast((entry) => entry.record.workerName === workerName)
      ?.pid;
  }

  /**
   * Starts `ctx`'s instance. A record of an earlier orchestrator under its name whose leader
   * still runs is the same instance by the contract: adopted if it dials this hub as this start
   * (the same URL, fingerprint, worker and password), ended first otherwise (SIGKILL, at once:
   * it cannot attach here and its orchestrator, its builds with it, is gone).
   */
  async #start(ctx: StartContext<P>, unknown: boolean): Promise<Entry> {
    const { instanceName } = ctx;
    const leftover = unknown ? await this.#records?.read(instanceName) : undefined;
    if (!leftover) return this.#spawn(ctx);
    const { hubUrl, hubFingerprint } = this.#options;
    const servesThisStart = await leaderRunsWith(leftover, {
      LATENT_HUB_URL: hubUrl,
      LATENT_HUB_FINGERPRINT: hubFingerprint,
      LATENT_WORKER_NAME: ctx.workerName,
      LATENT_WORKER_PASSWORD: ctx.password,
      LATENT_INSTANCE_NAME: instanceName
    });
    if (servesThisStart && leftover.leader) {
      const entry: Entry = { record: { ...leftover, ...this.#writer() }, pid: leftover.leader.pid };
      this.#instances.set(instanceName, entry);
      await this.#records?.write(entry.record); // ours now
      return entry;
    }
    if (!(await this.#end(instanceName, leftover, undefined, { fast: true, signal: ctx.signal }))) {
      throw new Error(
        `ProcessProvider: processes of an earlier ${instanceName} outlived their SIGKILL`
      );
    }
    return this.#spawn(ctx);
  }

  /**
   * Ends `instanceName`'s processes, as {@link stopGroups} does: `agent`'s group if it runs,
   * else the recorded leader's if it is still that process, and on Linux the groups of the
   * processes that carry its name and this provider's or the recorded hub URL. True once none
   * is left.
   */
  #end(
    instanceName: string,
    record: InstanceRecord | undefined,
    agent: ProcessInstance | undefined,
    { fast, signal }: { fast: boolean; signal: AbortSignal }
  ): Promise<boolean> {
    const hubUrls = [...new Set([this.#options.hubUrl, ...(record ? [record.hubUrl] : [])])];
    const tags = { LATENT_INSTANCE_NAME: instanceName, LATENT_HUB_URL: hubUrls };
    const running = async () => {
      const groups = new Set(await findProcessGroups(tags));
      if (agent && !agent.exit) groups.add(agent.pid);
      else if (!agent && record?.leader && isRunning(record.leader)) groups.add(record.leader.pid);
      return [...groups];
    };
    const grace = this.#options.stopGracePeriod ?? 5_000;
    return stopGroups(running, { grace, fast, signal }, agent?.exited);
  }

  /**
   * Removes a record nobody will stop: its processes are gone, and so is the process that wrote
   * it (a live one stops its own, and one that cannot be told gone, off Linux, is kept).
   */
  async #prune(record: InstanceRecord): Promise<void> {
    const { instanceName, writer } = record;
    if (!this.#records || this.#instances.has(instanceName) || this.#starting.has(instanceName)) {
      return;
    }
    if (!writer || isRunning(writer)) return;
    await this.#records.remove(instanceName);
  }

  /** This process, as the writer of a record: read once, it does not change. */
  #writer(): Pick<InstanceRecord, 'writer'> {
    this.#self ??= identityOf(process.pid) ?? null;
    return this.#self ? { writer: this.#self } : {};
  }

  async #spawn(ctx: StartContext<P>): Promise<Entry> {
    const { command = AGENT_COMMAND, cwd, env, hubFingerprint, stderrLines = 20 } = this.#options;
    const argv = typeof command === 'function' ? command(ctx) : command;
    const { workerName, instanceName, labels } = ctx;
    const { hubUrl } = this.#options;
    const record: InstanceRecord = {
      workerName,
      instanceName,
      labels,
      hubUrl,
      createdAt: Date.now(),
      ...this.#writer()
    };
    // Before the spawn: should this process die between the spawn and the record of its pid,
    // the name and the hub URL are on record for the search of /proc.
    await this.#records?.write(record);
    let instance: ProcessInstance;
    try {
      instance = await ProcessInstance.spawn(argv, {
        stderrLines,
        ...(cwd !== undefined ? { cwd } : {}),
        env: {
          ...process.env,
          ...env,
          LATENT_HUB_URL: hubUrl,
          ...(hubFingerprint !== undefined ? { LATENT_HUB_FINGERPRINT: hubFingerprint } : {}),
          LATENT_WORKER_NAME: workerName,
          LATENT_WORKER_PASSWORD: ctx.password,
          LATENT_INSTANCE_NAME: instanceName,
          LATENT_LABELS: JSON.stringify(labels)
        }
      });
    } catch (error) {
      await this.#records?.remove(instanceName).catch(() => undefined); // nothing to find
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
    // Read before the exit can be seen, so before the pid can be reaped and handed out again.
    const leader = identityOf(pid);
    const entry: Entry = { record: leader ? { ...record, leader } : record, pid, instance };
    this.#instances.set(instanceName, entry);
    this.#events.next({ type: 'spawned', worker: workerName, instanceName, pid });
    void instance.exited.then((exit) =>
      this.#events.next({ type: 'exited', worker: workerName, instanceName, pid, ...exit })
    );
    // Known from here on: should this write fail, the stop that follows a start still ends it.
    await this.#records?.write(entry.record);
    return entry;
  }
}
