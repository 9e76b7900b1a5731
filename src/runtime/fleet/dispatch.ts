import type { LatentWorker } from '../createLatentWorker.js';
import type { Job } from './job.js';
import {
  needsStart,
  PREFERENCE,
  type Category,
  type WorkerEntry,
  type WorkerPool
} from './pool.js';

export interface Choice<P> {
  entry: WorkerEntry<P>;
  via: Category;
}

/**
 * The best worker for `job` right now, by category preference. Only a live instance can be
 * incompatible (a fresh start is made for whoever asks), so only those are asked, and a
 * worker whose category changed while we waited for its answer is passed over.
 */
export async function chooseWorker<P>(
  job: Job<P>,
  pool: WorkerPool<P>
): Promise<Choice<P> | undefined> {
  for (const category of PREFERENCE) {
    const starts = needsStart(category);
    for (const entry of candidates(job, pool, category)) {
      if (starts) {
        if (pool.canStart()) return { entry, via: category };
        break; // at the cap: a join may still serve it
      }
      if ((await compatible(entry.worker, job)) && entry.category === category) {
        return { entry, via: category };
      }
    }
  }
  return undefined;
}

/**
 * An idle instance, allowed for `job`, that cannot serve it and that no later waiting request
 * could use either: stopping it and starting it again for `job` is the only way forward.
 */
export async function findRecyclable<P>(
  job: Job<P>,
  pool: WorkerPool<P>,
  waitingAfter: () => Iterable<Job<P>>
): Promise<WorkerEntry<P> | undefined> {
  for (const entry of candidates(job, pool, 'substantiated')) {
    if (!isIdle(entry) || !pool.canStart()) continue;
    if (await compatible(entry.worker, job)) continue;
    if (await usableByAnother(entry, waitingAfter())) continue;
    if (entry.category === 'substantiated' && isIdle(entry) && pool.canStart()) return entry;
  }
  return undefined;
}

function* candidates<P>(job: Job<P>, pool: WorkerPool<P>, category: Category) {
  if (!job.allowed) yield* pool.byCategory[category];
  else for (const entry of job.allowed) if (entry.category === category) yield entry;
}

function isIdle<P>(entry: WorkerEntry<P>): boolean {
  return entry.leases === 0 && entry.worker.status.building === 0;
}

async function usableByAnother<P>(entry: WorkerEntry<P>, jobs: Iterable<Job<P>>): Promise<boolean> {
  for (const other of jobs) {
    if (other.allowed && !other.allowed.includes(entry)) continue;
    if (await compatible(entry.worker, other)) return true;
  }
  return false;
}

/** A compatibility check that throws counts as "no": the provider cannot vouch for the instance. */
async function compatible<P>(worker: LatentWorker<P>, job: Job<P>): Promise<boolean> {
  try {
    return await worker.isCompatibleWithBuild(job.request.props as P);
  } catch {
    return false;
  }
}
