import { expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createLatentWorker, type Provider, type StopContext } from '../../src/index.js';
import { DEFAULT_OWNER, instanceLabels, instanceName } from '../../src/runtime/identity.js';
import type { JournalState } from '../../src/runtime/journal/journal.js';
import { MemoryJournal } from '../support/memoryJournal.js';

// The smallest counter-examples of the two places where the lifecycle property found the
// engine disagreeing with the documents (test/model/disagreements.ts, where the model follows
// the engine for now). Each test says what the documents want; it fails while the engine
// disagrees (`test.fails`). When one passes, the engine is fixed: make it a plain `test` and
// set its entry in FOLLOW_ENGINE to false.

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A journal that an earlier process left holding `states`, generation 1 first. */
function journalLeftWith(...states: JournalState[]): MemoryJournal {
  const journal = new MemoryJournal();
  states.forEach((state, nth) => {
    const generation = nth + 1;
    const ref = {
      workerName: 'w',
      generation,
      instanceName: instanceName(DEFAULT_OWNER, 'w', generation),
      labels: instanceLabels(DEFAULT_OWNER, 'w', generation)
    };
    journal.leave(DEFAULT_OWNER, ref, state);
  });
  return journal;
}

/** Starts return at once; each stop waits until the test lets it return. */
function heldStops() {
  const stops: Array<{ ctx: StopContext; done: () => void }> = [];
  const provider: Provider = {
    startInstance: async () => true,
    stopInstance: (ctx) => new Promise<void>((done) => stops.push({ ctx, done }))
  };
  return { provider, stops };
}

test.fails(
  'a fast insubstantiate() during recovery does not make the next instance’s stop fast',
  async () => {
    // Arrange: recovery stops the leftover of generation 1
    const { provider, stops } = heldStops();
    const journal = journalLeftWith('starting');
    const clock = new SimulatedClock();
    const worker = createLatentWorker({ name: 'w', provider, journal, clock });
    await flush();
    // Act: a fast insubstantiate() meanwhile; recovery ends; a new instance, stopped unhurried
    void worker.insubstantiate({ fast: true });
    stops[0]!.done();
    await flush();
    worker.substantiate().catch(() => undefined); // cancelled by the insubstantiate() below
    await flush();
    void worker.insubstantiate({ fast: false });
    await flush();
    // Assert: recovery's stop is not fast (instances.md), and neither is the one asked slowly
    expect(stops.map((stop) => [stop.ctx.generation, stop.ctx.fast])).toEqual([
      [1, false],
      [2, false]
    ]);
  }
);

test.fails(
  'an insubstantiate() during recovery stops the running leftover instead of adopting it',
  async () => {
    // Arrange: generation 1's stop had thrown, generation 2 was running when the process died
    const { provider, stops } = heldStops();
    const journal = journalLeftWith('stopping', 'started');
    const clock = new SimulatedClock();
    const worker = createLatentWorker({
      name: 'w',
      provider,
      journal,
      clock,
      adoptTimeout: 30_000
    });
    await flush();
    // Act: insubstantiate() while generation 1 is being stopped; that stop returns
    let stopped = false;
    void worker.insubstantiate().then(() => (stopped = true));
    stops[0]!.done();
    await flush();
    // Assert: generation 2 is stopped at once, not kept waiting for its agent (which could
    // come back and be adopted: the insubstantiate() would then resolve with it running)
    expect(stops.map((stop) => stop.ctx.generation)).toEqual([1, 2]);
    expect(stopped).toBe(false);
    expect(worker.status.state).toBe('recovering');
  }
);
