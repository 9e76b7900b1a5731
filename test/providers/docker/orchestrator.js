// The orchestrator recovery.test.ts kills: the built package's hub on a given port, a journal
// and one journaled Docker worker, which it substantiates; it then says so on stdout and waits
// to be killed.
//   node orchestrator.js <package folder> <settings as JSON>
// settings: { journal, port, socketPath, image, owner, labels }
import process from 'node:process';
import { setInterval } from 'node:timers';

const [pkg, json] = process.argv.slice(2);
const { journal: path, port, socketPath, image, owner, labels } = JSON.parse(json);
const { createAgentHub, createLatentWorker, openJournal } = await import(
  `${pkg}/dist/src/index.js`
);
const { DockerProvider } = await import(`${pkg}/dist/src/docker.js`);

const journal = await openJournal({ path });
const hub = await createAgentHub({ port });
const provider = new DockerProvider({ image, hubUrl: hub.url, socketPath, labels });
const worker = createLatentWorker({ name: 'w', owner, provider, journal, buildWaitTimeout: -1 });
hub.add(worker);
await worker.substantiate();
process.stdout.write(`${JSON.stringify({ at: 'attached' })}\n`);
setInterval(() => undefined, 60_000); // until the SIGKILL
