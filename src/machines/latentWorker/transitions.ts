import { and, stateIn } from 'xstate';
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
    'substantiation.timedOut': {
      target,
      actions: {
        type: 'fail',
        params: ({ context }: { context: WorkerContext }) => ({
          error: missingTimedOut(context.name, context.settings.missingTimeout)
        })
      }
    }
  } as const;
}

/**
 * A state that waits for a provider call to finish before the instance can start again: new
 * requests queue, and the queue is bounded by the attach deadline like any substantiation.
 */
export function waitingWithQueue() {
  return {
    after: {
      missingTimeout: { guard: and(['hasQueued', 'hasMissingTimeout']), actions: 'failQueued' }
    },
    on: {
      substantiate: [
        { guard: 'shuttingDown', actions: { type: 'answer', params: { status: 'shutDown' } } },
        ...refuseWhileUnavailable(),
        { actions: 'queueRequest' }
      ],
      insubstantiate: { actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'setFast'] },
      shutdown: { actions: [{ type: 'cancelWaiters', params: { queued: true } }, 'beginShutdown'] }
    }
  } as const;
}

export function afterStop() {
  return [
    { guard: 'shuttingDown', target: 'shutDown' },
    { guard: 'hasQueued', target: 'substantiating', actions: 'promoteQueued' },
    { target: 'idle' }
  ] as const;
}

export function quarantineOrPause() {
  return [
    {
      guard: 'reachedPauseLimit',
      target: 'paused',
      actions: ['countFailure', { type: 'pause', params: { reason: 'too many failures' } }]
    },
    { target: 'quarantined', actions: ['countFailure', 'beginQuarantine'] }
  ] as const;
}
