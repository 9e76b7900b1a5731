import type { AnyActorRef, InspectionEvent } from 'xstate';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness } from '../support/harness.js';

// Issue 2 item 7: the `inspect` option reaches XState, and each worker actor is named.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** XState types inspection events' actors loosely; they are full actor refs. */
const actorOf = (event: InspectionEvent) => event.actorRef as AnyActorRef;

describe('inspection', () => {
  it('the inspect option receives XState inspection events of the named worker actor', async () => {
    const seen: InspectionEvent[] = [];
    const h = harness({ name: 'builder-7', inspect: (event) => seen.push(event) });
    expect(h.worker.actor.id).toBe('builder-7');
    expect(h.worker.actor.system.get('builder-7')).toBe(h.worker.actor);

    const root = seen.find((e) => e.type === '@xstate.actor' && e.actorRef === h.worker.actor);
    expect(root && actorOf(root).id).toBe('builder-7');

    seen.length = 0;
    h.substantiate({ image: 'a' });
    h.provider.completeStart(true);
    await h.flush();
    const received = seen.flatMap((e) =>
      e.type === '@xstate.event' && e.actorRef === h.worker.actor ? [e.event.type] : []
    );
    expect(received).toEqual(expect.arrayContaining(['substantiate', 'attach']));
    // The provider call is an inspectable child actor of the worker.
    const start = seen.find((e) => e.type === '@xstate.actor' && actorOf(e).id === 'start');
    expect(start && actorOf(start)._parent).toBe(h.worker.actor);
    const last = seen.filter(
      (e): e is Extract<InspectionEvent, { type: '@xstate.snapshot' }> =>
        e.type === '@xstate.snapshot' && e.actorRef === h.worker.actor
    );
    expect(last.at(-1)?.snapshot).toMatchObject({
      value: { instance: { substantiated: 'idling' } }
    });
  });

  it('two workers are two actors with their own names', () => {
    const ids: string[] = [];
    const inspect = (e: InspectionEvent) => {
      if (e.type === '@xstate.actor' && actorOf(e)._parent === undefined) ids.push(actorOf(e).id);
    };
    harness({ name: 'a', inspect });
    harness({ name: 'b', inspect });
    expect(ids).toEqual(['a', 'b']);
  });
});
