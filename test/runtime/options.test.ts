import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ControllableProvider,
  createLatentWorker,
  LatentWorkerError,
  LatentWorkerFailedToSubstantiate,
  type Connection,
  type LatentWorkerOptions,
  type Provider
} from '../../src/index.js';
import { harness, type Props } from '../support/harness.js';

// Bad input: invalid options, a provider returning garbage, calls out of turn.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const provider = new ControllableProvider<Props>();
const create = (options: Partial<LatentWorkerOptions<Props>>) => () =>
  createLatentWorker<Props>({ name: 'w', provider, ...options });

describe('invalid options throw a TypeError at construction', () => {
  it.each<[string, Partial<LatentWorkerOptions<Props>>, RegExp]>([
    ['an empty name', { name: '' }, /name must be a non-empty string/],
    ['a blank name', { name: '  ' }, /name must be a non-empty string/],
    ['a name that is not a string', { name: 42 as unknown as string }, /name/],
    ['no provider', { provider: undefined }, /provider of w must have startInstance/],
    [
      'a provider without stopInstance',
      { provider: { startInstance: () => true } as unknown as Provider<Props> },
      /stopInstance/
    ],
    [
      'a provider without startInstance',
      { provider: { stopInstance: () => undefined } as unknown as Provider<Props> },
      /startInstance/
    ],
    ['a negative missingTimeout', { missingTimeout: -1 }, /missingTimeout of w must be >= 0/],
    ['a NaN missingTimeout', { missingTimeout: NaN }, /missingTimeout of w .* got NaN/],
    ['a NaN buildWaitTimeout', { buildWaitTimeout: NaN }, /buildWaitTimeout of w/],
    ['an infinite buildWaitTimeout', { buildWaitTimeout: Infinity }, /buildWaitTimeout/],
    ['a string timeout', { buildWaitTimeout: '5' as unknown as number }, /buildWaitTimeout/],
    ['a delay over 2^31-1 ms', { missingTimeout: 2 ** 31 }, /at most 2147483647 ms/],
    ['a zero checkInstanceInterval', { checkInstanceInterval: 0 }, /checkInstanceInterval/],
    ['maxBuilds 0', { maxBuilds: 0 }, /maxBuilds of w must be a whole number >= 1/],
    ['a fractional maxBuilds', { maxBuilds: 1.5 }, /maxBuilds/],
    ['pauseAfterFailures 0', { pauseAfterFailures: 0 }, /pauseAfterFailures/],
    ['a quarantine factor below 1', { quarantine: { factor: 0.5 } }, /quarantine.factor/],
    ['a NaN quarantine factor', { quarantine: { factor: NaN } }, /quarantine.factor/],
    ['an infinite quarantine factor', { quarantine: { factor: Infinity } }, /quarantine.factor/],
    ['a zero initial quarantine', { quarantine: { initial: 0 } }, /quarantine.initial/],
    [
      'a quarantine max below its initial',
      { quarantine: { initial: 60_000, max: 10_000 } },
      /quarantine.max of w must be >= quarantine.initial/
    ],
    ['a clock without setTimeout', { clock: {} as never }, /clock must have setTimeout/],
    ['a negative stopTimeout', { stopTimeout: -5 }, /stopTimeout of w must be >= 0/],
    ['a stopTimeout over 2^31-1 ms', { stopTimeout: 2 ** 31 }, /stopTimeout of w .* 2147483647/],
    ['an owner with capitals', { owner: 'CI-Prod' }, /owner of w must be a lowercase DNS label/],
    ['an owner with a double dash', { owner: 'ci--prod' }, /owner of w/],
    ['an owner of 31 characters', { owner: 'a'.repeat(31) }, /at most 30 characters/],
    ['an owner that is not a string', { owner: 7 as unknown as string }, /owner of w/]
  ])('%s', (_name, options, message) => {
    expect(create(options)).toThrow(TypeError);
    expect(create(options)).toThrow(message);
  });

  it('options that are not an object', () => {
    expect(() => createLatentWorker(null as unknown as LatentWorkerOptions<Props>)).toThrow(
      /createLatentWorker: options must be an object/
    );
  });

  it('accepts the documented edge values', () => {
    expect(
      create({
        buildWaitTimeout: -1,
        missingTimeout: 0,
        maxBuilds: Infinity,
        pauseAfterFailures: Infinity,
        quarantine: { initial: 1, factor: 1, max: 2 ** 31 - 1 }
      })
    ).not.toThrow();
  });
});

describe('a provider returning garbage from startInstance', () => {
  it.each<[string, unknown, string]>([
    ['a number', 42, 'startInstance returned 42'],
    ['an object of another shape', { pid: 42 }, 'startInstance returned {"pid":42}'],
    ['an empty instanceId', { instanceId: '' }, 'startInstance returned {"instanceId":""}'],
    ['a status that is not a list', { status: 'up' }, 'startInstance returned {"status":"up"}'],
    ['null', null, 'startInstance returned null'],
    ['a string', 'ok', 'startInstance returned "ok"'],
    ['a list with a non-string', ['i-1', 2], 'startInstance returned ["i-1",2]']
  ])('%s fails the substantiation clearly, and the stop follows', async (_name, garbage, text) => {
    const h = harness({}, { autoConnect: false, autoStop: true });
    vi.spyOn(h.provider, 'startInstance').mockImplementationOnce(() => {
      h.provider.state = 'started';
      return Promise.resolve(garbage as boolean);
    });
    const build = h.substantiate();
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(build.error).toMatchObject({ reason: 'invalidResult' });
    expect((build.error as Error).message).toContain(text);
    expect((build.error as Error).message).toContain(
      'expected undefined, a boolean, a list of strings or { instanceId, status }'
    );
    expect(h.provider.stops).toHaveLength(1);
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'quarantined' });
  });
});

describe('a start that throws synchronously behaves like an asynchronous throw', () => {
  it.each(['synchronously', 'asynchronously'])('%s', async (how) => {
    const h = harness({}, { autoStop: true });
    const boom = new Error('quota exceeded');
    vi.spyOn(h.provider, 'startInstance').mockImplementationOnce(() => {
      h.provider.state = 'started';
      if (how === 'synchronously') throw boom;
      return Promise.reject(boom);
    });
    const build = h.substantiate();
    await h.flush();
    expect(build.error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(build.error).toMatchObject({ reason: 'threw' });
    expect((build.error as Error).cause).toBe(boom);
    expect((build.error as Error).message).toContain('startInstance failed: quota exceeded');
    expect(h.calls()).toEqual(['start', 'stop']);
    expect(h.worker.status).toMatchObject({ state: 'idle', availability: 'quarantined' });
  });
});

describe('calls out of turn', () => {
  it('buildFinished with no build running throws a LatentWorkerError', () => {
    const h = harness();
    expect(() => h.worker.buildFinished()).toThrow(LatentWorkerError);
    expect(() => h.worker.buildFinished()).toThrow(/local.buildFinished: no build is running/);
    h.worker.buildStarted();
    h.worker.buildFinished();
    expect(() => h.worker.buildFinished('success')).toThrow(LatentWorkerError);
    expect(h.worker.status.building).toBe(0);
  });

  it('buildFinished with an unknown result throws a TypeError', () => {
    const h = harness();
    h.worker.buildStarted();
    expect(() => h.worker.buildFinished('passed' as 'success')).toThrow(TypeError);
    expect(h.worker.status.building).toBe(1);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an object without disconnect', {}],
    ['a non-function disconnect', { disconnect: true }]
  ])('attached() with %s throws a TypeError and changes nothing', async (_name, connection) => {
    const h = harness({}, { autoConnect: false });
    const build = h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    expect(() => h.worker.attached(connection as Connection)).toThrow(TypeError);
    expect(() => h.worker.attached(connection as Connection)).toThrow(
      /local.attached: connection must have a disconnect\(\) method/
    );
    expect(h.worker.status).toMatchObject({ state: 'substantiating', connected: false });
    expect(build.status).toBe('pending');
  });
});
