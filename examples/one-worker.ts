/**
 * One latent worker on an in-memory provider: substantiate, run a build, idle out, shut down.
 * Every lifecycle event is printed as it happens.
 */
import { createLatentWorker, type Connection, type Provider } from '../src/index.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// An in-memory "instance": it boots in 200 ms and its agent connects back 100 ms later.
const provider: Provider = {
  async startInstance({ workerName }) {
    await delay(200);
    const connection: Connection = { disconnect: () => worker.detached(connection) };
    setTimeout(() => worker.attached(connection), 100);
    console.log(`  provider: ${workerName} booted`);
  },
  async stopInstance({ workerName }) {
    await delay(100);
    console.log(`  provider: ${workerName} stopped`);
  }
};

const worker = createLatentWorker({ name: 'demo-1', provider, buildWaitTimeout: 500 });
worker.events$.subscribe((event) => {
  const { type, worker: name, ...detail } = event;
  console.log(`[${name}] ${type} ${JSON.stringify(detail)}`);
});

await worker.substantiate();
worker.buildStarted();
await delay(300);
worker.buildFinished('success');
await new Promise<void>((resolve) => {
  worker.events$.subscribe((event) => {
    if (event.type === 'state' && event.to === 'idle') resolve();
  });
});
await worker.shutdown();
console.log('status:', worker.status);
