/**
 * Cold start of a Docker worker, `substantiate()` to attached: create and start a container of
 * the local agent image (`localAgentImage`: this machine's `node` and the single-file
 * `latent-agent`, imported without a registry), on the host network, whose agent dials the hub
 * on loopback, authenticates and attaches. Interleaved start by start with the same container
 * without an init process (`init: false`) and with a process worker (`AGENT_COMMAND`) on the
 * same hub; each instance is stopped before the next start. Also the image's build time and
 * size. On the build: `npm run build && node dist/bench/docker-attach.js [daemon]`, where the
 * daemon is `unix:///path/docker.sock`, a socket path or `tcp://host:port` (default
 * `DOCKER_HOST`, else `/var/run/docker.sock`); BENCH_STARTS=n. Without a daemon it says so and
 * exits 0. The image and the containers it made (label `latent-workers.bench`) are removed at
 * the end.
 */
import { statSync } from 'node:fs';
import Docker from 'dockerode';
import type { Observable } from 'rxjs';
import { localAgentImage, removeLabelled } from '../src/cli/agentImage.js';
import { createLatentWorker } from '../src/index.js';
import { DockerProvider } from '../src/providers/docker/dockerProvider.js';
import { ProcessProvider } from '../src/providers/process/processProvider.js';
import { AGENT_COMMAND } from '../src/providers/process/processProviderOptions.js';
import { createAgentHub } from '../src/runtime/hub/createAgentHub.js';

const BENCH_LABEL = 'latent-workers.bench';
const starts = Number(process.env.BENCH_STARTS ?? 20);
const daemon = process.argv[2];
if (daemon) {
  // dockerode reads DOCKER_HOST when the client is made; a bare path is a unix socket.
  process.env.DOCKER_HOST = daemon.includes('://') ? daemon : `unix://${daemon}`;
}

function skip(why: string): never {
  console.log(`substantiate() -> attached, Docker worker: skipped, ${why}`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`the local agent image is Linux only`);
const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
let docker: Docker;
try {
  docker = new Docker();
  const timeout = new Promise((_, reject) => {
    setTimeout(() => reject(new Error('no answer to a ping in 5 s')), 5_000).unref();
  });
  await Promise.race([docker.ping(), timeout]);
} catch (error) {
  skip(`no Docker daemon at ${where}: ${error instanceof Error ? error.message : String(error)}`);
}

await removeLabelled(docker, BENCH_LABEL); // so that the image is built, not found
const [, agent] = AGENT_COMMAND as [string, string];
statSync(agent); // the build's agent: `npm run build` first
const buildBegan = performance.now();
const image = await localAgentImage(docker, { agent, labels: { [BENCH_LABEL]: '1' } });
const buildTime = performance.now() - buildBegan;
const { Size: imageSize } = await docker.getImage(image).inspect();

const hub = await createAgentHub();

interface Variant {
  name: string;
  /** `substantiate()` to its resolution. */
  total: number[];
  /** Named parts of each start, in order. */
  parts: Map<string, number[]>;
  /** `insubstantiate()`: stop and remove. */
  stop: number[];
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A worker on `provider` and its timings: `marks` are the moments (named by what ends there)
 * that split each start, filled in by the provider's and the worker's events.
 */
function variant(
  name: string,
  provider: (DockerProvider | ProcessProvider) & { events$: Observable<{ type: string }> },
  markNames: readonly string[]
): Variant {
  const worker = createLatentWorker({ name, provider, buildWaitTimeout: -1 });
  hub.add(worker);
  const marks = new Map<string, number>();
  const mark = (what: string) => marks.set(what, performance.now());
  provider.events$.subscribe((event) => mark(event.type));
  worker.events$.subscribe((event) => {
    if (event.type === 'attached') mark('attached');
  });
  const total: number[] = [];
  const parts = new Map(markNames.map((part) => [part, [] as number[]]));
  const stop: number[] = [];
  return {
    name,
    total,
    parts,
    stop,
    async start() {
      marks.clear();
      const began = performance.now();
      await worker.substantiate();
      total.push(performance.now() - began);
      let from = began;
      for (const part of markNames) {
        const at = marks.get(part);
        if (at === undefined) throw new Error(`${name}: no '${part}' event during the start`);
        parts.get(part)!.push(at - from);
        from = at;
      }
      const stopBegan = performance.now();
      await worker.insubstantiate();
      stop.push(performance.now() - stopBegan);
    },
    shutdown: () => worker.shutdown()
  };
}

const dockerProvider = (init: boolean) =>
  new DockerProvider({ image, hubUrl: hub.url, docker, labels: { [BENCH_LABEL]: '1' }, init });
const variants = [
  variant('bench-docker', dockerProvider(true), ['created', 'started', 'attached']),
  variant('bench-docker-no-init', dockerProvider(false), ['created', 'started', 'attached']),
  variant('bench-process', new ProcessProvider({ hubUrl: hub.url }), ['spawned', 'attached'])
];
try {
  for (let i = 0; i < starts; i++) {
    for (const { start } of variants) await start();
  }
} finally {
  for (const { shutdown } of variants) await shutdown();
  await hub.close();
  await removeLabelled(docker, BENCH_LABEL);
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const ms = (value: number) => `${value.toFixed(0).padStart(4)} ms`;
  return `median ${ms(at(0.5))}  p90 ${ms(at(0.9))}  min ${ms(sorted[0]!)}`;
};
const PART_NAMES: Record<string, string> = {
  created: 'to created (inspect the name, the image; create)',
  started: 'created -> started (the start call)',
  attached: 'to attached (node boot, dial, hello)',
  spawned: 'to spawned'
};
console.log(`substantiate() -> attached, Docker and process workers, ${starts} starts each,`);
console.log(`interleaved, each stopped before the next (daemon ${where}):`);
for (const { name, total, parts, stop } of variants) {
  console.log(`  ${name.padEnd(21)} ${stats(total)}`);
  for (const [part, values] of parts) {
    console.log(`    ${PART_NAMES[part]!.padEnd(50)} ${stats(values)}`);
  }
  console.log(`    ${'insubstantiate() (stop and remove)'.padEnd(50)} ${stats(stop)}`);
}
console.log(
  `  image ${image}: ${(imageSize / 1e6).toFixed(1)} MB, built in ${buildTime.toFixed(0)} ms`
);
