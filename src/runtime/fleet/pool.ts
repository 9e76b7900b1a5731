import type { Observer, Subscription } from 'rxjs';
import type { LatentWorker } from '../createLatentWorker.js';
import type { WorkerEvent } from '../events.js';
import { instanceStateOf } from '../../machines/latentWorker/snapshot.js';
import type { Attempt } from './job.js';

/**
 * How a worker could take one more build, best first: a `substantiated` instance with room;
 * an `idle` worker to start; a `substantiating` one to join; a `restarting` one (stopping,
 * disconnected, or cancelling its start) whose next start would serve the build.
 */
export type Category = 'substantiated' | 'idle' | 'substantiating' | 'restarting';
export const PREFERENCE: readonly Category[] = [
  'substantiated',
  'idle',
  'substantiating',
  'restarting'
];

/** Categories whose dispatch makes the provider start an instance. */
export const needsStart = (category: Category): boolean =>
  category === 'idle' || category === 'restarting';

/** Hears every event of an entry's worker. */
export type EntryListener<P> = (entry: WorkerEntry<P>, event: WorkerEvent) => void;

/**
 * The fleet's bookkeeping for one worker, and the listener of its events: the entry itself
 * listens, which spares a closure per worker.
 */
export class WorkerEntry<P> implements Partial<Observer<WorkerEvent>> {
  readonly worker: LatentWorker<P>;
  readonly maxBuilds: number;
  /** Attempts dispatched here and not yet ended (substantiating or running): the room used. */
  leases = 0;
  /** Attempts still waiting for their substantiation. */
  substantiating = 0;
  /**
   * The builds running here, watched for a lost connection; undefined while none runs, as on
   * most workers of a large fleet (an empty `Set` is ≈170 B).
   */
  running: Set<Attempt<P>> | undefined;
  category: Category | undefined;
  /** A start is expected for a request dispatched here, and counted against the cap. */
  reserved = false;
  startRunning = false;
  /** The fleet's subscription to a worker not made by this library (see `watch`). */
  subscription: Subscription | undefined;
  readonly #listener: EntryListener<P>;

  constructor(worker: LatentWorker<P>, listener: EntryListener<P>) {
    this.worker = worker;
    this.maxBuilds = worker.actor.getSnapshot().context.settings.maxBuilds;
    this.#listener = listener;
  }

  next(event: WorkerEvent): void {
    this.#listener(this, event);
  }

  buildStarted(attempt: Attempt<P>): void {
    (this.running ??= new Set()).add(attempt);
  }

  buildEnded(attempt: Attempt<P>): void {
    if (this.running?.delete(attempt) && this.running.size === 0) this.running = undefined;
  }
}

/**
 * The workers sorted into their dispatch category, kept current from their events, and the
 * fleet-wide count of starts: reserved at dispatch (before the provider is called) and
 * released when the provider's start returns, so a burst can never exceed the cap.
 */
export class WorkerPool<P> {
  readonly entries: readonly WorkerEntry<P>[];
  readonly byCategory: Record<Category, Set<WorkerEntry<P>>> = {
    substantiated: new Set(),
    idle: new Set(),
    substantiating: new Set(),
    restarting: new Set()
  };
  readonly maxConcurrentStarts: number;
  /** Reserved plus running starts. */
  starts = 0;
  /** Built by the first request that names its workers (≈120 B a worker otherwise unspent). */
  #byName: Map<string, WorkerEntry<P>> | undefined;

  constructor(
    workers: readonly LatentWorker<P>[],
    maxConcurrentStarts: number,
    listener: EntryListener<P>
  ) {
    this.entries = workers.map((worker) => new WorkerEntry(worker, listener));
    this.maxConcurrentStarts = maxConcurrentStarts;
    for (const entry of this.entries) this.classify(entry);
  }

  named(name: string): WorkerEntry<P> | undefined {
    this.#byName ??= new Map(this.entries.map((entry) => [entry.worker.name, entry]));
    return this.#byName.get(name);
  }

  canStart(): boolean {
    return this.starts < this.maxConcurrentStarts;
  }

  /** Whether any request at all could be dispatched now (a cheap early exit for a pass). */
  hasRoom(): boolean {
    const { substantiated, idle, substantiating, restarting } = this.byCategory;
    if (substantiated.size > 0 || substantiating.size > 0) return true;
    return (idle.size > 0 || restarting.size > 0) && this.canStart();
  }

  /** Whether `entry` can still be dispatched to as `category` (and start, if it must). */
  stillFits(entry: WorkerEntry<P>, category: Category): boolean {
    return entry.category === category && (!needsStart(category) || this.canStart());
  }

  classify(entry: WorkerEntry<P>): void {
    const category = categorize(entry);
    if (category === entry.category) return;
    if (entry.category) this.byCategory[entry.category].delete(entry);
    if (category) this.byCategory[category].add(entry);
    entry.category = category;
  }

  reserveStart(entry: WorkerEntry<P>): void {
    if (entry.reserved) return;
    entry.reserved = true;
    this.starts++;
  }

  startBegan(entry: WorkerEntry<P>): void {
    entry.startRunning = true;
    // The reservation becomes the running start; a start nobody reserved still counts.
    if (entry.reserved) entry.reserved = false;
    else this.starts++;
  }

  startEnded(entry: WorkerEntry<P>): void {
    if (!entry.startRunning) return;
    entry.startRunning = false;
    this.starts--;
  }

  /** A substantiation settled: with nobody left waiting here, no reserved start will come. */
  substantiationSettled(entry: WorkerEntry<P>): void {
    if (entry.substantiating > 0 || !entry.reserved) return;
    entry.reserved = false;
    this.starts--;
  }
}

function categorize<P>(entry: WorkerEntry<P>): Category | undefined {
  const { worker } = entry;
  if (entry.leases >= entry.maxBuilds || !worker.canStartBuild()) return undefined;
  const snapshot = worker.actor.getSnapshot();
  // Stuck behind a call past its deadline: a request would only wait there for its own.
  if (snapshot.hasTag('stopOverdue')) return undefined;
  switch (instanceStateOf(snapshot)) {
    case 'idle':
      return 'idle';
    case 'substantiated':
      return worker.connection ? 'substantiated' : 'restarting';
    case 'substantiating':
      // A cancelled start queues newcomers for a fresh start: that is a restart, and it must
      // reserve a start. A newcomer would join the queued request of an earlier dispatch and
      // get an instance made for that request's properties, which the worker's compatibility
      // check cannot see (it answers true for any queued request): such a worker is skipped.
      if (!snapshot.hasTag('cancelling')) return 'substantiating';
      return entry.substantiating > 0 ? undefined : 'restarting';
    case 'insubstantiating':
    case 'recovering':
      return entry.substantiating > 0 ? undefined : 'restarting';
    default:
      return undefined;
  }
}
