/**
 * The orchestrator of descriptors.test.ts, a process of its own so that `ulimit -n` holds it
 * alone: the built package (its folder is argv[2]) with a hub, a ProcessProvider running the
 * package's single-file agent and a worker w1. It reports on stdout, one JSON object a line,
 * its descriptors and heap with each report; stdin says when to go on:
 * `ready` → (stdin `go`) substantiate w1 and run a command, `done` → (stdin `end`) wait until
 * no connection is pending, `after`. At the end of stdin it shuts down and exits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const pkg = process.argv[2];
const { createLatentWorker, isCommandRunner } = await import(`${pkg}/dist/src/index.js`);
const { createAgentHub, ProcessProvider } = await import(`${pkg}/dist/src/process.js`);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))[1]);

// Silent sockets are held for the whole test, not the default 5 s: the spawn happens while
// the hub holds as many as it allows.
const hub = await createAgentHub({ headerTimeout: 60_000 });
const provider = new ProcessProvider({ hubUrl: hub.url });
const worker = createLatentWorker({ name: 'w1', provider, missingTimeout: 20_000 });
hub.add(worker);
let dropped = 0;
hub.events$.subscribe((event) => event.type === 'dropped' && dropped++);

const report = (type, fields = {}) => {
  gc();
  gc();
  const state = {
    type,
    descriptors: readdirSync('/proc/self/fd').length,
    heap: process.memoryUsage().heapUsed,
    pending: hub.pendingConnections,
    dropped
  };
  process.stdout.write(`${JSON.stringify({ ...state, ...fields })}\n`);
};

report('ready', { port: hub.port, limit });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go') {
    const pending = hub.pendingConnections;
    const substantiated = await worker.substantiate().catch((error) => String(error));
    const connection = worker.connection;
    const result = isCommandRunner(connection)
      ? await connection.exec('sh', ['-c', 'echo spawned'])
      : undefined;
    const { availability, consecutiveFailures } = worker.status;
    report('done', {
      pendingAtSpawn: pending,
      substantiated,
      result,
      availability,
      consecutiveFailures
    });
    await worker.insubstantiate();
  } else if (line === 'end') {
    while (hub.pendingConnections > 0) await setTimeout(10);
    report('after');
  }
}
// stdin closed: the test is over.
await worker.shutdown();
await hub.close();
