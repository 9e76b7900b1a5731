import { activeStates } from '../../machines/chartGraph.js';
import type { LatentWorker } from '../createLatentWorker.js';
import type { WorkerEvent } from '../events.js';
import type { FleetEvent } from '../fleet/events.js';
import type { Fleet, QueuedRequest } from '../fleet/types.js';
import type { WorkerStatus } from '../status.js';
import { describeEvent } from './describeEvent.js';

/** One worker as the page shows it. */
export interface WorkerView extends WorkerStatus {
  /** The chart's states it is in, ancestors included (`instance`, `instance.substantiated`, …). */
  active: string[];
  /** When its quarantine ends (ms since the epoch), when this view saw it begin. */
  quarantineEndsAt?: number;
}

/** One line of the page's event log. */
export interface EventView {
  /** ms since the epoch. */
  at: number;
  worker?: string;
  type: string;
  text: string;
}

export interface QueueView {
  length: number;
  /** The first `QUEUE_SHOWN` waiting requests. */
  first: QueuedRequest[];
}

/** Everything the page shows, at one moment. */
export interface FleetViewState {
  workers: WorkerView[];
  queue: QueueView;
  events: EventView[];
}

/** What changed since the last update: the workers that did, the queue, the new events. */
export type FleetViewUpdate = FleetViewState;

const QUEUE_SHOWN = 20;
const EVENTS_KEPT = 100;
/** Changes are sent at most this often (ms), so that a busy fleet costs the page little. */
export const UPDATE_INTERVAL = 100;

/**
 * A fleet as a live page sees it: the state of every worker, the queue and the recent events,
 * and updates batched every `UPDATE_INTERVAL` ms while something changes (none while idle).
 */
export class FleetView {
  readonly #fleet: Fleet<unknown>;
  readonly #events: EventView[] = [];
  readonly #quarantineEnds = new Map<string, number>();
  readonly #subscriptions: { unsubscribe(): void }[];
  readonly #listeners = new Set<(update: FleetViewUpdate) => void>();
  #changedWorkers = new Set<LatentWorker<unknown>>();
  #newEvents: EventView[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(fleet: Fleet<unknown>) {
    this.#fleet = fleet;
    // Snapshots tell every move, inner states included; events tell the log what happened.
    this.#subscriptions = [
      ...fleet.workers.flatMap((worker) => [
        worker.actor.subscribe(() => this.#changed(worker)),
        worker.events$.subscribe((event) => this.#onWorkerEvent(worker, event))
      ]),
      fleet.events$.subscribe((event) => this.#onFleetEvent(event))
    ];
  }

  state(): FleetViewState {
    return {
      workers: this.#fleet.workers.map((worker) => this.#workerView(worker)),
      queue: this.#queueView(),
      events: [...this.#events]
    };
  }

  /** Calls `listener` with each batch of changes; returns the unsubscribe. */
  subscribe(listener: (update: FleetViewUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    clearTimeout(this.#timer);
    this.#listeners.clear();
  }

  #onWorkerEvent(worker: LatentWorker<unknown>, event: WorkerEvent): void {
    if (event.type === 'quarantined') {
      this.#quarantineEnds.set(worker.name, Date.now() + event.duration);
    } else if (event.type === 'availability' && event.from === 'quarantined') {
      this.#quarantineEnds.delete(worker.name);
    }
    this.#record(event.type, describeEvent(event), worker.name);
  }

  #onFleetEvent(event: FleetEvent): void {
    this.#record(event.type, describeEvent(event), 'worker' in event ? event.worker : undefined);
  }

  #record(type: string, text: string, worker: string | undefined): void {
    const line: EventView = { at: Date.now(), type, text };
    if (worker !== undefined) line.worker = worker;
    this.#events.push(line);
    if (this.#events.length > EVENTS_KEPT) this.#events.shift();
    this.#newEvents.push(line);
    this.#schedule();
  }

  #changed(worker: LatentWorker<unknown>): void {
    this.#changedWorkers.add(worker);
    this.#schedule();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => this.#flush(), UPDATE_INTERVAL).unref();
  }

  #flush(): void {
    this.#timer = undefined;
    const update: FleetViewUpdate = {
      workers: [...this.#changedWorkers].map((worker) => this.#workerView(worker)),
      queue: this.#queueView(),
      events: this.#newEvents.slice(-EVENTS_KEPT)
    };
    this.#changedWorkers = new Set();
    this.#newEvents = [];
    for (const listener of this.#listeners) listener(update);
  }

  #workerView(worker: LatentWorker<unknown>): WorkerView {
    const view: WorkerView = {
      ...worker.status,
      active: activeStates(worker.actor.getSnapshot().value)
    };
    const endsAt = this.#quarantineEnds.get(worker.name);
    if (endsAt !== undefined && view.availability === 'quarantined') view.quarantineEndsAt = endsAt;
    return view;
  }

  #queueView(): QueueView {
    return { length: this.#fleet.queueLength, first: this.#fleet.queued(QUEUE_SHOWN) };
  }
}
