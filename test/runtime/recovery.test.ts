import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLatentWorker,
  DEFAULT_OWNER,
  type Connection,
  type LatentWorkerOptions,
  type Provider,
  type StartContext,
  type StopContext,
  type WorkerEvent
} from '../../src/index.js';
import { ref as instanceRef } from '../support/instances.js';
import { MemoryJournal } from '../support/memoryJournal.js';
import { track } from '../support/harness.js';

// Recovery after a crash (instances.md, "Journal and recovery"): a worker created with a
// journal stops what an earlier process left open, oldest first, before any new start.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const OWNER = DEFAULT_OWNER;
/** The instances of worker `w`. */
const ref = (generation: number, instanceId?: string) =>
  instanceRef('w', generation, instanceId === undefined ? {} : { instanceId });

interface Deferred {
  resolve(): void;
  reject(error: Error): void;
}

/** Starts and stops complete by hand; each call checks that its journal record came first. */
function recordingProvider(journal: MemoryJournal) {
  const calls: string[] = [];
  const starts: StartContext[] = [];
  const stops: StopContext[] = [];
  const pending: Deferred[] = [];
  const recordedBefore: boolean[] = [];
  const provider: Provider = {
    startInstance(ctx) {
      starts.push(ctx);
      calls.push(`start ${ctx.instanceName}`);
      recordedBefore.push(journal.rows.get(`${OWNER}/${ctx.instanceName}`)?.state === 'starting');
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    stopInstance(ctx) {
      stops.push(ctx);
      calls.push(`stop ${ctx.instanceName}${ctx.instanceId ? ` (${ctx.instanceId})` : ''}`);
      const row = journal.rows.get(`${OWNER}/${ctx.instanceName}`);
      recordedBefore.push(row === undefined || row.state === 'stopping');
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    }
  };
  const complete = async () => {
    pending.shift()?.resolve();
    await flush();
  };
  return { provider, calls, starts, stops, pending, recordedBefore, complete };
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function journaled(journal: MemoryJournal, options: Partial<LatentWorkerOptions> = {}) {
  const p = recordingProvider(journal);
  const worker = createLatentWorker({ name: 'w', provider: p.provider, journal, ...options });
  const events: WorkerEvent[] = [];
  worker.events$.subscribe((event) => events.push(event));
  return { ...p, worker, events };
}

const connection = (): Connection => ({ disconnect: () => undefined });

describe('recovery', () => {
  it('stops every open instance, oldest first, with its recorded identity, before the next start', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(2, 'pid-2'), 'stopping');
    journal.leave(OWNER, ref(3), 'starting');
    journal.leave(OWNER, ref(5), 'starting');
    await journal.record({
      type: 'stopped',
      owner: OWNER,
      instanceName: ref(5).instanceName,
      at: 9
    });
    const h = journaled(journal);
    await flush();
    expect(h.worker.status.state).toBe('recovering');
    expect(h.worker.instance).toEqual(ref(2, 'pid-2'));
    const up = track(h.worker.substantiate());
    await flush();
    expect(h.calls).toEqual([`stop ${ref(2).instanceName} (pid-2)`]);
    expect(h.stops[0]).toMatchObject({ ...ref(2, 'pid-2'), fast: false });
    await h.complete();
    expect(h.calls.at(-1)).toBe(`stop ${ref(3).instanceName}`);
    await h.complete();
    // Generations continue after the highest recorded one (5, closed), not after the open ones.
    expect(h.calls.at(-1)).toBe(`start ${ref(6).instanceName}`);
    expect(h.starts[0]).toMatchObject(ref(6));
    expect(up.status).toBe('pending');
    expect(h.events.filter((e) => e.type === 'recovered')).toEqual([
      {
        type: 'recovered',
        worker: 'w',
        instance: { name: ref(2).instanceName, generation: 2, id: 'pid-2' },
        outcome: 'stopped'
      },
      {
        type: 'recovered',
        worker: 'w',
        instance: { name: ref(3).instanceName, generation: 3 },
        outcome: 'stopped'
      }
    ]);
    expect(await journal.openInstances()).toEqual([
      expect.objectContaining({ generation: 6, state: 'starting' })
    ]);
    expect(h.recordedBefore.every(Boolean)).toBe(true);
  });

  it('records each call durably before the provider sees it, and closes it after the stop returned', async () => {
    const journal = new MemoryJournal();
    const h = journaled(journal, { buildWaitTimeout: 0 });
    await flush();
    expect(h.worker.status.state).toBe('idle');
    const up = track(h.worker.substantiate());
    await flush();
    h.pending.shift()?.resolve();
    await flush();
    h.worker.attached(connection());
    await flush();
    expect(up.value).toBe(true);
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await vi.advanceTimersByTimeAsync(0);
    await h.complete();
    expect(h.recordedBefore).toEqual([true, true]);
    expect(journal.history.map((r) => r.type)).toEqual([
      'starting',
      'started',
      'stopping',
      'stopped'
    ]);
    expect(await journal.openInstances()).toEqual([]);
  });

  it('keeps a substantiate() waiting behind a hung recovery stop within its own deadline', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'started');
    const h = journaled(journal, { missingTimeout: 1_000, adoptTimeout: 0 });
    const up = track(h.worker.substantiate());
    await vi.advanceTimersByTimeAsync(1_000);
    await flush();
    expect(up.error).toMatchObject({ reason: 'stopping', timedOut: true });
    expect(h.worker.status).toMatchObject({ state: 'recovering', availability: 'available' });
    expect(h.calls).toEqual([`stop ${ref(1).instanceName}`]);
  });

  it('gives a hung recovery stop its stopTimeout: shutdown() resolves, the record stays open', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'stopping');
    const h = journaled(journal, { stopTimeout: 500 });
    await flush();
    const down = track(h.worker.shutdown());
    await vi.advanceTimersByTimeAsync(500);
    await flush();
    expect(down.status).toBe('fulfilled');
    expect(h.stops[0]!.signal.aborted).toBe(true);
    expect(h.events.filter((e) => e.type === 'stopTimedOut')).toEqual([
      {
        type: 'stopTimedOut',
        worker: 'w',
        call: 'stop',
        instance: { name: ref(1).instanceName, generation: 1 }
      }
    ]);
    expect(await journal.openInstances()).toHaveLength(1);
    await h.complete(); // returns late: recovery finishes, the record closes, the worker retires
    expect(h.worker.status.state).toBe('shutDown');
    expect(await journal.openInstances()).toEqual([]);
  });

  it('stops every leftover before a shutdown() ends, and starts nothing', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'stopping');
    journal.leave(OWNER, ref(2), 'started');
    const h = journaled(journal);
    await flush();
    const down = track(h.worker.shutdown());
    await h.complete();
    await h.complete();
    await flush();
    expect(down.status).toBe('fulfilled');
    expect(h.calls).toEqual([`stop ${ref(1).instanceName}`, `stop ${ref(2).instanceName}`]);
    expect(h.worker.status.state).toBe('shutDown');
  });

  it('leaves a stop that threw open in the journal, for the next recovery', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'stopping');
    const h = journaled(journal);
    await flush();
    h.pending.shift()?.reject(new Error('the API said no'));
    await flush();
    expect(h.events.find((e) => e.type === 'recovered')).toMatchObject({ outcome: 'stopFailed' });
    expect(h.worker.status.state).toBe('idle');
    expect(await journal.openInstances()).toEqual([expect.objectContaining({ generation: 1 })]);
    const next = track(h.worker.substantiate());
    await flush();
    expect(h.calls.at(-1)).toBe(`start ${ref(2).instanceName}`);
    expect(next.status).toBe('pending');
  });
});

describe('adoption', () => {
  it('keeps the running instance whose agent comes back with its password: no stop, no start', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(4, 'pid-4'), 'started', { image: 'a' });
    const h = journaled(journal, { buildWaitTimeout: 60_000 });
    await flush();
    expect(h.worker.status.state).toBe('recovering');
    const wanted = track(h.worker.substantiate());
    await flush();
    // The agent comes back with what it was given before the crash.
    expect(h.worker.checkPassword(journal.password(ref(4).instanceName))).toBe(true);
    expect(h.worker.checkPassword(journal.password(ref(3).instanceName))).toBe(false);
    h.worker.attached(connection());
    await flush();
    expect(wanted.value).toBe(true);
    expect(h.calls).toEqual([]);
    expect(h.worker.status).toMatchObject({
      state: 'substantiated',
      connected: true,
      instance: { name: ref(4).instanceName, generation: 4, id: 'pid-4' }
    });
    expect(h.events.find((e) => e.type === 'recovered')).toMatchObject({ outcome: 'adopted' });
    // Still wanted only as long as the idle timer says: then it is stopped as usual.
    await vi.advanceTimersByTimeAsync(60_000);
    await flush();
    expect(h.calls).toEqual([`stop ${ref(4).instanceName} (pid-4)`]);
    await h.complete();
    expect(await journal.openInstances()).toEqual([]);
    // The next instance is a new generation with a new password; the old one no longer works.
    const again = track(h.worker.substantiate());
    await flush();
    expect(h.starts[0]).toMatchObject(ref(5));
    expect(h.starts[0]!.password).toBe(journal.password(ref(5).instanceName));
    expect(h.worker.checkPassword(journal.password(ref(4).instanceName))).toBe(false);
    expect(again.status).toBe('pending');
  });

  it('stops the running instance when its agent does not come back within adoptTimeout', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'started');
    const h = journaled(journal, { adoptTimeout: 5_000 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(h.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(h.calls).toEqual([`stop ${ref(1).instanceName}`]);
    await h.complete();
    expect(h.worker.checkPassword(journal.password(ref(1).instanceName))).toBe(false);
    expect(h.worker.status.state).toBe('idle');
  });

  it('never adopts an older instance or one whose start had not returned', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'started');
    journal.leave(OWNER, ref(2), 'starting');
    const h = journaled(journal);
    await flush();
    expect(h.worker.checkPassword(journal.password(ref(1).instanceName))).toBe(false);
    expect(h.calls).toEqual([`stop ${ref(1).instanceName}`]);
  });
});

describe('a journal that fails', () => {
  it('pauses a worker whose journal cannot be read, rather than start blind', async () => {
    const journal = new MemoryJournal();
    journal.failing.add('read');
    const h = journaled(journal);
    await flush();
    expect(h.worker.status).toMatchObject({
      state: 'idle',
      availability: 'paused',
      pauseReason: 'the journal could not be read'
    });
    expect(h.events.find((e) => e.type === 'journalFailed')).toMatchObject({ operation: 'read' });
    await expect(h.worker.substantiate()).rejects.toMatchObject({ reason: 'paused' });
  });

  it('does not issue a start whose record cannot be written', async () => {
    const journal = new MemoryJournal();
    journal.failing.add('starting');
    const h = journaled(journal);
    await flush();
    const up = track(h.worker.substantiate());
    await flush();
    expect(up.error).toMatchObject({ reason: 'threw' });
    expect(h.starts).toEqual([]);
    expect(h.events.find((e) => e.type === 'journalFailed')).toMatchObject({
      operation: 'starting'
    });
  });

  it('issues a stop whose record cannot be written, and leaves the instance open', async () => {
    const journal = new MemoryJournal();
    const h = journaled(journal, { buildWaitTimeout: 0 });
    await flush();
    void h.worker.substantiate().catch(() => undefined); // cancelled below
    await flush();
    h.pending.shift()?.resolve();
    await flush();
    journal.failing.add('stopping');
    journal.failing.add('stopped');
    void h.worker.insubstantiate();
    await flush();
    expect(h.calls.at(-1)).toBe(`stop ${ref(1).instanceName}`);
    await h.complete();
    expect(await journal.openInstances()).toEqual([expect.objectContaining({ state: 'started' })]);
  });
});

describe('passwords', () => {
  it('are derived from the journal and never reach a snapshot or an event', async () => {
    const journal = new MemoryJournal();
    const h = journaled(journal);
    await flush();
    void h.worker.substantiate();
    await flush();
    const password = h.starts[0]!.password;
    expect(password).toBe(journal.password(ref(1).instanceName));
    expect(JSON.stringify(h.worker.persist())).not.toContain(password);
    expect(JSON.stringify(h.events)).not.toContain(password);
    expect(JSON.stringify(journal.history)).not.toContain(password);
  });
});

describe('insubstantiate() during recovery', () => {
  it('stops the running leftover instead of adopting it, and resolves once it is stopped', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'stopping');
    journal.leave(OWNER, ref(2), 'started');
    const h = journaled(journal);
    await flush();
    const down = track(h.worker.insubstantiate({ fast: true }));
    await h.complete();
    expect(h.calls).toEqual([`stop ${ref(1).instanceName}`, `stop ${ref(2).instanceName}`]);
    expect(h.stops.map((stop) => stop.fast)).toEqual([false, false]);
    expect(down.status).toBe('pending');
    await h.complete();
    expect(down.status).toBe('fulfilled');
    expect(h.worker.status).toMatchObject({ state: 'idle', connected: false });
  });

  it('does not make the next instance’s stop fast', async () => {
    const journal = new MemoryJournal();
    journal.leave(OWNER, ref(1), 'stopping');
    const h = journaled(journal, { buildWaitTimeout: 0 });
    await flush();
    void h.worker.insubstantiate({ fast: true });
    await h.complete();
    void h.worker.substantiate().catch(() => undefined); // cancelled below
    await flush();
    await h.complete(); // the start of generation 2
    void h.worker.insubstantiate();
    await flush();
    expect(h.stops.map((stop) => [stop.generation, stop.fast])).toEqual([
      [1, false],
      [2, false]
    ]);
  });
});
