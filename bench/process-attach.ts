/**
 * Time from `substantiate()` to attached for a process worker: spawn `latent-agent` (a fresh
 * `node`), dial the hub on loopback, authenticate, attach. Plain node on the build:
 * `npx tsc -p tsconfig.build.json && node dist/bench/process-attach.js` (BENCH_STARTS=n).
 */
import { createLatentWorker } from '../src/index.js';
import { ProcessProvider } from '../src/providers/process/processProvider.js';
import { createAgentHub } from '../src/runtime/hub/createAgentHub.js';

const starts = Number(process.env.BENCH_STARTS ?? 20);
const hub = await createAgentHub();
const provider = new ProcessProvider({ hubUrl: hub.url });
const worker = createLatentWorker({ name: 'bench', provider, buildWaitTimeout: -1 });
hub.add(worker);

let spawnedAt = 0;
provider.events$.subscribe((event) => {
  if (event.type === 'spawned') spawnedAt = performance.now();
});
const total: number[] = [];
const afterSpawn: number[] = [];
for (let i = 0; i < starts; i++) {
  const began = performance.now();
  await worker.substantiate();
  const attached = performance.now();
  total.push(attached - began);
  afterSpawn.push(attached - spawnedAt);
  await worker.insubstantiate();
}
await worker.shutdown();
await hub.close();

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(0)} ms  p90 ${at(0.9).toFixed(0)} ms  min ${sorted[0]!.toFixed(0)} ms`;
};
console.log(`substantiate() -> attached, process worker (${starts} starts): ${stats(total)}`);
console.log(`  of which spawn -> attached (agent boot + dial + hello): ${stats(afterSpawn)}`);
