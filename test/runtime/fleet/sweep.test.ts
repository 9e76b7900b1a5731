import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFleet,
  createLatentWorker,
  DEFAULT_OWNER,
  LABELS,
  type FleetEvent,
  type ListedInstance,
  type Provider,
  type StopContext
} from '../../../src/index.js';
import { ref } from '../../support/instances.js';
import { MemoryJournal } from '../../support/memoryJournal.js';

// The orphan sweep (instances.md): what carries this owner's labels but no journal holds is
// marked, checked again after the grace period, and only then stopped.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const OWNER = DEFAULT_OWNER;
const listed = (worker: string, generation: number): ListedInstance => {
  const { instanceName: name, labels } = ref(worker, generation);
  return { instanceName: name, labels, instanceId: `id-${generation}` };
};

/** A backend holding `instances`; a stop removes one, a start adds one. */
function backend(instances: ListedInstance[], options: { list?: boolean } = {}) {
  const stops: StopContext[] = [];
  const lists: Array<Record<string, string>> = [];
  const provider: Provider = {
    startInstance: (ctx) => {
      instances.push({ instanceName: ctx.instanceName, labels: ctx.labels });
      return new Promise(() => undefined); // a start still running
    },
    stopInstance: (ctx) => {
      stops.push(ctx);
      instances.splice(
        instances.findIndex((i) => i.instanceName === ctx.instanceName),
        1
      );
    }
  };
  if (options.list !== false) {
    provider.listInstances = ({ labels }) => {
      lists.push({ ...labels });
      return Promise.resolve(
        instances.filter((i) => i.labels[LABELS.owner] === labels[LABELS.owner])
      );
    };
  }
  return { provider, stops, lists, instances };
}

async function fleetOn(
  provider: Provider,
  journal: MemoryJournal | undefined,
  workerNames = ['w']
) {
  const workers = workerNames.map((name) =>
    createLatentWorker({ name, provider, ...(journal ? { journal } : {}), adoptTimeout: 0 })
  );
  const fleet = createFleet({ workers, sweep: { interval: 300_000, grace: 60_000 } });
  const events: FleetEvent[] = [];
  fleet.events$.subscribe((event) => events.push(event));
  await vi.advanceTimersByTimeAsync(0);
  return { fleet, workers, events };
}

const swept = (events: FleetEvent[]) =>
  events.flatMap((e) =>
    e.type === 'orphanSwept' ? [`${e.instance.instanceName} ${e.reason}`] : []
  );

describe('the orphan sweep', () => {
  it('marks an unrecorded instance at creation and stops it once the grace period has passed', async () => {
    const b = backend([listed('w', 7)]);
    const { fleet, events } = await fleetOn(b.provider, new MemoryJournal());
    expect(b.lists).toEqual([{ [LABELS.owner]: OWNER }]);
    expect(events).toContainEqual({
      type: 'orphanFound',
      instance: listed('w', 7),
      reason: 'unrecorded'
    });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(b.stops).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(b.stops).toEqual([
      expect.objectContaining({ ...ref('w', 7), instanceId: 'id-7', fast: false })
    ]);
    expect(swept(events)).toEqual([`${ref('w', 7).instanceName} unrecorded`]);
    const metrics = await fleet.metrics.getSingleMetricAsString('latent_workers_orphans_total');
    expect(metrics).toContain(
      'latent_workers_orphans_total{reason="unrecorded",outcome="found"} 1'
    );
    expect(metrics).toContain(
      'latent_workers_orphans_total{reason="unrecorded",outcome="stopped"} 1'
    );
    await fleet.shutdown();
  });

  it('leaves alone what the journal holds open and what a live worker owns', async () => {
    const journal = new MemoryJournal();
    // The recovery of w stops its leftover; the sweep must not race it.
    journal.leave(OWNER, ref('w', 1), 'stopping');
    const b = backend([listed('w', 1)]);
    b.provider.stopInstance = (ctx) => {
      b.stops.push(ctx);
      return new Promise(() => undefined); // a recovery stop that takes its time
    };
    const { fleet, workers, events } = await fleetOn(b.provider, journal);
    expect(workers[0]!.status.state).toBe('recovering');
    await vi.advanceTimersByTimeAsync(400_000);
    expect(events.filter((e) => e.type === 'orphanFound')).toEqual([]);
    expect(b.stops.map((s) => s.instanceName)).toEqual([ref('w', 1).instanceName]);
    void fleet.shutdown({ fast: true });
  });

  it('does not stop an instance of a start in flight, recorded or not', async () => {
    const b = backend([]);
    const journal = new MemoryJournal();
    const { fleet, events } = await fleetOn(b.provider, journal);
    fleet.submit({ run: async () => undefined });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.instances.map((i) => i.instanceName)).toEqual([ref('w', 1).instanceName]);
    journal.rows.clear(); // even with its record lost, its worker still owns it
    await fleet.sweep();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(events.filter((e) => e.type === 'orphanFound')).toEqual([]);
    expect(b.stops).toEqual([]);
    void fleet.shutdown({ fast: true });
  });

  it('names an instance that the journal closed yet still exists, and forgets one that went away', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref('w', 3), 'stopping');
    await journal.record({
      type: 'stopped',
      owner: OWNER,
      instanceName: ref('w', 3).instanceName,
      at: 1
    });
    const b = backend([listed('w', 3), listed('w', 9)]);
    const { fleet, events } = await fleetOn(b.provider, journal);
    expect(events.filter((e) => e.type === 'orphanFound').map((e) => e.reason)).toEqual([
      'closed',
      'unrecorded'
    ]);
    b.instances.splice(1, 1); // w-9 went away on its own during the grace period
    await vi.advanceTimersByTimeAsync(60_000);
    expect(swept(events)).toEqual([`${ref('w', 3).instanceName} closed`]);
    await fleet.shutdown();
  });

  it('stops, through the journal alone, the open instances of a worker the fleet no longer has', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref('retired', 2), 'started');
    const b = backend([], { list: false });
    const { fleet, events } = await fleetOn(b.provider, journal);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(b.stops).toEqual([expect.objectContaining(ref('retired', 2))]);
    expect(swept(events)).toEqual([`${ref('retired', 2).instanceName} workerGone`]);
    expect(await journal.openInstances()).toEqual([]);
    await fleet.shutdown();
  });

  it('does not run without a journal, nor after shutdown', async () => {
    const b = backend([listed('w', 7)]);
    const { fleet } = await fleetOn(b.provider, undefined);
    await vi.advanceTimersByTimeAsync(400_000);
    expect(b.lists).toEqual([]);
    await fleet.shutdown();

    const c = backend([listed('w', 7)]);
    const journaled = await fleetOn(c.provider, new MemoryJournal());
    await journaled.fleet.shutdown();
    await vi.advanceTimersByTimeAsync(400_000);
    expect(c.lists).toHaveLength(1);
    expect(c.stops).toEqual([]);
  });

  it('reports a listing that fails, and tries again at the next interval', async () => {
    const b = backend([listed('w', 7)]);
    const list = b.provider.listInstances!;
    let fail = true;
    b.provider.listInstances = (query) =>
      fail ? Promise.reject(new Error('API down')) : list(query);
    const { fleet, events } = await fleetOn(b.provider, new MemoryJournal());
    expect(events).toContainEqual({
      type: 'sweepFailed',
      owner: OWNER,
      error: new Error('API down')
    });
    fail = false;
    await vi.advanceTimersByTimeAsync(300_000);
    expect(events.filter((e) => e.type === 'orphanFound')).toHaveLength(1);
    await fleet.shutdown();
  });

  it('cuts off a listing that hangs after an interval, and lists again at the next', async () => {
    const b = backend([listed('w', 7)]);
    const list = b.provider.listInstances!;
    let hang = true;
    b.provider.listInstances = (query) =>
      hang
        ? new Promise((_, reject) =>
            query.signal.addEventListener('abort', () => reject(query.signal.reason as Error))
          )
        : list(query);
    const { fleet, events } = await fleetOn(b.provider, new MemoryJournal());
    await vi.advanceTimersByTimeAsync(299_999);
    expect(events.filter((e) => e.type === 'sweepFailed')).toEqual([]);
    hang = false;
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toContainEqual({
      type: 'sweepFailed',
      owner: OWNER,
      error: new Error('the listing took a whole sweep interval')
    });
    await vi.advanceTimersByTimeAsync(300_000);
    expect(events.filter((e) => e.type === 'orphanFound')).toHaveLength(1);
    await fleet.shutdown();
  });
});
