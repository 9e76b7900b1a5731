// The orchestrator that crash.test.ts kills: the built package's hub (on a given port, so
// that agents can find it again after a restart), a ProcessProvider with a state directory,
// a journal and a Fleet running short builds on two workers. Every provider call and every
// journal write is appended to a log file synchronously (it survives a SIGKILL), and each
// moment worth killing at is announced on stdout, where the test waits for it.
//   node orchestrator.js <package folder> <settings as JSON>
// settings: { run, mode: 'work' | 'shutdown', adopt, port, owner, stateDir, journal, log, agent }
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { setTimeout as delay } from 'node:timers/promises';

const [pkg, json] = process.argv.slice(2);
const settings = JSON.parse(json);
const { createAgentHub, createFleet, createLatentWorker, openJournal, ProcessProvider } =
  await import(`${pkg}/dist/src/index.js`);

const log = (entry) =>
  appendFileSync(settings.log, `${JSON.stringify({ run: settings.run, ...entry })}\n`);
const say = (at) => process.stdout.write(`${JSON.stringify({ at })}\n`);

const journal = await openJournal({ path: settings.journal });
/** The journal, its writes logged once durable. */
const loggedJournal = {
  openInstances: (query) => journal.openInstances(query),
  lastGeneration: (query) => journal.lastGeneration(query),
  password: (name) => journal.password(name),
  close: () => journal.close(),
  async record(change) {
    await journal.record(change);
    log({ journal: change.type, name: change.instance?.instanceName ?? change.instanceName });
  }
};

const hub = await createAgentHub({ port: settings.port, heartbeatInterval: 1_000 });
const processes = new ProcessProvider({
  hubUrl: hub.url,
  stateDir: settings.stateDir,
  command: settings.agent,
  stopGracePeriod: 1_000,
  // An agent whose orchestrator never comes back ends by itself, but not before the test does.
  env: { LATENT_GIVE_UP_AFTER: '60' }
});
/** The provider, its calls logged as they begin and end. */
const provider = {
  listInstances: (query) => processes.listInstances(query),
  checkInstance: (ctx) => processes.checkInstance(ctx),
  async startInstance(ctx) {
    log({ call: 'start', phase: 'begin', name: ctx.instanceName });
    say('start');
    const result = await processes.startInstance(ctx);
    log({ call: 'start', phase: 'end', name: ctx.instanceName });
    return result;
  },
  async stopInstance(ctx) {
    log({ call: 'stop', phase: 'begin', name: ctx.instanceName });
    say(recovering.has(ctx.workerName) ? 'recovery' : 'stop');
    await processes.stopInstance(ctx);
    log({ call: 'stop', phase: 'end', name: ctx.instanceName });
  }
};

const recovering = new Set();
const workers = ['w1', 'w2'].map((name, i) =>
  createLatentWorker({
    name,
    owner: settings.owner,
    provider,
    journal: loggedJournal,
    // w1 stops after every build, w2 idles a little: both kinds of instance die in crashes.
    buildWaitTimeout: i === 0 ? 0 : 150,
    missingTimeout: 30_000,
    stopTimeout: 30_000,
    // Half the runs adopt the instances whose agents come back, half stop every leftover.
    adoptTimeout: settings.adopt ? 3_000 : 0,
    checkInstanceInterval: 500
  })
);
for (const worker of workers) {
  hub.add(worker);
  if (worker.status.state === 'recovering') recovering.add(worker.name);
  worker.events$.subscribe((event) => {
    if (event.type === 'state' && event.from === 'recovering') recovering.delete(worker.name);
    if (event.type === 'recovered') log({ recovered: event.outcome, name: event.instance.name });
  });
}
const fleet = createFleet({ workers });

if (settings.mode === 'shutdown') {
  await fleet.shutdown();
  await hub.close();
  await journal.close();
  say('done');
} else {
  say('ready');
  // Builds come in bursts with pauses between them, so that idle instances are stopped and
  // new ones started: the crash points need starts and stops as much as builds.
  const pause = () => delay(Math.random() * 400);
  const build = () =>
    fleet
      .submit({
        async run(lease) {
          say('build');
          await lease.exec('sleep', ['0.05']);
        }
      })
      .outcome.then(pause)
      .then(build);
  for (let i = 0; i < 2; i++) void build();
}
