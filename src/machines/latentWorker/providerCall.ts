import type { ActorLogic, EventObject, PromiseActorLogic, PromiseSnapshot } from 'xstate';

/** XState's own name for "any actor system" is not exported; borrow it from `fromPromise`. */
type AnyActorSystem =
  PromiseActorLogic<unknown> extends ActorLogic<
    infer _S,
    infer _E,
    infer _I,
    infer TSystem,
    infer _O
  >
    ? TSystem
    : never;

/** Sent by the parent to abort the call's signal without giving up on its result. */
export interface AbortProviderCall {
  type: 'abort';
}

type ProviderCallEvent =
  | AbortProviderCall
  | { type: 'providerCall.resolve'; output: unknown }
  | { type: 'providerCall.reject'; error: unknown }
  | { type: 'xstate.stop' };

export type ProviderCallLogic<TOutput, TInput> = ActorLogic<
  PromiseSnapshot<TOutput, TInput>,
  ProviderCallEvent,
  TInput,
  AnyActorSystem,
  EventObject
>;

export type ProviderCallCreator<TOutput, TInput> = (args: {
  input: TInput;
  signal: AbortSignal;
  /** The calling worker's actor system: the key to per-worker resources of the runtime. */
  system: AnyActorSystem;
}) => PromiseLike<TOutput> | TOutput;

/**
 * What the creator is called with. Its abort signal is made on first read: an AbortController
 * costs more than a whole instant provider call, and most stops and many starts never look at
 * their signal.
 */
class ProviderCall<TInput> {
  readonly input: TInput;
  readonly system: AnyActorSystem;
  #controller: AbortController | undefined;
  #aborted = false;

  constructor(input: TInput, system: AnyActorSystem) {
    this.input = input;
    this.system = system;
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#aborted) this.#controller.abort();
    return this.#controller.signal;
  }

  abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }
}

const calls = new WeakMap<object, ProviderCall<unknown>>();

/**
 * Like XState's `fromPromise`, with the one difference the pairing invariant needs: an
 * `abort` event aborts the call's `AbortSignal` while the actor stays alive, so the parent
 * still receives `onDone`/`onError` and can stop an instance whose start finished anyway.
 * A synchronous throw from `creator` is an ordinary rejection, never a crashed parent.
 */
export function fromProviderCall<TOutput, TInput>(
  creator: ProviderCallCreator<TOutput, TInput>
): ProviderCallLogic<TOutput, TInput> {
  return {
    config: creator,
    transition: (snapshot, event, { self }) => {
      if (snapshot.status !== 'active') return snapshot;
      switch (event.type) {
        case 'abort':
          calls.get(self)?.abort();
          return snapshot;
        case 'providerCall.resolve':
          return { ...snapshot, status: 'done', output: event.output as TOutput, input: undefined };
        case 'providerCall.reject':
          return { ...snapshot, status: 'error', error: event.error, input: undefined };
        case 'xstate.stop':
          calls.get(self)?.abort();
          return { ...snapshot, status: 'stopped', input: undefined };
      }
    },
    start: (snapshot, { self, system }) => {
      if (snapshot.status !== 'active') return;
      const call = new ProviderCall(snapshot.input as TInput, system);
      calls.set(self, call);
      const settle = (event: ProviderCallEvent) => {
        if (self.getSnapshot().status === 'active') self.send(event);
      };
      new Promise<TOutput>((resolve) => resolve(creator(call))).then(
        (output) => settle({ type: 'providerCall.resolve', output }),
        (error: unknown) => settle({ type: 'providerCall.reject', error })
      );
    },
    getInitialSnapshot: (_, input) => ({
      status: 'active',
      output: undefined,
      error: undefined,
      input
    }),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as PromiseSnapshot<TOutput, TInput>
  };
}
