import { machine, type } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSummary } from '../../src/cli/summary.js';
import { DEMO_LABEL } from '../../src/cli/providers.js';
import { isNotFound } from '../../src/providers/docker/dockerErrors.js';
import { builtPackage } from '../support/builtPackage.js';
import { client, testDaemons } from '../support/docker.js';
import { builtDemo, killLeftovers } from './builtDemo.js';

// `npm start -- --provider docker`: the built demo on containers of a real daemon, and the
// message (and exit code) when there is no daemon.

beforeAll(() => void builtPackage(), 120_000);
afterEach(killLeftovers);

/** Runs the built demo with JSON output to its end; killed if it has not exited after 90 s. */
async function demo(args: string[]) {
  const run = builtDemo(args, 90_000);
  const { code } = await run.exited;
  return { code, lines: run.lines, stderr: run.stderr() };
}

it('without a daemon: says what to do and exits 3, without a stack trace', async () => {
  const { code, stderr, lines } = await demo([
    '--provider',
    'docker',
    '--docker-socket',
    '/nonexistent.sock'
  ]);
  expect(code, stderr).toBe(3);
  expect(stderr).toMatch(/cannot reach the Docker daemon at \/nonexistent\.sock: no such socket/);
  expect(stderr).toMatch(/Start Docker[\s\S]*--docker-socket[\s\S]*--provider process/);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(lines).toEqual([]); // nothing started
});

it('--image and --docker-socket without --provider docker are a usage error', async () => {
  const { code, stderr } = await demo(['--image', 'x', '--builds', '0']);
  expect(code).toBe(2);
  expect(stderr).toMatch(/--provider docker/);
});

const { daemons, missing, required } = testDaemons();
const daemon = daemons.find((d) => d.engine === 'docker');

if (daemon) {
  describe('the demo on Docker containers', () => {
    const docker = client(daemon);
    let image: string | undefined;
    const leftovers = () =>
      docker.listContainers({ all: true, filters: { label: [`${DEMO_LABEL}=1`] } });
    afterAll(async () => {
      // Whatever a failed run left, and the image the demo built (it carries no test label).
      for (const { Id } of await leftovers()) {
        await docker.getContainer(Id).remove({ force: true, v: true });
      }
      if (image) {
        await docker
          .getImage(image)
          .remove({ force: true })
          .catch((error: unknown) => {
            if (!isNotFound(error)) throw error;
          });
      }
    });

    it(
      'runs the builds on containers, one start failing, and leaves no container behind',
      { timeout: 120_000 },
      async () => {
        const { code, lines, stderr } = await demo([
          ...['--provider', 'docker', '--docker-socket', daemon.socketPath],
          ...['--workers', '2', '--builds', '3', '--idle-timeout', '0.5']
        ]);
        image = /agent image ([^\s,]+)/.exec(stderr)?.[1];
        expect(image, stderr).toMatch(/^localhost\/latent-agent-[0-9a-f]+:latest$/);
        expect(stderr).toMatch(/(built the agent image \S+ in [\d.]+ s|built by an earlier run)/);
        expect(code, stderr).toBe(0);
        const summary = lines.find((l) => l.type === 'summary') as unknown as DemoSummary;
        expect(summary).toMatchObject({
          builds: 3,
          results: { success: 3 },
          failedStarts: 1,
          quarantines: 1,
          interrupted: false
        });
        expect(summary.starts).toBe(summary.stops);
        expect(summary.pids).toEqual([]); // no process started here: containers only
        // The failed start is w2's container, which printed why and exited.
        const failed = lines.find((l) => l.type === 'substantiationFailed');
        expect(failed).toMatchObject({ worker: 'w2' });
        expect(JSON.stringify(failed)).toMatch(/exited with code 1[\s\S]*disk full/);
        // Every build ran its four steps on a container (which shares this kernel).
        expect(lines.filter((l) => l.type === 'step').length).toBe(3 * 4);
        const host = lines.filter(
          (l) => l.type === 'output' && l.line === `${type()} ${machine()}`
        );
        expect(host.length).toBe(3);
        const ofDocker = (type: string) =>
          lines.filter((l) => l.source === 'docker' && l.type === type);
        const created = ofDocker('created').map((l) => l.containerId as string);
        expect(created.length).toBe(summary.starts);
        expect(ofDocker('started').length).toBe(summary.starts);
        expect(ofDocker('removed').map((l) => l.containerId)).toEqual(
          expect.arrayContaining(created)
        );
        // Nothing is left on the daemon.
        expect(await leftovers()).toEqual([]);
        for (const id of created) {
          await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({
            statusCode: 404
          });
        }
      }
    );
  });
}

if (!daemon) {
  describe('the demo on Docker containers', () => {
    const reason = `not set: ${missing.filter((m) => m.includes('docker')).join(', ')}`;
    if (required)
      it(`needs ${reason}`, () => Promise.reject(new Error(`required engine ${reason}`)));
    else it.skip(`skipped: ${reason}`, () => undefined);
  });
}
