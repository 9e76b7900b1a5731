import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LatentWorkerOptions } from '../../src/index.js';
import { builtAgent } from '../runtime/hub/builtAgent.js';
import { hubWorld, type HubWorld } from '../runtime/hub/support.js';
import { freePort } from '../support/ports.js';
import { credentials, runProgram, startProgram, within } from './program.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

let world: HubWorld | undefined;
let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'latent-agent-'));
});
afterEach(async () => {
  await world?.close();
  world = undefined;
  rmSync(scratch, { recursive: true, force: true });
});

/** A hub and the built agent attached to it as w1, started with `args` and `env`. */
async function attachedProgram(
  args: string[],
  env: Record<string, string> = {},
  worker: Partial<LatentWorkerOptions<Record<string, unknown>>> = {}
) {
  world = await hubWorld({}, worker);
  const { password, up } = await world.substantiate();
  const program = startProgram(args, { ...credentials(world.hub.url, password), ...env });
  await within(10_000, 'attached', up);
  return program;
}

describe('latent-agent, the program', () => {
  it('gives up after --give-up-after seconds without reaching the hub', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`;
    const began = Date.now();
    const { code, output } = await runProgram(['--give-up-after', '0.5'], credentials(url));
    expect(code).toBe(4);
    expect(output).toContain(`not welcomed by the hub at ${url} for 0.5 s`);
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
  });

  it('exits 2 with the reason and the usage on bad flags or environment', async () => {
    const missing = await runProgram(['--hub', 'ws://127.0.0.1:1']);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/hub URL, the worker name and the password are required/);
    expect(missing.output).toContain('Usage: latent-agent');
    const env = credentials('ws://127.0.0.1:1');
    await expect(runProgram(['--give-up-after', 'soon'], env)).resolves.toMatchObject({ code: 2 });
    await expect(runProgram(['--colour'], env)).resolves.toMatchObject({
      code: 2,
      output: expect.stringContaining("Unknown option '--colour'") as string
    });
  });

  it('--help shows the usage and --version the version of the package, both exit 0', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    ) as { version: string };
    await expect(runProgram(['--help'])).resolves.toMatchObject({
      code: 0,
      output: expect.stringContaining('--give-up-after <seconds>') as string
    });
    await expect(runProgram(['--version'])).resolves.toMatchObject({
      code: 0,
      output: `${version}\n`
    });
  });

  it('runs --on-give-up through /bin/sh when it gives up, without the password', async () => {
    const file = join(scratch, 'gave-up');
    const url = `ws://127.0.0.1:${await freePort()}`;
    const { code, output } = await runProgram(
      ['--give-up-after', '0.2', '--on-give-up', `env > ${file}`],
      credentials(url)
    );
    expect(code).toBe(4);
    expect(output).toContain('--on-give-up ended: exit code 0');
    const env = readFileSync(file, 'utf8');
    expect(env).toContain('LATENT_WORKER_NAME=w1');
    expect(env).not.toContain('LATENT_WORKER_PASSWORD');
  });

  it('does not run LATENT_ON_GIVE_UP when released by its worker', async () => {
    const file = join(scratch, 'gave-up');
    // Idle for 100 ms, the worker lets go of its connection: the hub releases the agent.
    const program = await attachedProgram(
      [],
      { LATENT_ON_GIVE_UP: `touch ${file}` },
      { buildWaitTimeout: 100 }
    );
    await expect(within(5_000, 'exit', program.ended)).resolves.toMatchObject({
      code: 0,
      output: expect.stringContaining('released by the worker (4000)') as string
    });
    expect(existsSync(file)).toBe(false);
  });

  it('does not run --on-give-up when stopped by a signal', async () => {
    const file = join(scratch, 'gave-up');
    const program = await attachedProgram(['--on-give-up', `touch ${file}`]);
    program.child.kill('SIGTERM');
    await expect(within(5_000, 'exit', program.ended)).resolves.toMatchObject({
      code: 0,
      output: expect.stringContaining('stopped') as string
    });
    expect(existsSync(file)).toBe(false);
  });
});
