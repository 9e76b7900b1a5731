/**
 * The README's fleet example: two local process workers behind the agent hub, one build that
 * runs a command on its instance.
 */
import { createFleet, createLatentWorker } from '../src/index.js';
import { createAgentHub, ProcessProvider } from '../src/process.js';

const hub = await createAgentHub(); // WebSocket, 127.0.0.1, a free port
const provider = new ProcessProvider({ hubUrl: hub.url }); // each instance: a latent-agent process
const workers = ['w1', 'w2'].map((name) =>
  createLatentWorker({ name, provider, buildWaitTimeout: 5_000 })
);
workers.forEach((worker) => hub.add(worker));

const fleet = createFleet({ workers, maxConcurrentStarts: 4 });
const { outcome } = fleet.submit({
  async run(lease) {
    const { exitCode, stdout } = await lease.exec('node', ['--version']); // runs on the instance
    console.log(`instance says ${stdout.trim()}`);
    return exitCode === 0 ? 'success' : 'failure';
  }
});
console.log(await outcome); // { result: 'success', worker: 'w1', attempts: 1 }
await fleet.shutdown();
await hub.close();
