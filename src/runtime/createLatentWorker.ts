import { Subject, type Observable } from 'rxjs';
import { createActor, type Actor } from 'xstate';
import { LatentWorkerError, LatentWorkerUnavailable, type UnavailableReason } from '../errors.js';
import type { latentWorkerMachine } from '../machines/latentWorker/machine.js';
import type {
  BuildResult,
  Connection,
  SubstantiationOutcome,
  WorkerMachineEmitted
} from '../machines/latentWorker/types.js';
import { Credentials } from './credentials.js';
import type { WorkerEvent } from './events.js';
import { resolveOptions, type LatentWorkerOptions } from './options.js';
import { toPersisted, type PersistedWorkerSnapshot } from './persistence.js';
import { bindProvider, providedWorkerMachine } from './providerActors.js';
import { instanceState, statusOf, type WorkerStatus } from './status.js';

export interface LatentWorker<P> {
  readonly name: string;
  /** The running XState actor (inspect it, subscribe to it; drive it through this facade). */
  readonly actor: Actor<typeof latentWorkerMachine>;
  /**
   * Make an instance exist and connect. Resolves `true` once substantiated, `false` after
   * shutdown, or rejects with a `LatentWorkerError`. With `signal`, this caller can leave:
   * the substantiation is cancelled only when its last waiter leaves.
   */
  substantiate(props?: P, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Stop the instance (cancelling a substantiation); resolves when the stop has finished. */
  insubstantiate(options?: { fast?: boolean }): Promise<void>;
  /** The worker's connection arrived. Throws `LatentWorkerConnectionRejected` when refused. */
  attached(connection: Connection): void;
  /** The connection went away; with `connection` given, a stale one's detach is ignored. */
  detached(connection?: Connection): void;
  buildStarted(): void;
  /** @throws LatentWorkerError when no build is running. */
  buildFinished(result?: BuildResult): void;
  pause(reason?: string): void;
  unpause(): void;
  canStartBuild(): boolean;
  isCompatibleWithBuild(props: P): Promise<boolean>;
  /** Constant-time check of the live instance's password (for agent hubs). */
  checkPassword(password: string): boolean;
  /** Stop everything and retire the worker; idempotent. */
  shutdown(): Promise<void>;
  /** Plain JSON to restore this worker in another process (`snapshot` option). */
  persist(): PersistedWorkerSnapshot;
  readonly status: WorkerStatus;
  /** The live connection, if the worker is attached. */
  readonly connection: Connection | undefined;
  readonly events$: Observable<WorkerEvent>;
}

/** An `attached()` call the lifecycle refused; the connection has been disconnected. */
export class LatentWorkerConnectionRejected extends LatentWorkerError {}

const BUILD_RESULTS: ReadonlySet<string> = new Set<BuildResult>([
  'success',
  'warnings',
  'failure',
  'skipped',
  'exception',
  'retry',
  'cancelled'
]);

interface Waiter {
  resolve(value: boolean): void;
  reject(error: Error): void;
}

export function createLatentWorker<P = Record<string, unknown>>(
  options: LatentWorkerOptions<P>
): LatentWorker<P> {
  const { name, provider, settings, inspect, clock, snapshot } = resolveOptions(options);
  const events = new Subject<WorkerEvent>();
  const credentials = new Credentials();
  const waiters = new Map<number, Waiter>();
  const stopWaiters: Array<() => void> = [];
  const rejections = new Map<Connection, string>();
  const now = () => (clock && 'now' in clock ? (clock as { now(): number }).now() : Date.now());
  let nextWaiter = 0;
  let quarantineEnds = 0;
  let shutdownPromise: Promise<void> | undefined;

  const emit = (event: WorkerEvent) => events.next(event);
  const actor = createActor(providedWorkerMachine, {
    id: name,
    systemId: name,
    input: { name, settings },
    ...(snapshot ? { snapshot } : {}),
    ...(inspect ? { inspect } : {}),
    ...(clock ? { clock } : {})
  });
  bindProvider(actor.system, name, provider, credentials, (e) =>
    emit({ type: 'provider', worker: name, ...e })
  );

  const settle = (ids: number[], outcome: SubstantiationOutcome) => {
    for (const id of ids) {
      const waiter = waiters.get(id);
      if (!waiter) continue;
      waiters.delete(id);
      if (outcome.status === 'substantiated') waiter.resolve(true);
      else if (outcome.status === 'shutDown') waiter.resolve(false);
      else if (outcome.status === 'failed') waiter.reject(outcome.error);
      else waiter.reject(unavailable(outcome.reason));
    }
  };
  const unavailable = (reason: UnavailableReason) =>
    new LatentWorkerUnavailable(
      name,
      reason,
      reason === 'quarantined' ? Math.max(0, quarantineEnds - now()) : undefined
    );
  const disconnect = (connection: Connection) => {
    try {
      Promise.resolve(connection.disconnect()).catch(() => undefined);
    } catch {
      // a connection that fails to close is gone as far as we are concerned
    }
  };

  actor.on('*', (event: WorkerMachineEmitted) => {
    switch (event.type) {
      case 'settle':
        return settle(event.waiters, event.outcome);
      case 'connectionDropped':
        return disconnect(event.connection);
      case 'connectionRejected':
        rejections.set(event.connection, event.reason);
        disconnect(event.connection);
        return emit({ type: 'connectionRejected', worker: name, reason: event.reason });
      case 'attached':
      case 'detached':
        return emit({ type: event.type, worker: name });
      case 'quarantined':
        quarantineEnds = now() + event.duration;
        return emit({ type: 'quarantined', worker: name, duration: event.duration });
      case 'paused':
        return emit({ type: 'paused', worker: name, reason: event.reason });
      case 'substantiationFailed':
        return emit({ type: 'substantiationFailed', worker: name, error: event.error });
      default:
        return emit({ ...event, worker: name });
    }
  });

  let previous = actor.getSnapshot();
  actor.subscribe({
    next: (current) => {
      const [from, to] = [instanceState(previous), instanceState(current)];
      const [was, is] = [previous.value.availability, current.value.availability];
      previous = current;
      if (from !== to) emit({ type: 'state', worker: name, from, to });
      if (was !== is) emit({ type: 'availability', worker: name, from: was, to: is });
      if (from === 'insubstantiating' && to !== 'insubstantiating') {
        for (const resolve of stopWaiters.splice(0)) resolve();
      }
    },
    error: (error) => {
      // The machine handles every provider outcome; reaching here is a bug in this library.
      for (const waiter of waiters.values()) waiter.reject(error as Error);
      waiters.clear();
      events.error(error);
    }
  });
  actor.start();

  const state = () => instanceState(actor.getSnapshot());
  const retired = () => actor.getSnapshot().status !== 'active' || state() === 'shutDown';

  const worker: LatentWorker<P> = {
    name,
    actor,
    get status() {
      return statusOf(actor.getSnapshot());
    },
    get connection() {
      return actor.getSnapshot().context.connection;
    },
    events$: events.asObservable(),

    substantiate(props, substantiateOptions) {
      if (retired()) return Promise.resolve(false);
      const waiter = ++nextWaiter;
      const signal = substantiateOptions?.signal;
      return new Promise<boolean>((resolve, reject) => {
        const leave = () => actor.send({ type: 'withdraw', waiter });
        waiters.set(waiter, {
          resolve: (value) => {
            signal?.removeEventListener('abort', leave);
            resolve(value);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', leave);
            reject(error);
          }
        });
        signal?.addEventListener('abort', leave, { once: true });
        actor.send({ type: 'substantiate', waiter, props });
        if (signal?.aborted) leave();
      });
    },

    insubstantiate(insubstantiateOptions) {
      if (retired() || state() === 'idle') return Promise.resolve();
      const stopped = new Promise<void>((resolve) => stopWaiters.push(resolve));
      actor.send({ type: 'insubstantiate', fast: insubstantiateOptions?.fast === true });
      return stopped;
    },

    attached(connection) {
      if (typeof connection?.disconnect !== 'function') {
        throw new TypeError(`${name}.attached: connection must have a disconnect() method`);
      }
      actor.send({ type: 'attach', connection });
      const reason = rejections.get(connection);
      if (reason !== undefined) {
        rejections.delete(connection);
        throw new LatentWorkerConnectionRejected(
          `${name}.attached: rejected, ${reason} (state ${state()})`
        );
      }
    },

    detached(connection) {
      actor.send(connection ? { type: 'detach', connection } : { type: 'detach' });
    },

    buildStarted() {
      actor.send({ type: 'build.started' });
    },

    buildFinished(result = 'success') {
      if (!BUILD_RESULTS.has(result)) {
        throw new TypeError(`${name}.buildFinished: unknown result ${JSON.stringify(result)}`);
      }
      if (actor.getSnapshot().context.building === 0) {
        throw new LatentWorkerError(`${name}.buildFinished: no build is running`);
      }
      actor.send({ type: 'build.finished', result });
    },

    pause(reason) {
      actor.send(reason === undefined ? { type: 'pause' } : { type: 'pause', reason });
    },

    unpause() {
      actor.send({ type: 'unpause' });
    },

    canStartBuild() {
      const { value, context } = actor.getSnapshot();
      return (
        !retired() &&
        !context.shuttingDown &&
        value.availability === 'available' &&
        context.building < settings.maxBuilds
      );
    },

    async isCompatibleWithBuild(props) {
      if (!provider.buildsMayBeIncompatible || !provider.isCompatibleWithBuild) return true;
      const snapshot = actor.getSnapshot();
      // Only a live instance has properties to be incompatible with; a queued or fresh start
      // will be made for whoever asks.
      const live =
        snapshot.matches({ instance: 'substantiated' }) ||
        snapshot.matches({ instance: { substantiating: 'connecting' } }) ||
        snapshot.matches({ instance: { substantiating: { starting: 'booting' } } }) ||
        snapshot.matches({ instance: { substantiating: { checking: 'running' } } });
      if (!live) return true;
      return provider.isCompatibleWithBuild(props, snapshot.context.props as P | undefined);
    },

    checkPassword(password) {
      return credentials.verify(password);
    },

    shutdown() {
      shutdownPromise ??= (async () => {
        if (actor.getSnapshot().status === 'active') {
          const done = new Promise<void>((resolve) => {
            const sub = actor.subscribe((s) => {
              if (instanceState(s) === 'shutDown') {
                sub.unsubscribe();
                resolve();
              }
            });
          });
          actor.send({ type: 'shutdown' });
          if (state() !== 'shutDown') await done;
          // Nothing can happen any more; stopping the actor also clears a pending quarantine
          // timer that would otherwise keep the process alive.
          actor.stop();
        }
        settle([...waiters.keys()], { status: 'shutDown' });
        for (const resolve of stopWaiters.splice(0)) resolve();
        events.complete();
      })();
      return shutdownPromise;
    },

    persist() {
      return toPersisted(actor.getPersistedSnapshot());
    }
  };
  return worker;
}
