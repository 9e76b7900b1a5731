import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LatentWorkerCannotSubstantiate, LatentWorkerFailedToSubstantiate } from '../../errors.js';
import type { BuildResult } from '../../machines/latentWorker/types.js';
import type { LatentWorker } from '../createLatentWorker.js';
import type { WorkerEvent } from '../events.js';
import type { SweepEvent } from './events.js';

const SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200];

/**
 * Series labelled by worker are kept for fleets up to this size: beyond it they would cost a
 * Prometheus server more than the fleet-wide counts tell it.
 */
export const PER_WORKER_SERIES = 500;

/** When a worker began substantiating, and whether that substantiation failed. */
interface Substantiation {
  began: number;
  failed: boolean;
}

/**
 * A fleet's Prometheus metrics, in a registry of its own (mount it, or merge it with others):
 * instances by state, quarantined and paused workers, provider starts and stops by outcome,
 * substantiation failures by reason, substantiation time, queue length and wait, builds by
 * result, and (up to `PER_WORKER_SERIES` workers) each worker's state and failures.
 */
export class FleetMetrics {
  readonly registry = new Registry();
  readonly #substantiations = new Map<string, Substantiation>();
  readonly #starts: Counter<'outcome'>;
  readonly #stops: Counter<'outcome'>;
  readonly #failures: Counter<'reason'>;
  readonly #stopTimeouts: Counter<'call'>;
  readonly #substantiationSeconds: Histogram<'outcome'>;
  readonly #queueWaitSeconds: Histogram;
  readonly #builds: Counter<'result'>;
  readonly #orphans: Counter<'reason' | 'outcome'>;

  constructor(workers: readonly LatentWorker<unknown>[], queueLength: () => number) {
    const registers = [this.registry];
    new Gauge({
      name: 'latent_workers_instances',
      help: 'Workers by instance state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const state of [
          'idle',
          'recovering',
          'substantiating',
          'substantiated',
          'insubstantiating'
        ])
          this.set({ state }, 0);
        for (const worker of workers) this.inc({ state: worker.status.state });
      }
    });
    for (const availability of ['quarantined', 'paused'] as const) {
      new Gauge({
        name: `latent_workers_${availability}`,
        help: `Workers that are ${availability}: no build can start on them`,
        registers,
        collect() {
          this.set(workers.filter((worker) => worker.status.availability === availability).length);
        }
      });
    }
    if (workers.length <= PER_WORKER_SERIES) {
      new Gauge({
        name: 'latent_workers_worker_state',
        help: `Each worker's instance state and availability (1 for the current pair; fleets of up to ${PER_WORKER_SERIES} workers)`,
        labelNames: ['worker', 'state', 'availability'],
        registers,
        collect() {
          this.reset();
          for (const { status } of workers) {
            this.set(
              { worker: status.name, state: status.state, availability: status.availability },
              1
            );
          }
        }
      });
      new Gauge({
        name: 'latent_workers_worker_consecutive_failures',
        help: `Each worker's failed substantiations in a row (fleets of up to ${PER_WORKER_SERIES} workers)`,
        labelNames: ['worker'],
        registers,
        collect() {
          for (const { status } of workers) {
            this.set({ worker: status.name }, status.consecutiveFailures);
          }
        }
      });
    }
    new Gauge({
      name: 'latent_workers_stops_overdue',
      help: 'Workers whose instance outlived stopTimeout while being taken down: it may still run',
      registers,
      collect() {
        this.set(workers.filter((worker) => worker.status.stopOverdue).length);
      }
    });
    new Gauge({
      name: 'latent_workers_queue_length',
      help: 'Build requests waiting for a worker',
      registers,
      collect() {
        this.set(queueLength());
      }
    });
    this.#starts = new Counter({
      name: 'latent_workers_starts_total',
      help: 'Provider startInstance calls by outcome (started, refused, error)',
      labelNames: ['outcome'],
      registers
    });
    this.#stops = new Counter({
      name: 'latent_workers_stops_total',
      help: 'Provider stopInstance calls by outcome (stopped, error)',
      labelNames: ['outcome'],
      registers
    });
    this.#failures = new Counter({
      name: 'latent_workers_substantiation_failures_total',
      help: 'Failed substantiations by reason (cannotSubstantiate, or LatentWorkerFailedToSubstantiate.reason)',
      labelNames: ['reason'],
      registers
    });
    this.#stopTimeouts = new Counter({
      name: 'latent_workers_stop_timeouts_total',
      help: 'Takedowns that outlived stopTimeout, by the provider call still running (start, check, stop)',
      labelNames: ['call'],
      registers
    });
    this.#substantiationSeconds = new Histogram({
      name: 'latent_workers_substantiation_duration_seconds',
      help: 'Time from the start of a substantiation to its end, by outcome',
      labelNames: ['outcome'],
      buckets: SECONDS,
      registers
    });
    this.#queueWaitSeconds = new Histogram({
      name: 'latent_workers_queue_wait_seconds',
      help: 'Time a build request waited in the queue before each dispatch',
      buckets: SECONDS,
      registers
    });
    this.#orphans = new Counter({
      name: 'latent_workers_orphans_total',
      help: 'Orphan instances by reason (unrecorded, closed, workerGone) and outcome (found, stopped, error)',
      labelNames: ['reason', 'outcome'],
      registers
    });
    this.#builds = new Counter({
      name: 'latent_workers_builds_total',
      help: 'Finished build requests by result',
      labelNames: ['result'],
      registers
    });
  }

  workerEvent(event: WorkerEvent): void {
    switch (event.type) {
      case 'provider':
        if (event.phase === 'begin' || event.call === 'check') return;
        if (event.call === 'stop') this.#stops.inc({ outcome: event.ok ? 'stopped' : 'error' });
        else this.#starts.inc({ outcome: startOutcome(event.ok, event.error) });
        return;
      case 'stopTimedOut':
        this.#stopTimeouts.inc({ call: event.call });
        return;
      case 'substantiationFailed': {
        this.#failures.inc({ reason: failureReason(event.error) });
        const current = this.#substantiations.get(event.worker);
        if (current) current.failed = true;
        return;
      }
      case 'state':
        if (event.from === 'substantiating') this.#endSubstantiation(event.worker, event.to);
        if (event.to === 'substantiating') {
          this.#substantiations.set(event.worker, { began: Date.now(), failed: false });
        }
        return;
    }
  }

  sweepEvent(event: SweepEvent): void {
    if (event.type === 'orphanFound') this.#orphans.inc({ reason: event.reason, outcome: 'found' });
    else if (event.type === 'orphanSwept') {
      this.#orphans.inc({ reason: event.reason, outcome: event.ok ? 'stopped' : 'error' });
    }
  }

  dispatched(queuedAt: number): void {
    this.#queueWaitSeconds.observe((Date.now() - queuedAt) / 1000);
  }

  finished(result: BuildResult): void {
    this.#builds.inc({ result });
  }

  #endSubstantiation(worker: string, to: string): void {
    const current = this.#substantiations.get(worker);
    if (!current) return;
    this.#substantiations.delete(worker);
    const outcome =
      to === 'substantiated' ? 'substantiated' : current.failed ? 'failed' : 'cancelled';
    this.#substantiationSeconds.observe({ outcome }, (Date.now() - current.began) / 1000);
  }
}

function startOutcome(ok: boolean, error: unknown): string {
  if (ok) return 'started';
  return error === undefined ? 'refused' : 'error';
}

function failureReason(error: Error): string {
  if (LatentWorkerCannotSubstantiate.is(error)) return 'cannotSubstantiate';
  if (LatentWorkerFailedToSubstantiate.is(error)) return error.reason;
  return 'other';
}
