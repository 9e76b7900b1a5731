import type { Provider } from '../providers/provider.js';
import type { LatentWorker } from './createLatentWorker.js';
import type { Journal } from './journal/journal.js';

/** What the Fleet's orphan sweep needs of a worker, and the public facade does not show. */
export interface WorkerInternals {
  owner: string;
  provider: Provider<never>;
  journal: Journal | undefined;
  /** The worker's `stopTimeout`, which the sweep's stops of its instances keep too. */
  stopTimeout: number;
}

const internals = new WeakMap<object, WorkerInternals>();

export function registerWorker<P>(
  worker: LatentWorker<P>,
  details: {
    owner: string;
    provider: Provider<P>;
    journal: Journal | undefined;
    stopTimeout: number;
  }
): void {
  internals.set(worker, details);
}

/** Undefined for a worker that `createLatentWorker` did not make (a wrapper, a test double). */
export function internalsOf(worker: object): WorkerInternals | undefined {
  return internals.get(worker);
}
