import { assign, cancel, emit, enqueueActions, raise, sendTo, setup, stateIn } from 'xstate';
import { LatentWorkerSubstantiationCancelled, type LatentWorkerError } from '../../errors.js';
import type { CheckResult } from '../../providers/provider.js';
import {
  classifyCheckResult,
  crashedBeforeConnecting,
  instanceIdOf,
  isCountedFailure,
  startRefused,
  startReturnedGarbage,
  startThrew,
  stillStopping
} from './failures.js';
import { guards } from './guards.js';
import { fromProviderCall } from './providerCall.js';
import type { WorkerTag } from './snapshot.js';
import {
  afterStop,
  cancellable,
  stopDeadline,
  quarantineOrPause,
  refuseWhileUnavailable,
  waitingWithQueue
} from './transitions.js';
import type {
  Recovery,
  RecoveryOutcome,
  SubstantiationOutcome,
  WorkerContext,
  WorkerMachineEmitted,
  WorkerMachineEvent,
  WorkerMachineInput
} from './types.js';

/** What a start is told; the runtime maps `generation` to the instance's identity and password. */
export interface StartInput {
  generation: number;
  props: unknown;
}
export interface StopInput {
  generation: number;
  instanceId: string | undefined;
  fast: boolean;
}
export interface CheckInput {
  generation: number;
  instanceId: string | undefined;
}

/**
 * The open request's deadline: missingTimeout from the call that opened it, also while it waits
 * behind a stop and after its start begins. A scheduled event of the request rather than a timer
 * of a state, because it outlives the states it waits in; cancelled when the request settles.
 */
const REQUEST_DEADLINE = { id: 'request.deadline', delay: 'missingTimeout' } as const;
const REQUEST_TIMED_OUT = { type: 'request.timedOut' } as const;

/** The attach deadline of a substantiation restored from a snapshot; cancelled on exit. */
const RESTORED_DEADLINE = 'missingTimeout.restored';

const notProvided = (name: string) => () => {
  throw new Error(`latentWorkerMachine: provide the ${name} actor with machine.provide()`);
};

const cancelled = (name: string, by: 'caller' | 'insubstantiate' | 'shutdown', why: string) =>
  new LatentWorkerSubstantiationCancelled(`substantiation of ${name} was cancelled by ${why}`, {
    by
  });

/**
 * How one worker's instance is started, attached, kept and stopped, as Buildbot's
 * `AbstractLatentWorker` does it (see `docs/lifecycle.md`). Two parallel regions: `instance`
 * (what the master intends and how far it got) and `availability` (quarantine and pausing).
 * The provider calls are the named actors `startInstance`, `stopInstance` and `checkInstance`;
 * the runtime supplies them with `.provide()`. Every timer is a delayed transition of the state
 * that needs it, so leaving the state cancels it; the one exception is a request's deadline,
 * which outlives the states it waits in (`REQUEST_DEADLINE`).
 */
export const latentWorkerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerMachineEvent,
    input: {} as WorkerMachineInput,
    emitted: {} as WorkerMachineEmitted,
    tags: {} as WorkerTag
  },
  actors: {
    startInstance: fromProviderCall<unknown, StartInput>(notProvided('startInstance')),
    stopInstance: fromProviderCall<void, StopInput>(notProvided('stopInstance')),
    checkInstance: fromProviderCall<CheckResult, CheckInput>(notProvided('checkInstance')),
    readJournal: fromProviderCall<Recovery, void>(notProvided('readJournal'))
  },
  guards,
  actions: {
    /** Answers one `substantiate` call without changing anything else. */
    answer: enqueueActions(({ enqueue, event }, outcome: SubstantiationOutcome) => {
      if (event.type === 'substantiate') {
        enqueue.emit({ type: 'settle', waiters: [event.waiter], outcome });
      }
    }),
    /**
     * A request opens a substantiation, and its start is the next generation (a new identity
     * and password); its deadline runs from this call.
     */
    takeRequest: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'substantiate') return;
      enqueue.assign({
        waiters: [event.waiter],
        props: event.props,
        generation: context.generation + 1
      });
      if (context.settings.missingTimeout > 0) enqueue.raise(REQUEST_TIMED_OUT, REQUEST_DEADLINE);
    }),
    /** The caller waits on the substantiation in progress. */
    joinRequest: assign({
      waiters: ({ context, event }) =>
        event.type === 'substantiate' ? [...context.waiters, event.waiter] : context.waiters
    }),
    /** Queues behind the stop: the first queued request opens one, with its deadline. */
    queueRequest: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'substantiate') return;
      const { queued } = context;
      if (queued) {
        enqueue.assign({ queued: { ...queued, waiters: [...queued.waiters, event.waiter] } });
        return;
      }
      enqueue.assign({ queued: { waiters: [event.waiter], props: event.props } });
      if (context.settings.missingTimeout > 0) enqueue.raise(REQUEST_TIMED_OUT, REQUEST_DEADLINE);
    }),
    /** The request queued behind the stop becomes the one being substantiated: the next generation. */
    promoteQueued: assign(({ context }) => ({
      waiters: context.queued?.waiters ?? [],
      props: context.queued?.props,
      queued: undefined,
      generation: context.generation + 1
    })),
    /** One caller leaves (its signal aborted): it is rejected as cancelled, the rest wait on. */
    withdrawWaiter: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'withdraw') return;
      const leaving = [event.waiter];
      const outcome = {
        status: 'failed',
        error: cancelled(context.name, 'caller', 'its caller')
      } as const;
      if (context.waiters.includes(event.waiter)) {
        enqueue.assign({ waiters: context.waiters.filter((w) => w !== event.waiter) });
        enqueue.emit({ type: 'settle', waiters: leaving, outcome });
      } else if (context.queued?.waiters.includes(event.waiter)) {
        const waiters = context.queued.waiters.filter((w) => w !== event.waiter);
        enqueue.assign({ queued: waiters.length ? { ...context.queued, waiters } : undefined });
        enqueue.emit({ type: 'settle', waiters: leaving, outcome });
        if (!waiters.length) enqueue.cancel(REQUEST_DEADLINE.id);
      }
    }),
    /** Substantiated: every waiter gets `true`, and the request's deadline is cancelled. */
    resolveWaiters: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({
        type: 'settle',
        waiters: context.waiters,
        outcome: { status: 'substantiated' }
      });
      enqueue.assign({ waiters: [] });
      enqueue.cancel(REQUEST_DEADLINE.id);
      enqueue.emit({ type: 'substantiated' });
    }),
    /** Rejects the current waiters (and a queued request) because the caller cancelled. */
    cancelWaiters: enqueueActions(({ context, event, enqueue }, params: { queued: boolean }) => {
      const by =
        event.type === 'insubstantiate' || event.type === 'shutdown' ? event.type : 'caller';
      const why = by === 'caller' ? 'its last caller' : `${by}()`;
      const outcome = { status: 'failed', error: cancelled(context.name, by, why) } as const;
      const waiters = [
        ...context.waiters,
        ...(params.queued ? (context.queued?.waiters ?? []) : [])
      ];
      if (waiters.length) enqueue.emit({ type: 'settle', waiters, outcome });
      enqueue.assign({ waiters: [], queued: params.queued ? undefined : context.queued });
      // Called off: live waiters and a queued request are never open at once.
      enqueue.cancel(REQUEST_DEADLINE.id);
    }),
    /** The substantiation failed: tell its waiters, and quarantine unless the request was bad. */
    fail: enqueueActions(({ context, enqueue }, params: { error: LatentWorkerError }) => {
      enqueue.emit({
        type: 'settle',
        waiters: context.waiters,
        outcome: { status: 'failed', error: params.error }
      });
      enqueue.assign({ waiters: [] });
      enqueue.cancel(REQUEST_DEADLINE.id);
      enqueue.emit({ type: 'substantiationFailed', error: params.error });
      if (isCountedFailure(params.error)) enqueue.raise({ type: 'worker.failed' });
    }),
    /** The queued request's deadline passed before its start: no quarantine, nothing was tried. */
    failQueued: enqueueActions(({ context, enqueue }) => {
      const error = stillStopping(context.name, context.settings.missingTimeout);
      enqueue.emit({
        type: 'settle',
        waiters: context.queued?.waiters ?? [],
        outcome: { status: 'failed', error }
      });
      enqueue.assign({ queued: undefined });
      enqueue.emit({ type: 'substantiationFailed', error });
    }),
    /** Aborts the running start's signal. */
    abortStart: sendTo('start', { type: 'abort' }),
    /** Aborts the running check's signal. */
    abortCheck: sendTo('check', { type: 'abort' }),
    /** The stop's deadline passed: abort its signal (when the stop is what runs) and say so. */
    reportStopTimedOut: enqueueActions(({ enqueue, check }) => {
      const call = check(stateIn({ instance: { substantiating: 'starting' } }))
        ? 'start'
        : check(stateIn({ instance: { substantiating: 'checking' } }))
          ? 'check'
          : 'stop';
      if (call === 'stop') enqueue.sendTo('stop', { type: 'abort' });
      enqueue.emit({ type: 'stopTimedOut', call });
    }),
    /** The start named its instance (`{ instanceId }`): every later call gets the id. */
    recordInstanceId: enqueueActions(({ enqueue, event }) => {
      const instanceId = instanceIdOf((event as { output?: unknown }).output);
      if (instanceId !== undefined) enqueue.assign({ instanceId });
    }),
    /** The journal was read: generations continue after the highest recorded one. */
    takeLeftovers: enqueueActions(({ context, event, enqueue }) => {
      const { lastGeneration, leftovers } = (event as unknown as { output: Recovery }).output;
      const generation = Math.max(
        context.generation,
        lastGeneration,
        ...leftovers.map((leftover) => leftover.generation)
      );
      enqueue.assign({ generation, leftovers });
    }),
    /** Pauses the worker: without knowing what an earlier process left running, starting anything would guess. */
    journalUnreadable: raise({ type: 'pause', reason: 'the journal could not be read' }),
    /** Recovery is done with the oldest leftover: it is dropped from the list and reported. */
    leftoverDone: enqueueActions(({ context, enqueue }, params: { outcome: RecoveryOutcome }) => {
      const [leftover, ...rest] = context.leftovers;
      enqueue.assign({ leftovers: rest });
      if (leftover) enqueue.emit({ type: 'recovered', leftover, outcome: params.outcome });
    }),
    /** `insubstantiate()` during recovery: the running leftover is stopped, not kept. */
    forgoAdoption: assign({
      leftovers: ({ context }) =>
        context.leftovers.map((leftover) => ({ ...leftover, started: false }))
    }),
    /** Its agent came back: the leftover is this worker's instance again, as before the crash. */
    adoptLeftover: enqueueActions(({ context, enqueue }) => {
      const leftover = context.leftovers[0]!;
      enqueue.emit({ type: 'recovered', leftover, outcome: 'adopted' });
      enqueue.assign({
        leftovers: [],
        instanceId: leftover.instanceId,
        props: leftover.props,
        // A request that queued meanwhile is served by the adopted instance.
        waiters: context.queued?.waiters ?? [],
        queued: undefined
      });
    }),
    /** The attach is this instance's connection; one it replaces is dropped. */
    acceptConnection: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'attach') return;
      const previous = context.connection;
      if (previous && previous !== event.connection) {
        enqueue.emit({ type: 'connectionDropped', connection: previous });
      }
      enqueue.assign({ connection: event.connection, connectedGeneration: context.generation });
      enqueue.emit({ type: 'attached', connection: event.connection });
    }),
    /** The attach is turned away: its connection is disconnected and `attached()` throws. */
    rejectConnection: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'attach') return;
      const reason = context.shuttingDown
        ? 'the worker is shut down'
        : 'connection while not trying to substantiate';
      enqueue.emit({ type: 'connectionRejected', connection: event.connection, reason });
    }),
    /** The connection went away (`detached()`): it is cleared, the state is kept. */
    forgetConnection: enqueueActions(({ context, enqueue }) => {
      if (!context.connection) return;
      enqueue.emit({ type: 'detached', connection: context.connection });
      enqueue.assign({ connection: undefined });
    }),
    /** We stop the instance ourselves: its connection is of no further use. */
    dropConnection: enqueueActions(({ context, enqueue }) => {
      if (!context.connection) return;
      enqueue.emit({ type: 'connectionDropped', connection: context.connection });
      enqueue.assign({ connection: undefined });
    }),
    /** The stop will be fast if this `insubstantiate()` asks for it; fast wins over earlier calls. */
    setFast: enqueueActions(({ context, event, enqueue }) => {
      if (!context.fastStop && event.type === 'insubstantiate' && event.fast === true) {
        enqueue.assign({ fastStop: true });
      }
    }),
    /** The stop ended: the instance's properties, id and fast flag are cleared (if set). */
    forgetInstance: enqueueActions(({ context, enqueue }) => {
      const { props, instanceId, fastStop } = context;
      if (props !== undefined || instanceId !== undefined || fastStop) {
        enqueue.assign({ props: undefined, instanceId: undefined, fastStop: false });
      }
    }),
    /** No new substantiations from now on; the connection is dropped at once. */
    beginShutdown: enqueueActions(({ context, event, enqueue }) => {
      const fast = context.fastStop || (event.type === 'shutdown' && event.fast === true);
      if (context.connection) {
        enqueue.emit({ type: 'connectionDropped', connection: context.connection });
      }
      enqueue.assign({ shuttingDown: true, fastStop: fast, connection: undefined });
    }),
    /** One more build runs. */
    countBuildStarted: assign({ building: ({ context }) => context.building + 1 }),
    /** One build fewer runs. */
    countBuildFinished: assign({ building: ({ context }) => Math.max(0, context.building - 1) }),
    /** A failure while quarantined: counted toward pausing, the back-off unchanged. */
    countFailure: assign({ consecutiveFailures: ({ context }) => context.consecutiveFailures + 1 }),
    /** A failure while not quarantined: counted, and the next quarantine gets longer. */
    countFailureAndBackOff: assign(({ context }) => {
      const { factor, max } = context.settings.quarantine;
      return {
        consecutiveFailures: context.consecutiveFailures + 1,
        nextQuarantine: Math.min(context.nextQuarantine * factor, max)
      };
    }),
    /** A good build: the failure streak ends and the back-off starts again from `initial`. */
    resetFailures: assign(({ context }) => ({
      consecutiveFailures: 0,
      nextQuarantine: context.settings.quarantine.initial
    })),
    /** A failure: quarantined for the current back-off, and the next one is `factor` times longer, up to `max`. */
    beginQuarantine: enqueueActions(({ context, enqueue }) => {
      const { factor, max } = context.settings.quarantine;
      const duration = context.nextQuarantine;
      enqueue.assign({
        consecutiveFailures: context.consecutiveFailures + 1,
        quarantineDuration: duration,
        nextQuarantine: Math.min(duration * factor, max)
      });
      enqueue.emit({ type: 'quarantined', duration });
    }),
    /** Restored mid-substantiation: a fresh missingTimeout deadline, as the old timer did not survive. */
    armRestoredDeadline: enqueueActions(({ context, enqueue }) => {
      const delay = context.settings.missingTimeout;
      if (delay > 0) {
        enqueue.raise({ type: 'substantiation.timedOut' }, { id: RESTORED_DEADLINE, delay });
      }
    }),
    /** Reports the quarantine again (it is served again in full after a restore). */
    reportQuarantine: emit(({ context }) => ({
      type: 'quarantined' as const,
      duration: context.quarantineDuration
    })),
    /** Paused, with its reason (none for a manual `pause()`). */
    pause: enqueueActions(({ enqueue }, params: { reason: string | undefined }) => {
      enqueue.assign({ pauseReason: params.reason });
      enqueue.emit({ type: 'paused', reason: params.reason });
    }),
    /** Leaves the pause or quarantine; the back-off is kept, the failure streak ends. */
    unpause: enqueueActions(({ enqueue }) => {
      // Back-off survives an unpause; the failure streak does not, or the next failure
      // would pause the worker again at once.
      enqueue.assign({ pauseReason: undefined, consecutiveFailures: 0 });
      enqueue.emit({ type: 'unpaused' });
    })
  },
  delays: {
    /** A request's deadline, from its `substantiate()` call (`REQUEST_DEADLINE`); 0: none. */
    missingTimeout: ({ context }) => context.settings.missingTimeout,
    /** How long a takedown waits for the call it follows (a cancelled start or check, the stop). */
    stopTimeout: ({ context }) => context.settings.stopTimeout,
    /** How often `checkInstance` polls the instance while it connects. */
    checkInstanceInterval: ({ context }) => context.settings.checkInstanceInterval,
    /** Idle time before the stop; 0: at the last build's end; < 0: never (`stopsWhenIdle`). */
    buildWaitTimeout: ({ context }) => Math.max(0, context.settings.buildWaitTimeout),
    /**
     * min(initial · factor^n, max): n counts the quarantines, and the failures while paused,
     * since the back-off was last reset (`beginQuarantine`, `countFailureAndBackOff`).
     */
    quarantine: ({ context }) => context.quarantineDuration,
    /** How long recovery waits for the agent of a leftover that was running, to adopt it. */
    adoptTimeout: ({ context }) => context.settings.adoptTimeout
  }
}).createMachine({
  id: 'latentWorker',
  type: 'parallel',
  context: ({ input }) => ({
    name: input.name,
    settings: input.settings,
    generation: 0,
    waiters: [],
    props: undefined,
    instanceId: undefined,
    leftovers: [],
    queued: undefined,
    connection: undefined,
    connectedGeneration: -1,
    building: 0,
    consecutiveFailures: 0,
    nextQuarantine: input.settings.quarantine.initial,
    quarantineDuration: 0,
    pauseReason: undefined,
    fastStop: false,
    shuttingDown: false
  }),
  states: {
    instance: {
      description: 'What the master intends for the instance, and how far it got.',
      initial: 'idle',
      on: {
        'build.started': { actions: 'countBuildStarted' },
        'build.finished': { actions: 'countBuildFinished' },
        detach: {
          guard: {
            type: 'isCurrentConnection',
            params: ({ event }) => ({ connection: event.connection })
          },
          actions: 'forgetConnection'
        },
        withdraw: { actions: 'withdrawWaiter' },
        attach: [
          { guard: 'acceptsAnyAttach', actions: 'acceptConnection' },
          { actions: 'rejectConnection' }
        ]
      },
      states: {
        idle: {
          description: 'No instance as far as we know. A substantiate request starts one.',
          on: {
            substantiate: [
              ...refuseWhileUnavailable(),
              { target: 'substantiating', actions: 'takeRequest' }
            ],
            shutdown: { target: 'shutDown', actions: 'beginShutdown' },
            recover: 'recovering'
          }
        },
        recovering: {
          description:
            'Created with a journal: the instances an earlier process left open are stopped, oldest first, before any new start; a request meanwhile waits.',
          initial: 'reading',
          on: {
            ...waitingWithQueue().on,
            // Called off: every leftover is stopped, none adopted; recovery's stops are never
            // fast, and a fast request is not left over for the next instance's stop either.
            insubstantiate: {
              actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'forgoAdoption']
            }
          },
          states: {
            reading: {
              description: 'readJournal is running: what is open, and the highest generation.',
              invoke: {
                id: 'journal',
                src: 'readJournal',
                onDone: { target: 'next', actions: 'takeLeftovers' },
                onError: { target: 'next', actions: 'journalUnreadable' }
              }
            },
            next: {
              description: 'Takes the oldest leftover, or ends recovery when none is left.',
              always: [
                { guard: 'adoptable', target: 'adopting' },
                { guard: 'hasLeftovers', target: 'stopping' },
                ...afterStop()
              ]
            },
            adopting: {
              description:
                'The newest leftover was running: it is kept if its agent comes back within adoptTimeout.',
              after: { adoptTimeout: 'stopping' },
              on: {
                attach: {
                  target: '#latentWorker.instance.substantiated',
                  actions: ['adoptLeftover', 'acceptConnection', 'resolveWaiters']
                },
                insubstantiate: {
                  target: 'stopping',
                  actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'forgoAdoption']
                },
                shutdown: {
                  target: 'stopping',
                  actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'beginShutdown']
                }
              }
            },
            stopping: {
              description:
                'stopInstance is running for the oldest leftover, with its recorded identity.',
              invoke: {
                id: 'stop',
                src: 'stopInstance',
                input: ({ context }) => ({
                  generation: context.leftovers[0]!.generation,
                  instanceId: context.leftovers[0]!.instanceId,
                  fast: false
                }),
                onDone: {
                  target: 'next',
                  actions: { type: 'leftoverDone', params: { outcome: 'stopped' } }
                },
                onError: {
                  target: 'next',
                  actions: { type: 'leftoverDone', params: { outcome: 'stopFailed' } }
                }
              },
              ...stopDeadline('The stop runs, within stopTimeout of its beginning.')
            }
          }
        },
        substantiating: {
          description:
            "Making an instance exist and connect, within the request's deadline (missingTimeout from its call).",
          initial: 'starting',
          exit: cancel(RESTORED_DEADLINE),
          on: {
            substantiate: [...refuseWhileUnavailable(), { actions: 'joinRequest' }],
            restore: { actions: 'armRestoredDeadline' }
          },
          states: {
            starting: {
              description: 'startInstance is running: the one provider call in flight.',
              invoke: {
                id: 'start',
                src: 'startInstance',
                input: ({ context }) => ({ generation: context.generation, props: context.props }),
                onDone: [
                  {
                    guard: stateIn({ instance: { substantiating: { starting: 'aborting' } } }),
                    target: '#latentWorker.instance.insubstantiating',
                    actions: 'recordInstanceId'
                  },
                  {
                    guard: {
                      type: 'startRefused',
                      params: ({ event }) => ({ output: event.output })
                    },
                    target: '#latentWorker.instance.insubstantiating',
                    actions: {
                      type: 'fail',
                      params: ({ context }) => ({ error: startRefused(context.name) })
                    }
                  },
                  {
                    guard: {
                      type: 'startInvalid',
                      params: ({ event }) => ({ output: event.output })
                    },
                    target: '#latentWorker.instance.insubstantiating',
                    actions: {
                      type: 'fail',
                      params: ({ context, event }) => ({
                        error: startReturnedGarbage(context.name, event.output)
                      })
                    }
                  },
                  {
                    guard: 'connectedToInstance',
                    target: '#latentWorker.instance.substantiated',
                    actions: ['recordInstanceId', 'resolveWaiters']
                  },
                  { target: 'connecting', actions: 'recordInstanceId' }
                ],
                onError: [
                  {
                    guard: stateIn({ instance: { substantiating: { starting: 'aborting' } } }),
                    target: '#latentWorker.instance.insubstantiating'
                  },
                  {
                    target: '#latentWorker.instance.insubstantiating',
                    actions: {
                      type: 'fail',
                      params: ({ context, event }) => ({
                        error: startThrew(context.name, event.error)
                      })
                    }
                  }
                ]
              },
              initial: 'booting',
              states: {
                booting: {
                  description: 'The start runs; an attach now is remembered until it returns.',
                  tags: 'live',
                  on: { attach: { actions: 'acceptConnection' }, ...cancellable('aborting') }
                },
                aborting: {
                  description:
                    'Cancelled or timed out: the signal is aborted and the stop follows once the start returns.',
                  tags: 'cancelling',
                  entry: 'abortStart',
                  ...waitingWithQueue(),
                  ...stopDeadline('The start still runs, within stopTimeout of its abort.')
                }
              }
            },
            connecting: {
              description: 'Started; waiting for the worker to attach, polling its health.',
              tags: 'live',
              after: { checkInstanceInterval: { guard: 'hasHealthCheck', target: 'checking' } },
              on: {
                attach: {
                  target: '#latentWorker.instance.substantiated',
                  actions: ['acceptConnection', 'resolveWaiters']
                },
                restore: { target: 'connecting', reenter: true, actions: 'armRestoredDeadline' },
                ...cancellable('#latentWorker.instance.insubstantiating')
              }
            },
            checking: {
              description: 'checkInstance is running: the one provider call in flight.',
              invoke: {
                id: 'check',
                src: 'checkInstance',
                input: ({ context }) => ({
                  generation: context.generation,
                  instanceId: context.instanceId
                }),
                onDone: [
                  {
                    guard: stateIn({ instance: { substantiating: { checking: 'aborting' } } }),
                    target: '#latentWorker.instance.insubstantiating'
                  },
                  {
                    guard: 'connectedToInstance',
                    target: '#latentWorker.instance.substantiated',
                    actions: 'resolveWaiters'
                  },
                  {
                    guard: { type: 'checkGood', params: ({ event }) => ({ result: event.output }) },
                    target: 'connecting'
                  },
                  {
                    target: '#latentWorker.instance.insubstantiating',
                    actions: {
                      type: 'fail',
                      params: ({ context, event }) => ({
                        error: crashedBeforeConnecting(
                          context.name,
                          classifyCheckResult(event.output).message
                        )
                      })
                    }
                  }
                ],
                onError: [
                  {
                    guard: stateIn({ instance: { substantiating: { checking: 'aborting' } } }),
                    target: '#latentWorker.instance.insubstantiating'
                  },
                  {
                    guard: 'connectedToInstance',
                    target: '#latentWorker.instance.substantiated',
                    actions: 'resolveWaiters'
                  },
                  {
                    target: '#latentWorker.instance.insubstantiating',
                    actions: {
                      type: 'fail',
                      params: ({ context, event }) => ({
                        error: crashedBeforeConnecting(context.name, event.error)
                      })
                    }
                  }
                ]
              },
              initial: 'running',
              states: {
                running: {
                  description: 'An attach now cuts the check short and wins when it returns.',
                  tags: 'live',
                  on: {
                    attach: { actions: ['acceptConnection', 'abortCheck'] },
                    ...cancellable('aborting')
                  }
                },
                aborting: {
                  description: 'Cancelled or timed out: the stop follows once the check returns.',
                  tags: 'cancelling',
                  entry: 'abortCheck',
                  ...waitingWithQueue(),
                  ...stopDeadline('The check still runs, within stopTimeout of its abort.')
                }
              }
            }
          }
        },
        substantiated: {
          id: 'substantiated',
          description: 'Instance up and (normally) connected; runs builds.',
          tags: 'live',
          initial: 'idling',
          on: {
            substantiate: [
              ...refuseWhileUnavailable(),
              {
                guard: 'connected',
                actions: { type: 'answer', params: { status: 'substantiated' } }
              },
              // Lost its connection: restart the instance for this request.
              { target: 'insubstantiating', actions: 'queueRequest' }
            ],
            'build.started': { target: '.building', actions: 'countBuildStarted' },
            insubstantiate: { target: 'insubstantiating', actions: 'setFast' },
            shutdown: { target: 'insubstantiating', actions: 'beginShutdown' }
          },
          states: {
            idling: {
              description: 'No build runs: the idle timer (buildWaitTimeout) is armed.',
              always: { guard: 'buildRunning', target: 'building' },
              on: { restore: { target: 'idling', reenter: true } },
              after: {
                buildWaitTimeout: {
                  guard: 'stopsWhenIdle',
                  target: '#latentWorker.instance.insubstantiating',
                  actions: 'dropConnection'
                }
              }
            },
            building: {
              description: 'Builds run; the idle timer waits for the last one to finish.',
              on: {
                'build.finished': [
                  { guard: 'isLastBuild', target: 'idling', actions: 'countBuildFinished' },
                  { actions: 'countBuildFinished' }
                ]
              }
            }
          }
        },
        insubstantiating: {
          description: 'stopInstance is running; may carry a queued re-substantiation.',
          invoke: {
            id: 'stop',
            src: 'stopInstance',
            input: ({ context }) => ({
              generation: context.generation,
              instanceId: context.instanceId,
              fast: context.fastStop
            }),
            // A failed stop is reported by the runtime and otherwise ignored: the instance is
            // gone as far as we can tell, and the next start must not be blocked by it.
            onDone: afterStop(),
            onError: afterStop()
          },
          exit: 'forgetInstance',
          ...waitingWithQueue(),
          ...stopDeadline('The stop runs, within stopTimeout of its beginning.')
        },
        shutDown: {
          description: 'Final: every later substantiate resolves false at once.',
          type: 'final',
          on: {
            substantiate: { actions: { type: 'answer', params: { status: 'shutDown' } } },
            attach: { actions: 'rejectConnection' }
          }
        }
      }
    },
    availability: {
      description: 'Whether the worker may take new work: quarantine and pausing.',
      initial: 'available',
      on: {
        'build.finished': [
          {
            guard: { type: 'buildFailed', params: ({ event }) => event },
            actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'worker.failed' }))
          },
          {
            guard: { type: 'buildSucceeded', params: ({ event }) => event },
            actions: 'resetFailures'
          }
        ],
        pause: {
          target: '.paused',
          actions: { type: 'pause', params: ({ event }) => ({ reason: event.reason }) }
        }
      },
      states: {
        available: {
          description: 'May substantiate and take builds.',
          on: { 'worker.failed': quarantineOrPause() }
        },
        quarantined: {
          description: 'Timed back-off after a failure; unpause() ends it early.',
          after: { quarantine: 'available' },
          on: {
            unpause: { target: 'available', actions: 'unpause' },
            // The timer did not survive the restart: serve the quarantine again in full.
            restore: { target: 'quarantined', reenter: true, actions: 'reportQuarantine' },
            // Already quarantined: the failure counts toward pausing, nothing more.
            'worker.failed': [
              {
                guard: 'reachedPauseLimit',
                target: 'paused',
                actions: [
                  'countFailure',
                  { type: 'pause', params: { reason: 'too many failures' } }
                ]
              },
              { actions: 'countFailure' }
            ]
          }
        },
        paused: {
          description: 'Paused by pause() or after too many failures; left only by unpause().',
          on: {
            unpause: { target: 'available', actions: 'unpause' },
            // Not quarantined: the failure still lengthens the back-off, as Buildbot's does.
            'worker.failed': { actions: 'countFailureAndBackOff' }
          }
        }
      }
    }
  }
});
