import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtAgent } from './builtAgent.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

/** Runs the built agent to its end. */
function runAgent(args: string[], env: Record<string, string> = {}) {
  const [node, main] = builtAgent();
  const child = spawn(node!, [main!, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output }))
  );
}

/** A loopback port nobody listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('latent-agent, the program', () => {
  it('gives up after --give-up-after seconds without reaching the hub', async () => {
    const url = `ws://127.0.0.1:${await deadPort()}`;
    const began = Date.now();
    const { code, output } = await runAgent(['--give-up-after', '0.5'], {
      LATENT_HUB_URL: url,
      LATENT_WORKER_NAME: 'w1',
      LATENT_WORKER_PASSWORD: 'pw'
    });
    expect(code).toBe(4);
    expect(output).toContain(`not welcomed by the hub at ${url} for 0.5 s`);
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
  });

  it('exits 2 with a usage message when the hub, name or password is missing', async () => {
    const { code, output } = await runAgent(['--hub', 'ws://127.0.0.1:1']);
    expect(code).toBe(2);
    expect(output).toMatch(/hub URL, the worker name and the password are required/);
  });

  it('--help and --version exit 0', async () => {
    await expect(runAgent(['--help'])).resolves.toMatchObject({
      code: 0,
      output: expect.stringContaining('--give-up-after <seconds>') as string
    });
    await expect(runAgent(['--version'])).resolves.toMatchObject({
      code: 0,
      output: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) as string
    });
  });

  it('rejects a bad --give-up-after with exit code 2', async () => {
    await expect(runAgent(['--give-up-after', 'soon'])).resolves.toMatchObject({ code: 2 });
  });
});
