import type { LatentWorker } from '../createLatentWorker.js';
import { MAX_DELAY } from '../options.js';
import type { SweepOptions } from './orphanSweep.js';
import type { WorkerEntry, WorkerPool } from './pool.js';
import type { BuildRequest, FleetOptions } from './types.js';

export interface ResolvedFleetOptions<P> {
  workers: LatentWorker<P>[];
  maxConcurrentStarts: number;
  maxAttempts: number;
  /** Undefined: no sweep. */
  sweep: Required<SweepOptions> | undefined;
}

/** Checks what the user gave `createFleet`; anything wrong is a `TypeError` naming it. */
export function resolveFleetOptions<P>(options: FleetOptions<P>): ResolvedFleetOptions<P> {
  const fail = (message: string): never => {
    throw new TypeError(`createFleet: ${message}`);
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const { workers } = options;
  if (!Array.isArray(workers)) fail('workers must be an array of LatentWorker');
  if (workers.length === 0) fail('workers is empty: a fleet needs at least one worker');
  const seen = new Set<string>();
  for (const worker of workers) {
    if (typeof worker?.substantiate !== 'function' || typeof worker.name !== 'string') {
      fail('every worker must be a LatentWorker (see createLatentWorker)');
    }
    if (seen.has(worker.name)) fail(`duplicate worker name ${JSON.stringify(worker.name)}`);
    seen.add(worker.name);
  }
  return {
    workers: [...workers],
    maxConcurrentStarts: limit('maxConcurrentStarts', options.maxConcurrentStarts, fail),
    maxAttempts: limit('maxAttempts', options.maxAttempts, fail),
    sweep: sweepOptions(options.sweep, fail)
  };
}

function sweepOptions(
  sweep: SweepOptions | false | undefined,
  fail: (message: string) => never
): Required<SweepOptions> | undefined {
  if (sweep === false) return undefined;
  if (sweep !== undefined && (typeof sweep !== 'object' || sweep === null)) {
    fail('sweep must be an object or false');
  }
  const delay = (key: 'interval' | 'grace', fallback: number, least: number) => {
    const value = sweep?.[key] ?? fallback;
    if (typeof value !== 'number' || !(value >= least && value <= MAX_DELAY)) {
      fail(
        `sweep.${key} must be a number of ms >= ${least} and <= ${MAX_DELAY}, got ${String(value)}`
      );
    }
    return value;
  };
  return { interval: delay('interval', 300_000, 1), grace: delay('grace', 60_000, 0) };
}

/** Checks one request; returns its allowed workers (undefined: all) and attempt limit. */
export function resolveRequest<P>(
  request: BuildRequest<P>,
  pool: WorkerPool<P>,
  defaultMaxAttempts: number
): { allowed: WorkerEntry<P>[] | undefined; maxAttempts: number } {
  const fail = (message: string): never => {
    throw new TypeError(`Fleet.submit: ${message}`);
  };
  if (typeof request !== 'object' || request === null) fail('request must be an object');
  if (typeof request.run !== 'function') fail('request.run must be a function');
  const maxAttempts =
    request.maxAttempts === undefined
      ? defaultMaxAttempts
      : limit('maxAttempts', request.maxAttempts, fail);
  const names = request.workerNames;
  if (names === undefined) return { allowed: undefined, maxAttempts };
  if (!Array.isArray(names) || names.length === 0) {
    fail('workerNames must be a non-empty array of worker names (omit it for all workers)');
  }
  const unknown = names.filter((name) => !pool.named(name));
  if (unknown.length > 0) {
    fail(
      `unknown worker name${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')} in workerNames`
    );
  }
  const allowed = [...new Set(names)].map((name) => pool.named(name) as WorkerEntry<P>);
  return { allowed, maxAttempts };
}

function limit(name: string, value: number | undefined, fail: (message: string) => never): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (!Number.isInteger(value) || value < 1) {
    fail(`${name} must be a positive integer or Infinity, got ${String(value)}`);
  }
  return value;
}
