import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Dockerode from 'dockerode';
import { AGENT_COMMAND } from '../process.js';

/** Busybox applets linked into the image, for the commands builds run. */
const APPLETS = ['sh', 'sleep', 'echo', 'cat', 'true', 'env', 'ls', 'kill', 'uname'];

export interface LocalAgentImageOptions {
  /** The single-file agent to run. @default the package's own */
  agent?: string;
  /** Labels on the image. */
  labels?: Record<string, string>;
  /** Called with the image's name when it is not there yet and is about to be built. */
  onBuild?: (image: string) => void;
}

/**
 * An image whose entrypoint is `latent-agent`, made without a registry (for machines that
 * reach none, and for tests): this machine's `node` with the shared libraries `ldd` lists, the
 * single-file agent, and a static `busybox` for a shell and the usual commands when there is
 * one on the `PATH`. Imported from a tarball of that root, once per content: the name carries
 * a hash of it (`localhost/latent-agent-<hash>:latest`; Podman's import keeps no other tag).
 * Linux only. With a registry, build `docker/Dockerfile` instead.
 */
export async function localAgentImage(
  docker: Dockerode,
  { agent = AGENT_COMMAND[1]!, labels = {}, onBuild }: LocalAgentImageOptions = {}
): Promise<string> {
  const node = process.execPath;
  const libraries = sharedLibraries(node);
  const busybox = which('busybox');
  const hash = createHash('sha256')
    .update(readFileSync(agent))
    .update(process.version)
    .update([...libraries, busybox ?? '', JSON.stringify(labels)].join('\n'))
    .digest('hex')
    .slice(0, 12);
  const image = `localhost/latent-agent-${hash}:latest`;
  if (
    await docker
      .getImage(image)
      .inspect()
      .then(Boolean, () => false)
  )
    return image;
  onBuild?.(image);
  const root = mkdtempSync(join(tmpdir(), 'latent-agent-image-'));
  try {
    for (const folder of ['bin', 'tmp', 'etc', 'usr/local/bin', 'opt/latent']) {
      mkdirSync(join(root, folder), { recursive: true });
    }
    if (busybox) {
      cpSync(busybox, join(root, 'bin/busybox'));
      for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
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
        ...Object.entries(labels).map(([name, value]) => `LABEL ${name}=${value}`)
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

/**
 * Removes every container, volume and image that carries `label` (the images of
 * `localAgentImage` made with it, and what ran them): the clean-up of a run of tests or of a
 * benchmark, also of an earlier one that was interrupted.
 */
export async function removeLabelled(docker: Dockerode, label: string): Promise<void> {
  const filters = { label: [label] };
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

/** The shared libraries `binary` loads, by absolute path, as `ldd` lists them. */
function sharedLibraries(binary: string): string[] {
  const listing = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...listing.matchAll(/(\/\S+\.so[.\d]*)/g)].map((match) => match[1]!).sort();
}

/** `command`'s path on the `PATH`, if there is one. */
function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
