// A child orchestrator to be killed with SIGKILL (stateDir.test.ts): the built package's
// ProcessProvider with a stateDir (its default agent) and, per worker of argv, a hub, a provider
// on that hub and the stateDir, and the worker, substantiated. A hub per worker gives each agent
// a URL of its own, so that the test tells their redials apart once this process is gone. Prints
// each worker's hub URL and agent pid, then waits for its death.
//   node crashingOrchestrator.js <package folder> <stateDir> <the providers' env, as JSON>
//     <workers, as JSON: [{ "owner": "alpha", "name": "w1" }, ...]>
import process from 'node:process';

const [pkg, stateDir, env, workers] = process.argv.slice(2);
const { createAgentHub, createLatentWorker, ProcessProvider } = await import(
  `${pkg}/dist/src/index.js`
);
const started = await Promise.all(
  JSON.parse(workers).map(async ({ owner, name }) => {
    const hub = await createAgentHub();
    const provider = new ProcessProvider({ hubUrl: hub.url, stateDir, env: JSON.parse(env) });
    const worker = createLatentWorker({ name, owner, provider });
    hub.add(worker);
    await worker.substantiate();
    return { owner, name, hubUrl: hub.url, pid: provider.pidOf(name) };
  })
);
process.stdout.write(`${JSON.stringify(started)}\n`);
