import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtPackage } from '../support/builtPackage.js';

const run = promisify(execFile);

/**
 * What only the demo, the page's bundle and the tests need: importing the library must not load
 * it (the dashboard serves its page prebuilt, with elkjs inside).
 */
const DEMO_ONLY = ['commander', '@statelyai/inspect', 'elkjs', 'mermaid', 'playwright-core'];

/** A resolve hook: appends the URL of every module the process resolves to `data.log`. */
const RECORDER = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
}
`;

/** `node probe.mjs <specifier> <log>`: imports one entry under the recorder, prints its names. */
const PROBE = `
import { register } from 'node:module';
const [specifier, log] = process.argv.slice(2);
register('./recorder.mjs', import.meta.url, { data: { log } });
const entry = await import(specifier);
process.stdout.write(JSON.stringify(Object.keys(entry)));
`;

/** A script's opening: a Docker provider on a socket where no daemon listens. */
const DOCKER_PROVIDER =
  "import { DockerProvider } from 'latent-workers/docker';\n" +
  "const provider = new DockerProvider({ image: 'busybox', hubUrl: 'ws://127.0.0.1:9/', socketPath: '/nonexistent/docker.sock' });\n" +
  'const signal = AbortSignal.timeout(10_000);\n';

const root = new URL('../../', import.meta.url).pathname;

/** A user's project with the package installed: `node_modules/latent-workers`, the probes. */
let project: string;
/** The installed package's own folder. */
let pkg: string;
let probes = 0;

// One build per version of the sources, outside the tests' timeout: tsc takes seconds on a
// busy machine.
beforeAll(() => {
  [pkg] = builtPackage(1) as [string];
  project = mkdtempSync(join(tmpdir(), 'latent-workers-entries-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(pkg, join(project, 'node_modules/latent-workers'), 'dir');
  writeFileSync(join(project, 'recorder.mjs'), RECORDER);
  writeFileSync(join(project, 'probe.mjs'), PROBE);
}, 120_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

/** Imports `specifier` in a fresh `node` in the project: the names and the packages loaded. */
async function load(specifier: string): Promise<{ names: string[]; packages: Set<string> }> {
  const log = join(project, `probe-${++probes}.log`);
  // Resolves once the process has exited: it must, as importing leaves nothing running.
  const { stdout } = await run(process.execPath, ['probe.mjs', specifier, log], {
    cwd: project,
    timeout: 20_000
  });
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').trim().split('\n')) {
    const path = url.split('/node_modules/').at(-1)!;
    if (path !== url) packages.add(path.split('/', path.startsWith('@') ? 2 : 1).join('/'));
  }
  return { names: JSON.parse(stdout) as string[], packages };
}

describe('the package entries', () => {
  it.each([
    ['latent-workers', ['createLatentWorker', 'createFleet', 'ProcessProvider']],
    ['latent-workers/testing', ['ControllableProvider']],
    [
      'latent-workers/process',
      ['ProcessProvider', 'AGENT_COMMAND', 'createAgentHub', 'CloseCode', 'isCommandRunner']
    ],
    ['latent-workers/docker', ['DockerProvider']]
  ])('%s loads nothing only the demo needs', async (specifier, names) => {
    const loaded = await load(specifier);
    expect(loaded.names).toEqual(expect.arrayContaining(names));
    for (const demoOnly of DEMO_ONLY) expect(loaded.packages).not.toContain(demoOnly);
  });

  it('selfsigned is loaded by a hub that makes its certificate, not by an entry', async () => {
    for (const entry of ['latent-workers', 'latent-workers/process']) {
      expect((await load(entry)).packages).not.toContain('selfsigned');
    }
    const tlsHub = join(project, 'tls-hub.mjs');
    writeFileSync(
      tlsHub,
      "import { createAgentHub } from 'latent-workers/process';\n" +
        'await (await createAgentHub({ tls: { selfSigned: true } })).close();\n'
    );
    expect((await load(tlsHub)).packages).toContain('selfsigned');
  });

  it('libsql is loaded by openJournal, not by an entry', async () => {
    for (const entry of ['latent-workers', 'latent-workers/process', 'latent-workers/testing']) {
      expect((await load(entry)).packages).not.toContain('libsql');
    }
    const journal = join(project, 'journal.mjs');
    writeFileSync(
      journal,
      "import { openJournal } from 'latent-workers';\n" +
        `await (await openJournal({ path: ${JSON.stringify(join(project, 'journal.db'))} })).close();\n`
    );
    expect((await load(journal)).packages).toContain('libsql');
  });

  it('dockerode is loaded by a Docker provider call, not by an entry, its own included', async () => {
    const entries = ['latent-workers', 'latent-workers/process', 'latent-workers/docker'];
    for (const entry of entries) expect((await load(entry)).packages).not.toContain('dockerode');
    const list = join(project, 'docker-list.mjs');
    writeFileSync(
      list,
      `${DOCKER_PROVIDER}await provider.listInstances({ labels: {}, signal }).catch(() => {});\n`
    );
    expect((await load(list)).packages).toContain('dockerode');
  });

  it('without dockerode installed, a Docker start is refused with what to install', async () => {
    // A project whose node_modules holds the package and its dependencies, not its optional peer.
    const bare = mkdtempSync(join(tmpdir(), 'latent-workers-no-dockerode-'));
    try {
      mkdirSync(join(bare, 'node_modules'));
      cpSync(pkg, join(bare, 'node_modules/latent-workers'), { recursive: true });
      const { dependencies } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      for (const name of Object.keys(dependencies)) {
        mkdirSync(dirname(join(bare, 'node_modules', name)), { recursive: true });
        symlinkSync(join(root, 'node_modules', name), join(bare, 'node_modules', name), 'dir');
      }
      const start = join(bare, 'start.mjs');
      writeFileSync(
        start,
        `${DOCKER_PROVIDER}import { LatentWorkerCannotSubstantiate } from 'latent-workers';\n` +
          `const ref = { workerName: 'w', generation: 1, instanceName: 'w-1', labels: {}, password: 'p', props: undefined, signal };\n` +
          `const error = await provider.startInstance(ref).catch((error) => error);\n` +
          `process.stdout.write(JSON.stringify({ cannot: LatentWorkerCannotSubstantiate.is(error), message: error.message }));\n`
      );
      const { stdout } = await run(process.execPath, [start], { cwd: bare, timeout: 20_000 });
      expect(JSON.parse(stdout)).toEqual({
        cannot: true,
        message: expect.stringContaining('npm install dockerode@5') as unknown
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('the recorder sees what an entry loads: the root loads xstate and ws, the demo commander', async () => {
    expect([...(await load('latent-workers')).packages]).toEqual(
      expect.arrayContaining(['xstate', 'ws'])
    );
    expect((await load(join(pkg, 'dist/src/cli/main.js'))).packages).toContain('commander');
  });
});
