import type { Observable } from 'rxjs';
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import {
  LatentWorkerConnectionRejected,
  LatentWorkerError,
  LatentWorkerSubstantiationCancelled,
  LatentWorkerUnavailable,
  type UnavailableReason
} from '../errors.js';
import type { latentWorkerMachine } from '../machines/latentWorker/machine.js';
import {
  availabilityOf,
  instanceStateOf,
  type WorkerState
} from '../machines/latentWorker/snapshot.js';
import {
  isBuildResult,
  type BuildResult,
  type Connection,
  type SubstantiationOutcome,
  type WorkerMachineEmitted,
  type WorkerMachineEvent
} from '../machines/latentWorker/types.js';
import type { InstanceRef } from '../providers/provider.js';
import type { LatentWorker } from './createLatentWorker.js';
import { EventSink, type EventListener } from './eventSink.js';
import type { WorkerEvent } from './events.js';
import type { ResolvedOptions } from './options.js';
import { fromPersisted, toPersisted, type PersistedWorkerSnapshot } from './persistence.js';
import {
  bindProvider,
  ProviderPort,
  providedWorkerMachine,
  type PortHolder
} from './providerActors.js';
import { statusOf, summarize, type WorkerStatus } from './status.js';

type WorkerSnapshot = SnapshotFrom<typeof latentWorkerMachine>;

interface Waiter {
  resolve(value: boolean): void;
  reject(error: Error): void;
}

/**
 * The `LatentWorker` facade over one worker actor: turns calls into machine events, the
 * machine's emitted events into promise outcomes and `events$`, and performs the effects the
 * pure machine asks for (disconnecting connections). A class, so that a hundred thousand idle
 * workers share their methods; its maps, lists and `events$` are made on first use, and no
 * event object is built while nobody subscribes.
 */
export class WorkerRuntime<P> implements LatentWorker<P>, PortHolder {
  readonly name: string;
  readonly actor: Actor<typeof latentWorkerMachine>;

  readonly #options: ResolvedOptions<P>;
  readonly #events = new EventSink<WorkerEvent>();
  /** Made on the first provider call, or the first look at an instance. */
  #port: ProviderPort<P> | undefined;
  /**
   * The snapshot the last transition left, to tell what changed; undefined until someone
   * waits on the worker or takes `events$` (see `#watch`).
   */
  #previous: WorkerSnapshot | undefined;
  #waiters: Map<number, Waiter> | undefined;
  /** `insubstantiate()` callers, released when the running stop ends or its deadline passes. */
  #stopWaiters: Array<() => void> | undefined;
  /** Verdicts of `attach` events, read back by `attached()`. */
  #rejections: Map<Connection, string> | undefined;
  #nextWaiter = 0;
  #quarantineEnds = 0;
  #shutdown: Promise<void> | undefined;
  /** Resolves `shutdown()`: once shut down, or once taking the instance down is overdue. */
  #resolveShutdown: (() => void) | undefined;
  /** Shut down for good: the actor is stopped and `events$` complete. */
  #retiredForGood = false;

  constructor(options: ResolvedOptions<P>) {
    const { name, settings, snapshot, inspect, clock } = options;
    this.name = name;
    this.#options = options;
    this.actor = createActor(providedWorkerMachine, {
      id: name,
      systemId: name,
      input: { name, settings },
      ...(snapshot ? { snapshot: fromPersisted(snapshot, name, settings) } : {}),
      ...(inspect ? { inspect } : {}),
      ...(clock ? { clock } : {})
    });
    bindProvider(this.actor.system, this);
    this.actor.on('*', (event) => this.#onMachineEvent(event));
    this.actor.start();
    if (snapshot) this.#send({ type: 'restore' });
    if (options.journal) this.#send({ type: 'recover' });
  }

  /** Where this worker's provider calls go (for its machine's actors, not for users). */
  get providerPort(): ProviderPort<never> {
    return (this.#port ??= new ProviderPort(this.#options, this.#events)) as ProviderPort<never>;
  }

  get events$(): Observable<WorkerEvent> {
    this.#watch();
    return this.#events.observable;
  }

  /**
   * `events$` without rxjs, for the Fleet's bookkeeping of each of its workers (not part of
   * `LatentWorker`): `listener` hears every event until `unlisten`.
   */
  listen(listener: EventListener<WorkerEvent>): void {
    this.#watch();
    this.#events.listen(listener);
  }

  unlisten(listener: EventListener<WorkerEvent>): void {
    this.#events.unlisten(listener);
  }

  /** What the Fleet's orphan sweep needs, and the public facade does not show. */
  get options(): ResolvedOptions<P> {
    return this.#options;
  }

  get status(): WorkerStatus {
    return statusOf(this.actor.getSnapshot(), this.instance);
  }

  get instance(): InstanceRef | undefined {
    const snapshot = this.actor.getSnapshot();
    const state = instanceStateOf(snapshot);
    const { context } = snapshot;
    if (state === 'recovering') {
      const leftover = context.leftovers[0];
      return leftover && this.providerPort.identity.of(leftover.generation, leftover.instanceId);
    }
    if (state === 'idle' || state === 'shutDown') return undefined;
    return this.providerPort.identity.of(context.generation, context.instanceId);
  }

  get connection(): Connection | undefined {
    return this.actor.getSnapshot().context.connection;
  }

  substantiate(props?: P, options?: { signal?: AbortSignal }): Promise<boolean> {
    if (this.#retired()) return Promise.resolve(false);
    const signal = options?.signal;
    if (signal?.aborted) {
      // Gone before it asked: nothing to start, nothing to stop.
      return Promise.reject(
        new LatentWorkerSubstantiationCancelled(
          `substantiation of ${this.name} was cancelled by its caller`
        )
      );
    }
    this.#watch();
    const waiter = ++this.#nextWaiter;
    const waiters = (this.#waiters ??= new Map<number, Waiter>());
    return new Promise<boolean>((resolve, reject) => {
      if (!signal) {
        waiters.set(waiter, { resolve, reject });
      } else {
        const leave = () => this.#send({ type: 'withdraw', waiter });
        const done = () => signal.removeEventListener('abort', leave);
        waiters.set(waiter, {
          resolve: (value) => (done(), resolve(value)),
          reject: (error) => (done(), reject(error))
        });
        signal.addEventListener('abort', leave, { once: true });
      }
      this.#send({ type: 'substantiate', waiter, props });
    });
  }

  insubstantiate(options?: { fast?: boolean }): Promise<void> {
    if (this.#retired() || this.#state() === 'idle') return Promise.resolve();
    this.#watch();
    this.#send({ type: 'insubstantiate', fast: options?.fast === true });
    // Overdue: nothing more can be done until the late call returns; do not wait for it.
    if (this.actor.getSnapshot().hasTag('stopOverdue')) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#stopWaiters ??= []).push(resolve));
  }

  attached(connection: Connection): void {
    if (typeof connection?.disconnect !== 'function') {
      throw new TypeError(`${this.name}.attached: connection must have a disconnect() method`);
    }
    if (this.actor.getSnapshot().status !== 'active') {
      // Shut down and stopped: no machine is left to turn the connection away.
      disconnect(connection);
      throw new LatentWorkerConnectionRejected(
        `${this.name}.attached: rejected, the worker is shut down (state shutDown)`
      );
    }
    // Reporting the live connection of this instance again changes nothing (a hub may retry
    // its report); it must not be mistaken for a second connection and cut. The same object
    // left over from a stopped instance is a new attach.
    const { context } = this.actor.getSnapshot();
    if (connection === context.connection && context.connectedGeneration === context.generation) {
      return;
    }
    this.#send({ type: 'attach', connection });
    const reason = this.#rejections?.get(connection);
    if (reason !== undefined) {
      this.#rejections!.delete(connection);
      throw new LatentWorkerConnectionRejected(
        `${this.name}.attached: rejected, ${reason} (state ${this.#state()})`
      );
    }
  }

  detached(connection?: Connection): void {
    this.#send(connection ? { type: 'detach', connection } : { type: 'detach' });
  }

  buildStarted(): void {
    // After shutdown() a build cannot start here; its report is ignored, like every late call.
    if (this.#shutdown === undefined) this.#send({ type: 'build.started' });
  }

  buildFinished(result: BuildResult = 'success'): void {
    if (!isBuildResult(result)) {
      throw new TypeError(`${this.name}.buildFinished: unknown result ${JSON.stringify(result)}`);
    }
    if (this.actor.getSnapshot().context.building === 0) {
      if (this.#shutdown !== undefined) return; // the late twin of an ignored buildStarted()
      throw new LatentWorkerError(`${this.name}.buildFinished: no build is running`);
    }
    this.#send({ type: 'build.finished', result });
  }

  pause(reason?: string): void {
    this.#send(reason === undefined ? { type: 'pause' } : { type: 'pause', reason });
  }

  unpause(): void {
    this.#send({ type: 'unpause' });
  }

  canStartBuild(): boolean {
    const snapshot = this.actor.getSnapshot();
    const { context } = snapshot;
    return (
      !this.#retired() &&
      !context.shuttingDown &&
      availabilityOf(snapshot) === 'available' &&
      context.building < this.#options.settings.maxBuilds
    );
  }

  async isCompatibleWithBuild(props: P): Promise<boolean> {
    const { provider } = this.#options;
    if (!provider.buildsMayBeIncompatible || !provider.isCompatibleWithBuild) return true;
    const snapshot = this.actor.getSnapshot();
    const { context } = snapshot;
    // A build can use the live instance, or the one queued to start after the stop: a new
    // request joins that queued start. With neither, a fresh start is made for whoever asks.
    const live = snapshot.hasTag('live');
    if (!live && !context.queued) return true;
    const startedWith = live ? context.props : context.queued?.props;
    return provider.isCompatibleWithBuild(props, startedWith as P | undefined);
  }

  checkPassword(password: string): boolean {
    // No port yet: no instance was ever started, so no password is live.
    return this.#port?.credentials.verify(password) ?? false;
  }

  shutdown(options?: { fast?: boolean }): Promise<void> {
    const fast = options?.fast === true;
    if (this.#shutdown) {
      // Fast wins, also for a shutdown already under way whose stop has not begun.
      if (fast) this.#send({ type: 'shutdown', fast });
      return this.#shutdown;
    }
    this.#shutdown = new Promise<void>((resolve) => (this.#resolveShutdown = resolve));
    this.#send({ type: 'shutdown', fast });
    this.#followShutdown(this.actor.getSnapshot());
    // Still taking its instance down: follow the stop to its end.
    if (!this.#retiredForGood) this.#watch();
    return this.#shutdown;
  }

  persist(): PersistedWorkerSnapshot {
    return toPersisted(this.actor.getPersistedSnapshot());
  }

  /**
   * After `shutdown()`: resolve it once the worker is shut down (then retire the actor), or as
   * soon as taking the instance down is overdue (the actor stays to pair a late start with its
   * stop, and retires when it gets there).
   */
  #followShutdown(snapshot: WorkerSnapshot): void {
    if (snapshot.status !== 'active' || instanceStateOf(snapshot) === 'shutDown') {
      this.#retire();
    } else if (snapshot.hasTag('stopOverdue')) {
      this.#resolveShutdown?.();
    }
  }

  #retire(): void {
    if (this.#retiredForGood) return;
    this.#retiredForGood = true;
    // Nothing can happen any more; stopping the actor also clears a pending quarantine
    // timer that would otherwise keep the process alive.
    if (this.actor.getSnapshot().status === 'active') this.actor.stop();
    if (this.#waiters) this.#settle([...this.#waiters.keys()], { status: 'shutDown' });
    this.#releaseStopWaiters();
    this.#events.complete();
    this.#resolveShutdown?.();
  }

  /** Performs what the machine asks for, then reports it on `events$` if anyone listens. */
  #onMachineEvent(event: WorkerMachineEmitted): void {
    switch (event.type) {
      case 'settle':
        return this.#settle(event.waiters, event.outcome);
      case 'connectionDropped':
      case 'connectionRejected':
        if (event.type === 'connectionRejected') {
          (this.#rejections ??= new Map()).set(event.connection, event.reason);
        }
        disconnect(event.connection);
        break;
      case 'quarantined':
        this.#quarantineEnds = this.#now() + event.duration;
        break;
      case 'stopTimedOut':
        this.#releaseStopWaiters();
        break;
    }
    if (this.#events.observed) this.#events.next(this.#toWorkerEvent(event));
  }

  #toWorkerEvent(event: Exclude<WorkerMachineEmitted, { type: 'settle' }>): WorkerEvent {
    const worker = this.name;
    switch (event.type) {
      case 'connectionDropped':
        // The worker let go of the connection itself (idle stop, replaced by a newer one):
        // to an observer it is gone just as if the agent had left.
        return { type: 'detached', worker };
      case 'connectionRejected':
        return { type: 'connectionRejected', worker, reason: event.reason };
      case 'attached':
      case 'detached':
        return { type: event.type, worker };
      case 'quarantined':
        return { type: 'quarantined', worker, duration: event.duration };
      case 'paused':
        return { type: 'paused', worker, reason: event.reason };
      case 'substantiationFailed':
        return { type: 'substantiationFailed', worker, error: event.error };
      case 'recovered': {
        const { generation, instanceId } = event.leftover;
        const instance = summarize(this.providerPort.identity.of(generation, instanceId));
        return { type: 'recovered', worker, instance, outcome: event.outcome };
      }
      case 'stopTimedOut':
        // Only a takedown can be overdue, and its instance exists until the stop returns.
        return {
          type: 'stopTimedOut',
          worker,
          call: event.call,
          instance: summarize(this.instance!)
        };
      default:
        return { ...event, worker };
    }
  }

  /**
   * Follows the actor's transitions from now on. Only what waits on the worker (a caller, a
   * stop, a shutdown) or watches it (`events$`) needs them, so an idle worker nobody has used
   * or watched keeps no subscription: a large fleet is mostly such workers.
   */
  #watch(): void {
    if (this.#previous) return;
    this.#previous = this.actor.getSnapshot();
    this.actor.subscribe({
      next: (current) => this.#onTransition(current),
      error: (error) => {
        // The machine handles every provider outcome; reaching here is a bug in this library.
        for (const waiter of this.#waiters?.values() ?? []) waiter.reject(error as Error);
        this.#waiters = undefined;
        this.#events.error(error);
      }
    });
  }

  #onTransition(current: WorkerSnapshot): void {
    const previous = this.#previous!;
    this.#previous = current;
    const [from, to] = [instanceStateOf(previous), instanceStateOf(current)];
    if (this.#events.observed) {
      const [was, is] = [availabilityOf(previous), availabilityOf(current)];
      if (from !== to) this.#events.next({ type: 'state', worker: this.name, from, to });
      if (was !== is) {
        this.#events.next({ type: 'availability', worker: this.name, from: was, to: is });
      }
    }
    if (from !== to && (from === 'insubstantiating' || from === 'recovering')) {
      this.#releaseStopWaiters();
    }
    // Retire outside XState's notification of this snapshot.
    if (this.#shutdown) queueMicrotask(() => this.#followShutdown(this.actor.getSnapshot()));
  }

  #settle(ids: number[], outcome: SubstantiationOutcome): void {
    const waiters = this.#waiters;
    if (!waiters) return;
    for (const id of ids) {
      const waiter = waiters.get(id);
      if (!waiter) continue;
      waiters.delete(id);
      if (outcome.status === 'substantiated') waiter.resolve(true);
      else if (outcome.status === 'shutDown') waiter.resolve(false);
      else if (outcome.status === 'failed') waiter.reject(outcome.error);
      else waiter.reject(this.#unavailable(outcome.reason));
    }
  }

  #unavailable(reason: UnavailableReason): LatentWorkerUnavailable {
    const retryAfter =
      reason === 'quarantined' ? Math.max(0, this.#quarantineEnds - this.#now()) : undefined;
    return new LatentWorkerUnavailable(this.name, reason, retryAfter);
  }

  #releaseStopWaiters(): void {
    const waiting = this.#stopWaiters;
    if (!waiting) return;
    this.#stopWaiters = undefined;
    for (const resolve of waiting) resolve();
  }

  #state(): WorkerState {
    return instanceStateOf(this.actor.getSnapshot());
  }

  /** A retired worker's actor is stopped: what arrives late (a detach, a leaving waiter) is moot. */
  #send(event: WorkerMachineEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  #retired(): boolean {
    return this.actor.getSnapshot().status !== 'active' || this.#state() === 'shutDown';
  }

  #now(): number {
    const clock = this.#options.clock as { now?: () => number } | undefined;
    return clock?.now ? clock.now() : Date.now();
  }
}

function disconnect(connection: Connection): void {
  try {
    Promise.resolve(connection.disconnect()).catch(() => undefined);
  } catch {
    // a connection that fails to close is gone as far as we are concerned
  }
}
