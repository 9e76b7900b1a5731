import { stateIn } from 'xstate';
import { missingTimedOut } from './failures.js';
import type { WorkerContext } from './types.js';

// Transitions that several states of the latent-worker statechart share, by intent.

/** A quarantined or paused worker refuses new substantiations without touching its provider. */
export function refuseWhileUnavailable() {
  return [
    {
      guard: stateIn({ availability: 'quarantined' }),
      actions: { type: 'answer', params: { status: 'unavailable', reason: 'quarantined' } }
    },
    {
      guard: stateIn({ availability: 'paused' }),
      actions: { type: 'answer', params: { status: 'unavailable', reason: 'paused' } }
    }
  ] as const;
}

/** The request's deadline, or a restored substantiation's fresh one: the waiters fail. */
const timedOut = (target: string) =>
  ({
    target,
    actions: {
      type: 'fail',
      params: ({ context }: { context: WorkerContext }) => ({
        error: missingTimedOut(context.name, context.settings.missingTimeout)
      })
    }
  }) as const;

/** How a live substantiation is called off; `target` is where the pending provider call ends. */
export function cancellable(target: string) {
  return {
    insubstantiate: {
      target,
      actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'setFast']
    },
    shutdown: {
      target,
      actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'beginShutdown']
    },
    withdraw: [
      {
        guard: {
          type: 'isLastWaiter',
          params: ({ event }: { event: { waiter: number } }) => event
        },
        target,
        actions: { type: 'cancelWaiters', params: { queued: false } }
      },
      { actions: 'withdrawWaiter' }
    ],
    'request.timedOut': timedOut(target),
    'substantiation.timedOut': timedOut(target)
  } as const;
}

/**
 * A state that waits for a provider call to finish before the instance can start again: new
 * requests queue, and a queued request fails at its own deadline (`request.timedOut`) without
 * its start ever being issued.
 */
export function waitingWithQueue() {
  return {
    on: {
      substantiate: [
        { guard: 'shuttingDown', actions: { type: 'answer', params: { status: 'shutDown' } } },
        ...refuseWhileUnavailable(),
        { actions: 'queueRequest' }
      ],
      insubstantiate: { actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'setFast'] },
      shutdown: { actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'beginShutdown'] },
      'request.timedOut': { actions: 'failQueued' }
    }
  } as const;
}

/**
 * The deadline of the provider call a takedown waits for (a cancelled start or check, or the
 * stop): stopTimeout from entering the state. At the deadline the state is `overdue`: callers
 * no longer wait and the instance may still run; nothing new is called until the call returns.
 */
export function stopDeadline(description: string) {
  return {
    initial: 'pending',
    states: {
      pending: {
        description,
        after: { stopTimeout: { guard: 'hasStopTimeout', target: 'overdue' } }
      },
      overdue: {
        description:
          'stopTimeout passed: insubstantiate() and shutdown() no longer wait, and the instance may still run.',
        tags: 'stopOverdue',
        entry: 'reportStopTimedOut'
      }
    }
  } as const;
}

/** Where the instance region goes once nothing is left to stop. */
export function afterStop() {
  return [
    { guard: 'shuttingDown', target: '#latentWorker.instance.shutDown' },
    {
      guard: 'hasQueued',
      target: '#latentWorker.instance.substantiating',
      actions: 'promoteQueued'
    },
    { target: '#latentWorker.instance.idle' }
  ] as const;
}

/**
 * A counted failure while available: quarantine, or pause once the streak reaches the limit.
 * Either way the back-off lengthens (Buildbot's `putInQuarantine` does whatever the pause).
 */
export function quarantineOrPause() {
  return [
    {
      guard: 'reachedPauseLimit',
      target: 'paused',
      actions: [
        'countFailureAndBackOff',
        { type: 'pause', params: { reason: 'too many failures' } }
      ]
    },
    { target: 'quarantined', actions: 'beginQuarantine' }
  ] as const;
}
