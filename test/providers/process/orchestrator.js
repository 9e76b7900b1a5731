// A child orchestrator, for the test of an orchestrator's death (instanceCommands.test.ts):
// the built package's hub, ProcessProvider (its default agent) and one worker, which runs the
// command of argv on its instance and prints the agent's pid.
//   node orchestrator.js <package folder> <the provider's env, as JSON> <command> [args...]
import process from 'node:process';

const [pkg, env, command, ...args] = process.argv.slice(2);
const { createAgentHub, createLatentWorker, ProcessProvider } = await import(
  `${pkg}/dist/src/index.js`
);
const hub = await createAgentHub();
const provider = new ProcessProvider({ hubUrl: hub.url, env: JSON.parse(env) });
const worker = createLatentWorker({ name: 'w1', provider });
hub.add(worker);
await worker.substantiate();
worker.connection.exec(command, args).catch(() => undefined);
process.stdout.write(`${JSON.stringify({ agent: provider.pidOf('w1') })}\n`);
