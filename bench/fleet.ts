/**
 * The Fleet's dispatch cost: `requests` build requests submitted at once over 1,000 workers
 * (maxBuilds 1, an instant provider, instant builds), timed from the first submit until every
 * outcome has settled. At 10,000 requests, 9,000 of them wait and are dispatched one by one
 * as builds finish, so a dispatch pass that rescanned the queue would show as a growing time
 * per dispatch. Run: `npx tsc -p tsconfig.build.json && node dist/bench/fleet.js`.
 */
import {
  createFleet,
  createLatentWorker,
  type Connection,
  type LatentWorker
} from '../src/index.js';

const WORKERS = Number(process.env.BENCH_FLEET_WORKERS ?? 1000);
const connection: Connection = { disconnect() {} };

async function timePerDispatch(requests: number): Promise<number> {
  const byName = new Map<string, LatentWorker<Record<string, unknown>>>();
  const provider = {
    // The agent connects during the start, as an instant one would.
    startInstance: ({ workerName }: { workerName: string }) =>
      byName.get(workerName)?.attached(connection),
    stopInstance() {}
  };
  const workers = Array.from({ length: WORKERS }, (_, i) => {
    const worker = createLatentWorker({ name: `w${i}`, provider, maxBuilds: 1 });
    byName.set(worker.name, worker);
    return worker;
  });
  const fleet = createFleet({ workers });
  let dispatches = 0;
  fleet.events$.subscribe((event) => void (event.type === 'dispatched' && dispatches++));
  const started = performance.now();
  const outcomes = Array.from(
    { length: requests },
    () => fleet.submit({ run: async () => undefined }).outcome
  );
  const results = await Promise.all(outcomes);
  const elapsed = performance.now() - started;
  if (results.some((outcome) => outcome.result !== 'success'))
    throw new Error('a build did not succeed');
  await fleet.shutdown();
  return elapsed / dispatches;
}

const fmt = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
/** The median of `runs` measurements: the first runs of a fresh process are JIT warm-up. */
async function median(requests: number, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timePerDispatch(requests));
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}
await timePerDispatch(10_000); // warm-up
const small = await median(1000);
const large = await median(10_000);
console.log(
  `fleet dispatch over ${WORKERS} workers: 1,000 requests ${fmt(small)}/dispatch  10,000 requests ${fmt(large)}/dispatch  ratio ${(large / small).toFixed(2)} (1.0 = linear)`
);
