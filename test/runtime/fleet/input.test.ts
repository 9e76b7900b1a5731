import { describe, expect, it } from 'vitest';
import {
  ControllableProvider,
  createFleet,
  createLatentWorker,
  type LatentWorker
} from '../../../src/index.js';

const worker = (name: string): LatentWorker<Record<string, unknown>> =>
  createLatentWorker({ name, provider: new ControllableProvider() });
const run = async () => undefined;

describe('bad input', () => {
  it('an empty fleet', () => {
    expect(() => createFleet({ workers: [] })).toThrow(
      new TypeError('createFleet: workers is empty: a fleet needs at least one worker')
    );
  });

  it('duplicate worker names', () => {
    expect(() => createFleet({ workers: [worker('a'), worker('b'), worker('a')] })).toThrow(
      new TypeError('createFleet: duplicate worker name "a"')
    );
  });

  it('workers that are not LatentWorkers, and bad limits', () => {
    expect(() => createFleet({} as never)).toThrow(/workers must be an array/);
    expect(() => createFleet({ workers: [{ name: 'x' }] as never })).toThrow(
      /must be a LatentWorker/
    );
    expect(() => createFleet({ workers: [worker('a')], maxConcurrentStarts: 0 })).toThrow(
      new TypeError(
        'createFleet: maxConcurrentStarts must be a positive integer or Infinity, got 0'
      )
    );
    expect(() => createFleet({ workers: [worker('a')], maxAttempts: 1.5 })).toThrow(TypeError);
  });

  it('unknown worker names in a request', () => {
    const fleet = createFleet({ workers: [worker('a'), worker('b')] });
    expect(() => fleet.submit({ workerNames: ['a', 'c', 'd'], run })).toThrow(
      new TypeError('Fleet.submit: unknown worker names "c", "d" in workerNames')
    );
    expect(() => fleet.submit({ workerNames: ['z'], run })).toThrow(
      new TypeError('Fleet.submit: unknown worker name "z" in workerNames')
    );
  });

  it('requests without run, with no allowed worker, or with a bad maxAttempts', () => {
    const fleet = createFleet({ workers: [worker('a')] });
    expect(() => fleet.submit({} as never)).toThrow(
      new TypeError('Fleet.submit: request.run must be a function')
    );
    expect(() => fleet.submit({ workerNames: [], run })).toThrow(
      /workerNames must be a non-empty array/
    );
    expect(() => fleet.submit({ run, maxAttempts: -1 })).toThrow(
      /maxAttempts must be a positive integer/
    );
  });

  it('a run() returning something that is not a BuildResult ends exception', async () => {
    const fleet = createFleet({
      workers: [
        createLatentWorker({ name: 'a', provider: { startInstance() {}, stopInstance() {} } })
      ]
    });
    fleet.workers[0]!.events$.subscribe((event) => {
      if (event.type === 'provider' && event.call === 'start' && event.phase === 'begin') {
        fleet.workers[0]!.attached({ disconnect() {} });
      }
    });
    const handle = fleet.submit({ run: async () => 'great' as never });
    const outcome = await handle.outcome;
    expect(outcome).toMatchObject({ result: 'exception', attempts: 1 });
    expect(outcome.error).toEqual(
      new TypeError('run() returned "great"; expected a BuildResult or nothing')
    );
    await fleet.shutdown();
  });
});
