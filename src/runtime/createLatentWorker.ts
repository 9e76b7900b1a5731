import type { Observable } from 'rxjs';
import type { Actor } from 'xstate';
import type { latentWorkerMachine } from '../machines/latentWorker/machine.js';
import type { BuildResult, Connection } from '../machines/latentWorker/types.js';
import type { InstanceRef } from '../providers/provider.js';
import type { WorkerEvent } from './events.js';
import { resolveOptions, type LatentWorkerOptions } from './options.js';
import type { PersistedWorkerSnapshot } from './persistence.js';
import type { WorkerStatus } from './status.js';
import { WorkerRuntime } from './workerRuntime.js';

/** One named latent worker: its lifecycle, driven by an orchestrator. */
export interface LatentWorker<P = Record<string, unknown>> {
  readonly name: string;
  /** The running XState actor (inspect it, subscribe to it; drive it through this facade). */
  readonly actor: Actor<typeof latentWorkerMachine>;
  /**
   * Make an instance exist and connect. Resolves `true` once substantiated, `false` after
   * shutdown, or rejects with a `LatentWorkerError`, within `missingTimeout` of this call
   * whatever the provider does. With `signal`, this caller can leave: the substantiation is
   * cancelled only when its last waiter leaves.
   */
  substantiate(props?: P, options?: { signal?: AbortSignal }): Promise<boolean>;
  /**
   * Stop the instance (cancelling a substantiation); resolves when the stop has finished, or
   * at the latest `stopTimeout` after this call or the beginning of the call it waits for
   * (then `status.stopOverdue` is true).
   */
  insubstantiate(options?: { fast?: boolean }): Promise<void>;
  /** The worker's connection arrived. Throws `LatentWorkerConnectionRejected` when refused. */
  attached(connection: Connection): void;
  /** The connection went away; with `connection` given, a stale one's detach is ignored. */
  detached(connection?: Connection): void;
  buildStarted(): void;
  /** @throws LatentWorkerError when no build is running (ignored after `shutdown()`). */
  buildFinished(result?: BuildResult): void;
  pause(reason?: string): void;
  unpause(): void;
  canStartBuild(): boolean;
  isCompatibleWithBuild(props: P): Promise<boolean>;
  /** Constant-time check of the live instance's password (for agent hubs). */
  checkPassword(password: string): boolean;
  /**
   * Stop everything and retire the worker; idempotent. Resolves once the instance is stopped,
   * or at the latest `stopTimeout` after this call or the beginning of the call it waits for.
   * `fast`: every stop it causes gets `fast: true` (a later fast call still makes a stop that
   * has not begun fast).
   */
  shutdown(options?: { fast?: boolean }): Promise<void>;
  /** Plain JSON to restore this worker in another process (`snapshot` option). */
  persist(): PersistedWorkerSnapshot;
  readonly status: WorkerStatus;
  /** The instance that exists or may exist (from its start until its stop returned), if any. */
  readonly instance: InstanceRef | undefined;
  /** The live connection, if the worker is attached. */
  readonly connection: Connection | undefined;
  readonly events$: Observable<WorkerEvent>;
}

/**
 * Creates and starts one latent worker. Options are validated here: bad ones throw a
 * `TypeError` naming the option.
 */
export function createLatentWorker<P = Record<string, unknown>>(
  options: LatentWorkerOptions<P>
): LatentWorker<P> {
  return new WorkerRuntime(resolveOptions(options));
}
