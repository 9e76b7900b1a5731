import type { AnyActorRef } from 'xstate';
import { classifyCheckResult, classifyStartResult } from '../machines/latentWorker/failures.js';
import {
  latentWorkerMachine,
  type CheckInput,
  type StartInput,
  type StopInput
} from '../machines/latentWorker/machine.js';
import { fromProviderCall } from '../machines/latentWorker/providerCall.js';
import type { Recovery } from '../machines/latentWorker/types.js';
import type { CheckResult, InstanceRef } from '../providers/provider.js';
import { Credentials } from './credentials.js';
import type { EventSink } from './eventSink.js';
import type { ProviderEvent, WorkerEvent } from './events.js';
import { InstanceIdentity } from './identity.js';
import type { JournalRecord } from './journal/journal.js';
import { instancesInUse } from './instancesInUse.js';
import type { ResolvedOptions } from './options.js';

/** A provider call's abort signal, read lazily (see `fromProviderCall`). */
interface Call {
  readonly signal: AbortSignal;
}

type ActorSystem = AnyActorRef['system'];

/** A worker's runtime: it makes the worker's port on first use, not for every idle worker. */
export interface PortHolder {
  readonly providerPort: ProviderPort<never>;
}

const holders = new WeakMap<ActorSystem, PortHolder>();

/** Routes the provider calls of the worker actor owning `system` to `holder`'s port. */
export function bindProvider(system: ActorSystem, holder: PortHolder): void {
  holders.set(system, holder);
}

const portOf = (system: ActorSystem): ProviderPort<never> => {
  const holder = holders.get(system);
  if (!holder) throw new Error('latent-workers: no provider is bound to this worker actor');
  return holder.providerPort;
};

/**
 * The machine every LatentWorker runs, provided once for all of them: `.provide()` copies the
 * whole machine definition (about 60 KB), so the per-worker provider is looked up through the
 * worker's actor system instead of being baked into a copy.
 */
export const providedWorkerMachine = latentWorkerMachine.provide({
  actors: {
    // The whole call is passed on, not its `signal`, so that the signal stays lazy.
    startInstance: fromProviderCall<unknown, StartInput>((call) =>
      portOf(call.system).start(call.input, call)
    ),
    stopInstance: fromProviderCall<void, StopInput>((call) =>
      portOf(call.system).stop(call.input, call)
    ),
    checkInstance: fromProviderCall<CheckResult, CheckInput>((call) =>
      portOf(call.system).check(call.input, call)
    ),
    readJournal: fromProviderCall<Recovery, void>((call) => portOf(call.system).recover())
  }
});

/**
 * One worker's provider, as its machine's actors call it: each call gets the instance's
 * identity and is reported, and is recorded in the journal when there is one (a start's record
 * is durable before the provider is called, a stop's record is closed only once the provider's
 * stop returned). A class, so that a hundred thousand workers share its methods.
 */
export class ProviderPort<P> {
  /** Who each instance of the worker is. */
  readonly identity: InstanceIdentity;
  /** The password of the worker's live instance. */
  readonly credentials: Credentials;
  readonly #options: ResolvedOptions<P>;
  /** Where the port's `provider` and `journalFailed` events go. */
  readonly #events: EventSink<WorkerEvent>;

  constructor(options: ResolvedOptions<P>, events: EventSink<WorkerEvent>) {
    const { owner, name, journal } = options;
    const identity = (this.identity = new InstanceIdentity(owner, name));
    this.credentials = new Credentials(
      journal && ((generation) => journal.password(identity.nameOf(generation)))
    );
    this.#options = options;
    this.#events = events;
  }

  start(input: StartInput, call: Call): unknown {
    const ref = this.identity.of(input.generation, undefined);
    instancesInUse.add(this.#options.owner, ref.instanceName);
    return this.#options.journal
      ? this.#startRecorded(ref, input, call)
      : this.#startInstance(ref, input, call);
  }

  #startInstance(ref: InstanceRef, input: StartInput, call: Call): unknown {
    const { provider } = this.#options;
    const credentials = this.credentials;
    let password: string | undefined;
    return this.#track(
      'start',
      () =>
        provider.startInstance({
          ...ref,
          // Made on first read (most instant providers never ask, and randomness is
          // costly), then fixed for this context whatever happens to the live password.
          get password() {
            return (password ??= credentials.issue(input.generation));
          },
          props: input.props as P | undefined,
          get signal() {
            return call.signal;
          }
        }),
      (result) => classifyStartResult(result) === 'started'
    );
  }

  /** A start with a journal: recorded durably before the provider is called, and after. */
  async #startRecorded(ref: InstanceRef, input: StartInput, call: Call): Promise<unknown> {
    const { owner } = this.#options;
    const { instanceName } = ref;
    const at = Date.now();
    await this.#record({ type: 'starting', owner, instance: ref, props: input.props, at }, true);
    const output = await this.#startInstance(ref, input, call);
    const instanceId = (output as { instanceId?: unknown } | undefined)?.instanceId;
    const change: JournalRecord = { type: 'started', owner, instanceName, at: Date.now() };
    if (typeof instanceId === 'string') change.instanceId = instanceId;
    // Unrecorded, the instance would be stopped by the next recovery only as `starting`:
    // stop it now instead (the machine pairs this failed start with its stop).
    await this.#record(change, true);
    return output;
  }

  async stop(input: StopInput, call: Call): Promise<void> {
    const { owner, provider, journal } = this.#options;
    const identity = this.identity;
    const ref = identity.of(input.generation, input.instanceId);
    const { instanceName } = ref;
    // Never worse than not stopping: a stop whose record failed is issued all the same.
    if (journal) await this.#record({ type: 'stopping', owner, instanceName, at: Date.now() });
    try {
      await this.#track(
        'stop',
        () =>
          provider.stopInstance({
            ...ref,
            fast: input.fast,
            get signal() {
              return call.signal;
            }
          }),
        () => true
      );
    } finally {
      this.credentials.revoke(input.generation);
      instancesInUse.delete(owner, instanceName);
    }
    // A stop that threw stays open in the journal: the next recovery stops it again.
    if (journal) await this.#record({ type: 'stopped', owner, instanceName, at: Date.now() });
  }

  check(input: CheckInput, call: Call): PromiseLike<CheckResult> | CheckResult {
    const { provider } = this.#options;
    return this.#track(
      'check',
      () =>
        provider.checkInstance?.({
          ...this.identity.of(input.generation, input.instanceId),
          get signal() {
            return call.signal;
          }
        }) as CheckResult,
      (result) => classifyCheckResult(result).good
    );
  }

  async recover(): Promise<Recovery> {
    const { owner, journal, name: worker } = this.#options;
    const identity = this.identity;
    const credentials = this.credentials;
    if (!journal) return { lastGeneration: 0, leftovers: [] };
    const query = { owner, workerName: identity.workerName };
    try {
      const [open, lastGeneration] = await Promise.all([
        journal.openInstances(query),
        journal.lastGeneration(query)
      ]);
      for (const instance of open) {
        identity.remember(instance);
        instancesInUse.add(owner, instance.instanceName);
      }
      const leftovers = open.map((instance) => ({
        generation: instance.generation,
        instanceId: instance.instanceId,
        started: instance.state === 'started',
        props: instance.props
      }));
      // Its agent may come back with the password it was given: let it in (adoption).
      const newest = leftovers.at(-1);
      if (newest?.started) credentials.issue(newest.generation);
      return { lastGeneration, leftovers };
    } catch (error) {
      this.#events.next({ type: 'journalFailed', worker, operation: 'read', error });
      throw error;
    }
  }

  /** Runs a provider call, reported as `provider` events while anyone listens. */
  #track<T>(
    call: ProviderEvent['call'],
    run: () => PromiseLike<T> | T,
    ok: (out: T) => boolean
  ): PromiseLike<T> | T {
    return this.#events.observed ? this.#reported(call, run, ok) : run();
  }

  async #reported<T>(
    call: ProviderEvent['call'],
    run: () => PromiseLike<T> | T,
    ok: (out: T) => boolean
  ): Promise<T> {
    const events = this.#events;
    const worker = this.#options.name;
    events.next({ type: 'provider', worker, call, phase: 'begin', ok: true });
    try {
      const output = await run();
      if (events.observed) {
        events.next({ type: 'provider', worker, call, phase: 'end', ok: ok(output) });
      }
      return output;
    } catch (error) {
      if (events.observed) {
        events.next({ type: 'provider', worker, call, phase: 'end', ok: false, error });
      }
      throw error;
    }
  }

  /** Writes a record; a failure is reported, and thrown when `must`. */
  async #record(change: JournalRecord, must = false): Promise<void> {
    const { journal, name: worker } = this.#options;
    try {
      await journal?.record(change);
    } catch (error) {
      this.#events.next({ type: 'journalFailed', worker, operation: change.type, error });
      if (must) throw error;
    }
  }
}
