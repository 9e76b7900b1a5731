/**
 * Cold start of a process worker, `substantiate()` to attached: spawn the agent (a fresh
 * `node`), dial the hub on loopback, authenticate, attach. The single-file `latent-agent` of the
 * build, and, when its path is given, another agent program (e.g. an older build) to compare,
 * interleaved start by start on one hub; 20 spawns of `node -e 0` are the floor. On the build:
 * `npm run build && node dist/bench/process-attach.js [other agent's main.js]`
 * (BENCH_STARTS=n).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createLatentWorker } from '../src/index.js';
import { ProcessProvider } from '../src/providers/process/processProvider.js';
import { AGENT_COMMAND } from '../src/providers/process/processProviderOptions.js';
import { createAgentHub } from '../src/runtime/hub/createAgentHub.js';

const starts = Number(process.env.BENCH_STARTS ?? 20);
const other = process.argv[2];
const hub = await createAgentHub();

/** A worker whose instances run `command`, and its timings. */
function variant(name: string, command: readonly string[]) {
  const provider = new ProcessProvider({ hubUrl: hub.url, command });
  const worker = createLatentWorker({ name, provider, buildWaitTimeout: -1 });
  hub.add(worker);
  let spawnedAt = 0;
  provider.events$.subscribe((event) => {
    if (event.type === 'spawned') spawnedAt = performance.now();
  });
  const total: number[] = [];
  const afterSpawn: number[] = [];
  return {
    name,
    total,
    afterSpawn,
    worker,
    async start() {
      const began = performance.now();
      await worker.substantiate();
      const attached = performance.now();
      total.push(attached - began);
      afterSpawn.push(attached - spawnedAt);
      await worker.insubstantiate();
    }
  };
}

const variants = [
  variant('single-file', AGENT_COMMAND),
  ...(other ? [variant('other', [process.execPath, other])] : [])
];
const floor: number[] = [];
for (let i = 0; i < starts; i++) {
  for (const { start } of variants) await start();
  const began = performance.now();
  await once(spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }), 'exit');
  floor.push(performance.now() - began);
}
for (const { worker } of variants) await worker.shutdown();
await hub.close();

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return `median ${at(0.5).toFixed(0)} ms  p90 ${at(0.9).toFixed(0)} ms  min ${sorted[0]!.toFixed(0)} ms`;
};
console.log(`substantiate() -> attached, process worker, ${starts} starts each, interleaved:`);
for (const { name, total, afterSpawn } of variants) {
  console.log(`  ${name.padEnd(11)} ${stats(total)}`);
  console.log(`  ${''.padEnd(11)} of which spawn -> attached: ${stats(afterSpawn)}`);
}
console.log(`  ${'node -e 0'.padEnd(11)} ${stats(floor)}  (spawn to exit: the floor)`);
if (other) console.log(`  other: ${other}`);
