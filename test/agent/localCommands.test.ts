import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isCommandRunner, type CommandRunner } from '../../src/index.js';
import { listenForReports, type Reports } from '../providers/process/reports.js';
import { processWorld, type ProcessWorld } from '../providers/process/support.js';
import { builtAgent } from '../runtime/hub/builtAgent.js';
import { hubWorld, next, type HubWorld } from '../runtime/hub/support.js';
import { credentials, startProgram, within } from './program.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

let world: HubWorld | ProcessWorld | undefined;
let reports: Reports;
let scratch: string;
beforeEach(async () => {
  reports = await listenForReports();
  scratch = mkdtempSync(join(tmpdir(), 'latent-commands-'));
});
afterEach(async () => {
  await world?.close();
  world = undefined;
  await reports.close(); // ends the reporting processes a failed test left behind
  rmSync(scratch, { recursive: true, force: true });
});

function runnerOf({ worker }: HubWorld | ProcessWorld): CommandRunner {
  if (!isCommandRunner(worker.connection)) throw new Error('not attached through the hub');
  return worker.connection;
}

describe("the agent's commands", () => {
  it('run without the password in their environment, with the instance name', async () => {
    world = await processWorld();
    await world.worker.substantiate();
    const { stdout } = await runnerOf(world).exec('env');
    const names = stdout.split('\n').map((line) => line.slice(0, line.indexOf('=')));
    expect(names).toContain('LATENT_INSTANCE_NAME');
    expect(names).toContain('LATENT_WORKER_NAME');
    expect(names).not.toContain('LATENT_WORKER_PASSWORD');
  });

  it('die with the agent stopped by SIGTERM: SIGKILL for those that ignore SIGTERM', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const agent = startProgram([], credentials(world.hub.url, password));
    await within(10_000, 'attached', up);
    // A command that ignores SIGTERM and has a child of its kind, in its process group.
    const [node, ...args] = reports.command(1) as [string, ...string[]];
    void runnerOf(world)
      .exec(node, args)
      .catch(() => undefined);
    const members = (await within(5_000, 'set up', reports.setUp(2))).map((r) => r.pid);
    agent.child.kill('SIGTERM');
    await within(5_000, 'SIGTERM to both', reports.ignored(2));
    agent.child.kill('SIGTERM'); // an impatient supervisor: the agent goes on with its stop
    await within(5_000, 'both gone', reports.gone(members));
    await expect(within(5_000, 'exit', agent.ended)).resolves.toMatchObject({ code: 0 });
  });

  it('have their grace to clean up when the hub lets go of the agent', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const agent = startProgram([], credentials(world.hub.url, password));
    await within(10_000, 'attached', up);
    const file = join(scratch, 'cleaned');
    const cleanup = `process.on('SIGTERM', () => setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(file)}, ''); process.exit(0); }, 300));
      console.log('ready'); setInterval(() => {}, 1000);`;
    const run = runnerOf(world).exec(process.execPath, ['-e', cleanup]);
    run.catch(() => undefined);
    await next(run.output$, () => true);
    await world.worker.shutdown(); // the worker drops its connection: the hub releases the agent
    await expect(within(5_000, 'exit', agent.ended)).resolves.toMatchObject({
      code: 0,
      output: expect.stringContaining('(4000)') as string
    });
    expect(existsSync(file)).toBe(true);
  });
});
