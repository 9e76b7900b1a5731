import type { Connection } from '../../machines/latentWorker/types.js';
import type {
  CheckContext,
  CheckResult,
  ListedInstance,
  Provider,
  StartContext,
  StartResult,
  StopContext
} from '../provider.js';

/** The fake instance's life: a start needs `stopped`, a stop needs `started`. */
export type InstanceState = 'stopped' | 'starting' | 'started' | 'stopping';

/** The part of a worker the fake instance talks to when it connects and disconnects. */
export interface AttachTarget {
  attached(connection: Connection): void;
  detached(connection?: Connection): void;
}

export interface ControllableProviderOptions<P = Record<string, unknown>> {
  /**
   * Complete every start at once with `{ instanceId: 'controllable-<n>' }` (and the connect,
   * when `autoConnect`).
   */
  autoStart?: boolean;
  /** Complete every stop at once. */
  autoStop?: boolean;
  /** Connect the worker while the start completes, before it returns. @default true */
  autoConnect?: boolean;
  /** Disconnect the worker while the stop completes, before it returns. @default true */
  autoDisconnect?: boolean;
  /** Instances differ by this rendering of the build properties (Buildbot's `kind`). */
  kind?: (props: P | undefined) => unknown;
  /** Called on a broken contract; by default the violation is thrown as an uncaught error. */
  onViolation?: (message: string) => void;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * A provider driven by hand, like Buildbot's `ControllableLatentWorker`: starts and stops stay
 * pending until the test completes them (or complete at once in auto mode), the instance
 * connects and disconnects on command, and every breach of the provider contract (a start
 * that is not paired with a stop, overlapping calls) is reported as a violation. Use it to
 * test an orchestrator without real instances.
 *
 * @example
 * ```ts
 * const provider = new ControllableProvider();
 * const worker = createLatentWorker({ name: 'w', provider });
 * provider.bind(worker);
 * const up = worker.substantiate();
 * provider.completeStart(true);   // the worker connects during the start
 * await up;                        // true
 * ```
 */
export class ControllableProvider<P = Record<string, unknown>> implements Provider<P> {
  state: InstanceState = 'stopped';
  /** Every start call, in order, with its context (password, props, signal). */
  readonly starts: StartContext<P>[] = [];
  readonly stops: StopContext[] = [];
  checks = 0;
  /** Broken provider-contract rules, in the words of the first report. */
  readonly violations: string[] = [];
  /** Drives `checkInstance`: a crashed instance reports not good. */
  crashed = false;
  crashMessage = 'the instance crashed';
  /** The properties the running instance was started with. */
  startedKind: unknown;
  connection: Connection | undefined;
  /** What `attached()` threw when the worker refused an automatic connect. */
  readonly refusedConnections: unknown[] = [];
  readonly buildsMayBeIncompatible: boolean;

  #options: ControllableProviderOptions<P>;
  #target: AttachTarget | undefined;
  #start: Pending<StartResult> | undefined;
  /** The live instance's start, which a start issued again for its name answers with. */
  #started: Promise<StartResult> | undefined;
  #stop: Pending<void> | undefined;
  #inFlight = 0;

  constructor(options: ControllableProviderOptions<P> = {}) {
    this.#options = { autoConnect: true, autoDisconnect: true, ...options };
    this.buildsMayBeIncompatible = options.kind !== undefined;
  }

  /** The worker this instance connects to. */
  bind(target: AttachTarget): this {
    this.#target = target;
    return this;
  }

  get lastStart(): StartContext<P> | undefined {
    return this.starts.at(-1);
  }

  /** A start is waiting for `completeStart`. */
  get startPending(): boolean {
    return this.#start !== undefined;
  }

  /** A stop is waiting for `completeStop`. */
  get stopPending(): boolean {
    return this.#stop !== undefined;
  }

  startInstance(ctx: StartContext<P>): Promise<StartResult> {
    // The live instance's name again (a retry, a restarted orchestrator): adopted, not doubled.
    if (this.#started && ctx.instanceName === this.lastStart?.instanceName) {
      this.#enter('startInstance');
      return this.#leaveWhenSettled(this.#started);
    }
    this.#enter('startInstance');
    if (this.state !== 'stopped')
      this.#violate(`startInstance while the instance is ${this.state}`);
    this.state = 'starting';
    this.starts.push(ctx);
    this.startedKind = this.#options.kind?.(ctx.props);
    const result = new Promise<StartResult>(
      (resolve, reject) => (this.#start = { resolve, reject })
    );
    this.#started = result;
    const n = this.starts.length;
    if (this.#options.autoStart) {
      queueMicrotask(() => this.completeStart({ instanceId: `controllable-${n}` }));
    }
    return this.#leaveWhenSettled(result);
  }

  stopInstance(ctx: StopContext): Promise<void> {
    this.#enter('stopInstance');
    this.stops.push(ctx);
    const live = this.lastStart?.instanceName ?? ctx.instanceName; // a state set by hand: this one
    if (this.state === 'stopped' || ctx.instanceName !== live) {
      // Never started, already gone or unknown: stopped, as the contract has it.
      return this.#leaveWhenSettled(Promise.resolve());
    }
    if (this.state !== 'started') this.#violate(`stopInstance while the instance is ${this.state}`);
    this.state = 'stopping';
    this.#started = undefined;
    const result = new Promise<void>((resolve, reject) => (this.#stop = { resolve, reject }));
    if (this.#options.autoStop) queueMicrotask(() => this.completeStop());
    return this.#leaveWhenSettled(result);
  }

  checkInstance(_ctx: CheckContext): CheckResult {
    this.checks++;
    return this.crashed ? { isGood: false, message: this.crashMessage } : { isGood: true };
  }

  /** The live instance, if it carries every one of `labels`. */
  listInstances({
    labels
  }: {
    labels: Readonly<Record<string, string>>;
  }): Promise<ListedInstance[]> {
    const live = this.state === 'stopped' ? undefined : this.lastStart;
    const matches =
      live && Object.entries(labels).every(([name, value]) => live.labels[name] === value);
    return Promise.resolve(
      matches ? [{ instanceName: live.instanceName, labels: live.labels }] : []
    );
  }

  isCompatibleWithBuild(props: P, startedWith: P | undefined): boolean {
    // The engine names the instance to compare with (the live one or the one queued to start);
    // without one, anything goes. Otherwise the rendered kinds must match.
    const kind = this.#options.kind;
    return startedWith === undefined || !kind || Object.is(kind(props), kind(startedWith));
  }

  /**
   * Finish the pending start with `result` (or reject it with an `Error`). The instance counts
   * as started whatever the outcome, as a real one may be half up; with `autoConnect` and a
   * successful result the worker connects before the start returns.
   */
  completeStart(result: StartResult | Error = true): void {
    const pending = this.#start;
    if (!pending) throw new Error('ControllableProvider.completeStart: no start is pending');
    this.#start = undefined;
    this.state = 'started';
    if (result instanceof Error) return pending.reject(result);
    if (this.#options.autoConnect && result !== false) this.#connectRefusable();
    pending.resolve(result);
  }

  /** Finish the pending stop (or fail it with `error`); with `autoDisconnect` the worker goes first. */
  completeStop(error?: Error): void {
    const pending = this.#stop;
    if (!pending) throw new Error('ControllableProvider.completeStop: no stop is pending');
    this.#stop = undefined;
    this.state = 'stopped';
    this.startedKind = undefined;
    if (this.#options.autoDisconnect) this.disconnect();
    if (error) pending.reject(error);
    else pending.resolve();
  }

  /** The instance's worker connects; throws what `attached()` throws. */
  connect(): Connection {
    if (!this.#target) throw new Error('ControllableProvider.connect: bind(worker) first');
    const connection: Connection = {
      disconnect: () => {
        if (this.connection === connection) this.disconnect();
      }
    };
    this.connection = connection;
    try {
      this.#target.attached(connection);
    } catch (error) {
      if (this.connection === connection) this.connection = undefined;
      throw error;
    }
    return connection;
  }

  /**
   * The worker's own connect during a start: a refusal (the substantiation was cancelled
   * meanwhile) is the worker's answer to the instance, not the start's outcome.
   */
  #connectRefusable(): void {
    try {
      this.connect();
    } catch (error) {
      this.refusedConnections.push(error);
    }
  }

  /** The instance's worker disconnects. */
  disconnect(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    this.#target?.detached(connection);
  }

  setAuto(options: Pick<ControllableProviderOptions<P>, 'autoStart' | 'autoStop'>): void {
    Object.assign(this.#options, options);
    if (options.autoStart && this.#start) this.completeStart(true);
    if (options.autoStop && this.#stop) this.completeStop();
  }

  /** Reports a violation unless every start has had its stop and nothing is pending. */
  assertPaired(): void {
    if (this.starts.length !== this.stops.length || this.state !== 'stopped') {
      this.#violate(
        `${this.starts.length} starts but ${this.stops.length} stops; instance ${this.state}`
      );
    }
  }

  #enter(call: string): void {
    if (this.#inFlight > 0) this.#violate(`${call} overlaps another provider call`);
    this.#inFlight++;
  }

  #leaveWhenSettled<T>(result: Promise<T>): Promise<T> {
    const leave = () => void this.#inFlight--;
    result.then(leave, leave);
    return result;
  }

  #violate(message: string): void {
    this.violations.push(message);
    const report =
      this.#options.onViolation ??
      ((text: string) =>
        queueMicrotask(() => {
          throw new Error(`provider contract violated: ${text}`);
        }));
    report(message);
  }
}
