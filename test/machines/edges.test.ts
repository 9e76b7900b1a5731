import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/index.js';
import { VARIANTS } from './graphPaths.js';
import { ManualClock } from './manualClock.js';
import { ManualProvider } from './manualProvider.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One chart actor on a hand-driven provider and clock, with everything it emits. */
function chart() {
  const provider = new ManualProvider();
  const clock = new ManualClock();
  const settings = VARIANTS.stopsWhenIdle!;
  const actor = createActor(provider.machine, { input: { name: 'edge', settings }, clock });
  clock.system = actor.system;
  const emitted: { type: string; [key: string]: unknown }[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  const outcome = (waiter: number) =>
    emitted.find((e) => e.type === 'settle' && (e.waiters as number[]).includes(waiter))?.outcome;
  return { actor, provider, clock, emitted, outcome };
}

const connection = (): Connection => ({ disconnect: () => undefined });

describe('edges of the chart the example and property tests pass by', () => {
  it('a caller leaving a shared substantiation leaves the others waiting', async () => {
    const { actor, outcome } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    actor.send({ type: 'substantiate', waiter: 2 });
    actor.send({ type: 'withdraw', waiter: 1 });
    await flush();
    expect(outcome(1)).toMatchObject({ status: 'failed' });
    expect(outcome(2)).toBeUndefined();
    expect(
      actor.getSnapshot().matches({ instance: { substantiating: { starting: 'booting' } } })
    ).toBe(true);
  });

  it('a caller that is not waiting cannot call off the substantiation of the one who is', () => {
    const { actor, outcome } = chart();
    actor.send({ type: 'substantiate', waiter: 2 });
    actor.send({ type: 'withdraw', waiter: 1 });
    expect(outcome(2)).toBeUndefined();
    expect(actor.getSnapshot().hasTag('live')).toBe(true);
  });

  it('an attach that goes away again during the start does not count when the start returns', async () => {
    const { actor, provider, outcome } = chart();
    const early = connection();
    actor.send({ type: 'substantiate', waiter: 1 });
    actor.send({ type: 'attach', connection: early });
    actor.send({ type: 'detach', connection: early });
    provider.answer('start', { output: true });
    await flush();
    expect(actor.getSnapshot().matches({ instance: { substantiating: 'connecting' } })).toBe(true);
    expect(outcome(1)).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['an id that is not a string', { instanceId: 42 }],
    ['an empty id', { instanceId: '' }]
  ])('a cancelled start returning %s is stopped without an instanceId', async (_, output) => {
    const { actor, provider } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    actor.send({ type: 'insubstantiate' });
    provider.answer('start', { output });
    await flush();
    expect(provider.pending).toBe('stop');
    expect(actor.getSnapshot().context.instanceId).toBeUndefined();
  });

  it.each([
    ['a substantiation', { output: true }, 'substantiated'],
    ['a failure', { output: false }, 'failed']
  ])(
    'callers settled by %s are not settled again by a later call-off',
    async (_, answer, status) => {
      const { actor, provider, emitted } = chart();
      actor.send({ type: 'substantiate', waiter: 1 });
      actor.send({ type: 'attach', connection: connection() });
      provider.answer('start', answer);
      await flush();
      actor.send({ type: 'shutdown' });
      const settles = emitted.filter((e) => e.type === 'settle');
      expect(settles).toMatchObject([{ waiters: [1], outcome: { status } }]);
    }
  );

  it('a build ending in retry keeps the failure streak', async () => {
    const { actor, provider } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    provider.answer('start', { output: false });
    await flush();
    actor.send({ type: 'build.started' });
    actor.send({ type: 'build.finished', result: 'retry' });
    expect(actor.getSnapshot().context.consecutiveFailures).toBe(1);
  });

  it('a refused start is reported as a failed substantiation', async () => {
    const { actor, provider, emitted } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    provider.answer('start', { output: false });
    await flush();
    expect(emitted.filter((e) => e.type === 'substantiationFailed')).toHaveLength(1);
  });

  it('a queued request that outlives its deadline is reported as failed, without quarantine', async () => {
    const { actor, clock, emitted, outcome } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    actor.send({ type: 'insubstantiate' });
    actor.send({ type: 'substantiate', waiter: 2 });
    clock.fire('request.timedOut');
    await flush();
    expect(outcome(2)).toMatchObject({
      status: 'failed',
      error: { timedOut: true, reason: 'stopping' }
    });
    expect(emitted.filter((e) => e.type === 'substantiationFailed')).toHaveLength(1);
    expect(actor.getSnapshot().value.availability).toBe('available');
  });

  it('a health check answering nothing counts as good, resolved or returned', async () => {
    const { actor, provider, clock } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    provider.answer('start', { output: true });
    await flush();
    clock.fire(
      'xstate.after.checkInstanceInterval.latentWorker.instance.substantiating.connecting'
    );
    provider.answer('check', { output: undefined });
    await flush();
    expect(actor.getSnapshot().matches({ instance: { substantiating: 'connecting' } })).toBe(true);
  });

  it.each([
    [
      'a result without isGood',
      { output: { healthy: true } },
      'checkInstance returned {"healthy":true}; expected { isGood } or nothing'
    ],
    ['isGood false without a message', { output: { isGood: false } }, 'unhealthy'],
    ['a non-Error rejection', { error: { code: 7 } }, '{"code":7}'],
    ['an unprintable rejection', { error: circular() }, '[object Object]']
  ])(
    'a health check answering %s fails the substantiation with a readable reason',
    async (_, answer, reason) => {
      const { actor, provider, clock, outcome } = chart();
      actor.send({ type: 'substantiate', waiter: 1 });
      provider.answer('start', { output: true });
      await flush();
      clock.fire(
        'xstate.after.checkInstanceInterval.latentWorker.instance.substantiating.connecting'
      );
      provider.answer('check', answer);
      await flush();
      const error = (outcome(1) as { error?: Error } | undefined)?.error;
      expect(error?.message).toContain(`crashed before connecting: ${reason}`);
      expect(actor.getSnapshot().matches({ instance: 'insubstantiating' })).toBe(true);
    }
  );

  it('an attach outside a substantiation is refused with its reason', () => {
    const { actor, emitted } = chart();
    actor.send({ type: 'attach', connection: connection() });
    expect(emitted.find((e) => e.type === 'connectionRejected')?.reason).toBe(
      'connection while not trying to substantiate'
    );
  });

  it('the same connection attaching twice is not dropped', () => {
    const { actor, emitted } = chart();
    const live = connection();
    actor.send({ type: 'substantiate', waiter: 1 });
    actor.send({ type: 'attach', connection: live });
    actor.send({ type: 'attach', connection: live });
    expect(emitted.filter((e) => e.type === 'connectionDropped')).toEqual([]);
  });

  it('an idle timeout without a connection drops none', async () => {
    const { actor, provider, clock, emitted } = chart();
    actor.send({ type: 'substantiate', waiter: 1 });
    actor.send({ type: 'attach', connection: connection() });
    provider.answer('start', { output: true });
    await flush();
    actor.send({ type: 'detach' });
    clock.fire('xstate.after.buildWaitTimeout.latentWorker.instance.substantiated.idling');
    expect(actor.getSnapshot().matches({ instance: 'insubstantiating' })).toBe(true);
    expect(emitted.filter((e) => e.type === 'connectionDropped')).toEqual([]);
  });
});

function circular(): unknown {
  const value: { self?: unknown } = {};
  value.self = value;
  return value;
}
