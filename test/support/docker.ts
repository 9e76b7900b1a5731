import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { builtAgent } from '../runtime/hub/builtAgent.js';

/** The label on everything a test makes on a daemon, which the global teardown removes. */
export const TEST_LABEL = 'latent-workers.test';

/** A container engine the tests may use. */
export interface TestDaemon {
  engine: 'docker' | 'podman';
  socketPath: string;
}

/**
 * The engines named by `LATENT_TEST_DOCKER` and `LATENT_TEST_PODMAN` (a socket path or a
 * `unix://` URL). `.ci/run` starts both and sets `LATENT_TEST_REQUIRE_ENGINES=1`, which turns
 * a missing one into a failure: only on a developer's machine without them are the tests skipped.
 */
export function testDaemons(): { daemons: TestDaemon[]; missing: string[]; required: boolean } {
  const daemons: TestDaemon[] = [];
  const missing: string[] = [];
  for (const [engine, variable] of [
    ['docker', 'LATENT_TEST_DOCKER'],
    ['podman', 'LATENT_TEST_PODMAN']
  ] as const) {
    const value = process.env[variable];
    if (value) daemons.push({ engine, socketPath: value.replace(/^unix:\/\//, '') });
    else missing.push(`${variable} (${engine})`);
  }
  return { daemons, missing, required: process.env.LATENT_TEST_REQUIRE_ENGINES === '1' };
}

export function client({ socketPath }: TestDaemon): Docker {
  return new Docker({ socketPath });
}

/**
 * An image whose entrypoint is the package's `latent-agent`, made without a registry from a
 * static busybox, this machine's `node` and the shared libraries it loads, and the built agent:
 * imported from a tarball of that root (1-2 s), once per content, labelled for the teardown.
 */
export async function agentImage(daemon: TestDaemon): Promise<string> {
  const [node, agent] = builtAgent() as [string, string];
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  const libraries = sharedLibraries(node);
  const hash = createHash('sha256')
    .update(readFileSync(agent))
    .update(process.version)
    .update(libraries.join('\n'))
    .digest('hex')
    .slice(0, 12);
  // Podman's import keeps only the repository: the content goes in the name, tagged latest.
  const image = `localhost/latent-agent-test-${hash}:latest`;
  const docker = client(daemon);
  const known = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false
    );
  if (known) return image;
  const root = mkdtempSync(join(tmpdir(), 'latent-agent-image-'));
  try {
    for (const folder of ['bin', 'tmp', 'etc', 'usr/local/bin', 'opt/latent']) {
      mkdirSync(join(root, folder), { recursive: true });
    }
    cpSync(busybox, join(root, 'bin/busybox'));
    for (const applet of ['sh', 'sleep', 'echo', 'cat', 'true', 'env', 'ls', 'kill']) {
      symlinkSync('busybox', join(root, 'bin', applet));
    }
    cpSync(node, join(root, 'usr/local/bin/node'));
    for (const library of libraries) {
      mkdirSync(join(root, dirname(library)), { recursive: true });
      cpSync(library, join(root, library), { dereference: true });
    }
    cpSync(agent, join(root, 'opt/latent/latent-agent.mjs'));
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const progress = await docker.importImage(tar.stdout, {
      repo: image.replace(/:latest$/, ''),
      tag: 'latest',
      changes: [
        'ENTRYPOINT ["/usr/local/bin/node", "/opt/latent/latent-agent.mjs"]',
        'ENV PATH=/usr/local/bin:/bin',
        `LABEL ${TEST_LABEL}=1`
      ]
    });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(progress, (error) => (error ? reject(error) : resolve(null)))
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return image;
}

/** The shared libraries `binary` loads, by absolute path, as `ldd` lists them. */
function sharedLibraries(binary: string): string[] {
  const listing = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...listing.matchAll(/(\/\S+\.so[.\d]*)/g)].map((match) => match[1]!).sort();
}

/** Removes every container, volume and image carrying the test label from `daemon`. */
export async function removeTestObjects(daemon: TestDaemon): Promise<void> {
  const docker = client(daemon);
  const filters = { label: [TEST_LABEL] };
  for (const { Id } of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(Id).remove({ force: true, v: true });
  }
  for (const { Name } of (await docker.listVolumes({ filters })).Volumes ?? []) {
    await docker.getVolume(Name).remove();
  }
  for (const { Id } of await docker.listImages({ filters })) {
    await docker.getImage(Id).remove({ force: true });
  }
}
