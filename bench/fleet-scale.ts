/**
 * The Fleet at scale (issue 13): what one orchestrator pays for 10,000 and 100,000 workers,
 * and whether a dispatch costs the same however many workers and requests there are.
 *
 * Every worker has an instant provider whose agent connects during the start, maxBuilds 1,
 * and every build returns at once. Each scenario runs in its own child `node` process, so one
 * scale's garbage cannot slow down the next:
 *
 * - `workers N` (N = 10,000 and 100,000): create (the N `createLatentWorker` calls, then
 *   `createFleet`), a first dispatch to every worker (each one starts its instance), the
 *   dispatch of `BENCH_SCALE_REQUESTS` requests to substantiated workers, and
 *   `fleet.shutdown()`. Before that, in the same process, the same dispatch over 1,000
 *   workers, to which the per-request cost is compared.
 * - `requests`: 1,000 workers, 10,000 requests against `BENCH_SCALE_MANY` (1,000,000); the
 *   10,000-request runs come before and after the large one, in the same process.
 *
 * Requests are submitted in waves of at most `BENCH_SCALE_WAVE` (100,000) and a wave is
 * awaited before the next, so the queue never holds more than that. For each phase: wall and
 * CPU time (`process.cpuUsage`), the share of the wall time spent in GC (`gc` performance
 * entries), and the peak `heapUsed` (sampled at the phase's end and every 10 ms while it runs);
 * the heap each worker and each queued request retains after `gc()`; `maxRSS` at the end.
 *
 * Run: `npx tsc -p tsconfig.build.json && node --expose-gc dist/bench/fleet-scale.js`.
 * `BENCH_SCALE_RUNS` (1) rounds run one after the other and are summed up as medians and
 * ranges; `BENCH_SCALE_WORKERS` ("10000,100000") picks the scales.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  createFleet,
  createLatentWorker,
  type BuildRequest,
  type Connection,
  type Fleet,
  type LatentWorker,
  type Provider
} from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const REFERENCE_WORKERS = 1000;
const REQUESTS = env('BENCH_SCALE_REQUESTS', 100_000);
const FEW = env('BENCH_SCALE_FEW', 10_000);
const MANY = env('BENCH_SCALE_MANY', 1_000_000);
const WAVE = env('BENCH_SCALE_WAVE', 100_000);
const RUNS = env('BENCH_SCALE_RUNS', 1);
const SCALES = (process.env.BENCH_SCALE_WORKERS ?? '10000,100000').split(',').map(Number);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** What one phase cost. */
interface Phase {
  wallMs: number;
  cpuMs: number;
  /** GC pauses over wall time. */
  gcShare: number;
  peakHeapMB: number;
}

/** The heap in use, sampled while a phase runs (a timer that never keeps the process up). */
const heap = {
  peak: 0,
  sample(): number {
    const used = process.memoryUsage().heapUsed;
    if (used > this.peak) this.peak = used;
    return used;
  }
};
setInterval(() => heap.sample(), 10).unref();

const gcPauses: { start: number; duration: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.push({ start: entry.startTime, duration: entry.duration });
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

async function phase<T>(run: () => T | Promise<T>): Promise<{ phase: Phase; value: T }> {
  heap.peak = heap.sample();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await run();
  const end = performance.now();
  const { user, system } = process.cpuUsage(cpu);
  heap.sample();
  // GC entries reach the observer after the pause; their start times place them in phases.
  await new Promise((resolve) => setTimeout(resolve, 20));
  let pauses = 0;
  for (const { start: at, duration } of gcPauses) if (at >= start && at <= end) pauses += duration;
  const wallMs = end - start;
  return {
    value,
    phase: {
      wallMs,
      cpuMs: (user + system) / 1000,
      gcShare: pauses / wallMs,
      peakHeapMB: heap.peak / 2 ** 20
    }
  };
}

/** `heapUsed` after two full collections. */
function retained(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const connection: Connection = { disconnect() {} };
const build: BuildRequest = { run: async () => undefined };

function createWorkers(count: number): LatentWorker[] {
  const workers: LatentWorker[] = [];
  const provider: Provider = {
    // The agent connects during the start, as an instant one would (workers are named w<i>).
    startInstance: ({ workerName }) => workers[Number(workerName.slice(1))]!.attached(connection),
    stopInstance() {}
  };
  for (let i = 0; i < count; i++) {
    workers.push(createLatentWorker({ name: `w${i}`, provider, maxBuilds: 1 }));
  }
  return workers;
}

/** Submits `count` requests in waves of at most `WAVE`; resolves with the dispatches made. */
async function submit(fleet: Fleet, count: number): Promise<number> {
  let dispatches = 0;
  for (let left = count; left > 0; left -= WAVE) {
    const outcomes = Array.from(
      { length: Math.min(left, WAVE) },
      () => fleet.submit(build).outcome
    );
    for (const outcome of await Promise.all(outcomes)) {
      if (outcome.result !== 'success') throw new Error('a build did not succeed');
      dispatches += outcome.attempts;
    }
  }
  return dispatches;
}

/** Heap bytes a waiting request retains (with the outcome promise the caller keeps). */
async function queuedBytes(fleet: Fleet, count: number): Promise<number> {
  const before = retained();
  // The dispatch pass begins after a microtask: until then every request waits in the queue.
  const outcomes = Array.from({ length: count }, () => fleet.submit(build).outcome);
  const bytes = (retained() - before) / count;
  await Promise.all(outcomes);
  return bytes;
}

/** Dispatch cost over a fleet of `workers` whose instances are all up: µs per dispatch. */
async function perDispatch(fleet: Fleet, requests: number) {
  const { phase: cost, value: dispatches } = await phase(() => submit(fleet, requests));
  return {
    ...cost,
    wallUs: (cost.wallMs * 1000) / dispatches,
    cpuUs: (cost.cpuMs * 1000) / dispatches
  };
}

async function startedFleet(count: number): Promise<Fleet> {
  const fleet = createFleet({ workers: createWorkers(count) });
  await submit(fleet, count);
  return fleet;
}

async function workersScenario(count: number) {
  const reference = await startedFleet(REFERENCE_WORKERS);
  await submit(reference, REQUESTS); // JIT warm-up
  const small = await perDispatch(reference, REQUESTS);
  await reference.shutdown();

  const empty = retained();
  const created = await phase(() => createWorkers(count));
  const afterWorkers = retained();
  const fleetCreated = await phase(() => createFleet({ workers: created.value }));
  const fleet = fleetCreated.value;
  const afterFleet = retained();
  const firstDispatch = await phase(() => submit(fleet, count));
  const queued = await queuedBytes(fleet, Math.min(count, WAVE));
  const large = await perDispatch(fleet, REQUESTS);
  const shutdown = await phase(() => fleet.shutdown());
  return {
    scenario: `workers ${count}`,
    createWorkers: created.phase,
    createFleet: fleetCreated.phase,
    firstDispatch: { ...firstDispatch.phase, cpuUs: (firstDispatch.phase.cpuMs * 1000) / count },
    dispatch: large,
    reference: small,
    ratio: large.cpuUs / small.cpuUs,
    shutdown: shutdown.phase,
    bytesPerWorker: (afterWorkers - empty) / count,
    fleetBytesPerWorker: (afterFleet - afterWorkers) / count,
    queuedBytes: queued,
    maxRssMB: process.resourceUsage().maxRSS / 1024
  };
}

async function requestsScenario() {
  const fleet = await startedFleet(REFERENCE_WORKERS);
  await submit(fleet, FEW); // JIT warm-up
  const few = [];
  for (let i = 0; i < 3; i++) few.push(await perDispatch(fleet, FEW));
  const many = await perDispatch(fleet, MANY);
  for (let i = 0; i < 3; i++) few.push(await perDispatch(fleet, FEW));
  const queued = await queuedBytes(fleet, Math.min(MANY, WAVE));
  await fleet.shutdown();
  const reference = median(few.map((run) => run.cpuUs));
  return {
    scenario: 'requests',
    few: { cpuUs: reference, wallUs: median(few.map((run) => run.wallUs)) },
    many,
    ratio: many.cpuUs / reference,
    queuedBytes: queued,
    maxRssMB: process.resourceUsage().maxRSS / 1024
  };
}

type WorkersResult = Awaited<ReturnType<typeof workersScenario>>;
type RequestsResult = Awaited<ReturnType<typeof requestsScenario>>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2
    ? sorted[Math.floor(middle)]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "median (min–max)" of one figure over the rounds. */
function spread(values: number[], digits = 0, unit = ''): string {
  const f = (n: number) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const text = `${f(median(values))}${unit}`;
  return values.length > 1 ? `${text} (${f(Math.min(...values))}–${f(Math.max(...values))})` : text;
}

function runChild(args: string[]): unknown {
  const child = spawnSync(
    process.execPath,
    // The child gets this process's node flags (--expose-gc, and e.g. --max-old-space-size).
    [...process.execArgv, fileURLToPath(import.meta.url), ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 2 ** 24
    }
  );
  if (child.status !== 0) throw new Error(`${args.join(' ')} exited with ${child.status}`);
  return JSON.parse(child.stdout);
}

function report(scales: Map<number, WorkersResult[]>, requests: RequestsResult[]): void {
  const ms = (phases: Phase[], label: string) =>
    `${label} ${spread(
      phases.map((p) => p.wallMs),
      0,
      ' ms'
    )} wall, ${spread(
      phases.map((p) => p.cpuMs),
      0,
      ' ms'
    )} CPU, GC ${spread(
      phases.map((p) => p.gcShare * 100),
      0,
      ' %'
    )}, peak heap ${spread(
      phases.map((p) => p.peakHeapMB),
      0,
      ' MB'
    )}`;
  console.log(`fleet at scale, ${RUNS} round${RUNS > 1 ? 's' : ''}: median (range)`);
  for (const [count, runs] of scales) {
    const pick = <K extends keyof WorkersResult>(key: K) => runs.map((run) => run[key]);
    console.log(`\n${count.toLocaleString('en-US')} workers`);
    console.log(`  ${ms(pick('createWorkers'), 'create workers')}`);
    console.log(`  ${ms(pick('createFleet'), 'createFleet   ')}`);
    console.log(
      `  ${ms(pick('firstDispatch'), 'first dispatch')} (${spread(
        pick('firstDispatch').map((p) => p.cpuUs),
        1,
        ' µs'
      )} CPU each, with its start)`
    );
    console.log(`  ${ms(pick('dispatch'), 'dispatch      ')}`);
    console.log(`  ${ms(pick('shutdown'), 'shutdown      ')}`);
    console.log(
      `  per dispatch (${REQUESTS.toLocaleString('en-US')} requests): ${spread(
        pick('dispatch').map((p) => p.cpuUs),
        1,
        ' µs'
      )} CPU, ${spread(
        pick('dispatch').map((p) => p.wallUs),
        1,
        ' µs'
      )} wall; over ${REFERENCE_WORKERS.toLocaleString('en-US')} workers ${spread(
        pick('reference').map((p) => p.cpuUs),
        1,
        ' µs'
      )} CPU; ratio ${spread(pick('ratio'), 2)} (1.0 = flat)`
    );
    console.log(
      `  retained per worker: engine ${spread(pick('bytesPerWorker'), 0, ' B')}, fleet ${spread(pick('fleetBytesPerWorker'), 0, ' B')}; per queued request ${spread(pick('queuedBytes'), 0, ' B')}; maxRSS ${spread(pick('maxRssMB'), 0, ' MB')}`
    );
  }
  if (requests.length === 0) return;
  console.log(
    `\n${REFERENCE_WORKERS.toLocaleString('en-US')} workers, ${FEW.toLocaleString('en-US')} vs ${MANY.toLocaleString('en-US')} requests (waves of ${WAVE.toLocaleString('en-US')})`
  );
  console.log(
    `  per dispatch: ${FEW.toLocaleString('en-US')} ${spread(
      requests.map((r) => r.few.cpuUs),
      1,
      ' µs'
    )} CPU, ${MANY.toLocaleString('en-US')} ${spread(
      requests.map((r) => r.many.cpuUs),
      1,
      ' µs'
    )} CPU (GC ${spread(
      requests.map((r) => r.many.gcShare * 100),
      0,
      ' %'
    )}); ratio ${spread(
      requests.map((r) => r.ratio),
      2
    )} (1.0 = flat)`
  );
  console.log(
    `  per queued request ${spread(
      requests.map((r) => r.queuedBytes),
      0,
      ' B'
    )}; maxRSS ${spread(
      requests.map((r) => r.maxRssMB),
      0,
      ' MB'
    )}`
  );
}

const [scenario, size] = process.argv.slice(2);
if (scenario === 'workers') {
  process.stdout.write(JSON.stringify(await workersScenario(Number(size))));
} else if (scenario === 'requests') {
  process.stdout.write(JSON.stringify(await requestsScenario()));
} else {
  const scales = new Map<number, WorkersResult[]>(SCALES.map((count) => [count, []]));
  const requests: RequestsResult[] = [];
  for (let round = 0; round < RUNS; round++) {
    for (const count of SCALES)
      scales.get(count)!.push(runChild(['workers', String(count)]) as WorkersResult);
    if (MANY > 0) requests.push(runChild(['requests']) as RequestsResult);
  }
  report(scales, requests);
}
