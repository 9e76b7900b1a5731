import type { AnyActorRef } from 'xstate';
import { classifyCheckResult, classifyStartResult } from '../machines/latentWorker/failures.js';
import {
  latentWorkerMachine,
  type CheckInput,
  type StartInput,
  type StopInput
} from '../machines/latentWorker/machine.js';
import { fromProviderCall } from '../machines/latentWorker/providerCall.js';
import type { CheckResult, Provider } from '../providers/provider.js';
import type { Credentials } from './credentials.js';
import type { ProviderEvent } from './events.js';
import type { InstanceIdentity } from './identity.js';

type Report = (event: Omit<ProviderEvent, 'type' | 'worker'>) => void;

/** A provider call's abort signal, read lazily (see `fromProviderCall`). */
interface Call {
  readonly signal: AbortSignal;
}

/** One worker's provider, as its machine's actors call it. */
interface ProviderPort {
  start(input: StartInput, call: Call): Promise<unknown>;
  stop(input: StopInput, call: Call): Promise<void>;
  check(input: CheckInput, call: Call): Promise<CheckResult>;
}

type ActorSystem = AnyActorRef['system'];
const ports = new WeakMap<ActorSystem, ProviderPort>();

const portOf = (system: ActorSystem): ProviderPort => {
  const port = ports.get(system);
  if (!port) throw new Error('latent-workers: no provider is bound to this worker actor');
  return port;
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
    )
  }
});

/**
 * Routes the calls of the worker actor owning `system` to `provider`, each with the
 * instance's identity, reporting each one.
 */
export function bindProvider<P>(
  system: ActorSystem,
  provider: Provider<P>,
  identity: InstanceIdentity,
  credentials: Credentials,
  report: Report
): void {
  const track = async <T>(
    call: ProviderEvent['call'],
    run: () => PromiseLike<T> | T,
    ok: (out: T) => boolean
  ) => {
    report({ call, phase: 'begin', ok: true });
    try {
      const output = await run();
      report({ call, phase: 'end', ok: ok(output) });
      return output;
    } catch (error) {
      report({ call, phase: 'end', ok: false, error });
      throw error;
    }
  };

  ports.set(system, {
    start: (input, call) => {
      let password: string | undefined;
      return track(
        'start',
        () =>
          provider.startInstance({
            ...identity.of(input.generation, undefined),
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
    },
    stop: async (input, call) => {
      try {
        await track(
          'stop',
          () =>
            provider.stopInstance({
              ...identity.of(input.generation, input.instanceId),
              fast: input.fast,
              get signal() {
                return call.signal;
              }
            }),
          () => true
        );
      } finally {
        credentials.revoke(input.generation);
      }
    },
    check: (input, call) =>
      track(
        'check',
        () =>
          provider.checkInstance?.({
            ...identity.of(input.generation, input.instanceId),
            get signal() {
              return call.signal;
            }
          }) as CheckResult,
        (result) => classifyCheckResult(result).good
      )
  });
}
