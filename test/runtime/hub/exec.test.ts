import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LatentWorkerConnectionLost,
  LatentWorkerError,
  type CommandRunner
} from '../../../src/index.js';
import type { Agent } from '../../../src/agent/agent.js';
import { isAlive } from './processes.js';
import { hubWorld, next, realAgent, type HubWorld } from './support.js';

let world: HubWorld | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.stop();
  await world?.close();
  world = agent = undefined;
});

const node = process.execPath;

/** A hub, and the real agent code running in this process, attached as w1. */
async function connected(): Promise<CommandRunner> {
  world = await hubWorld();
  let runner: CommandRunner;
  ({ agent, runner } = await realAgent(world));
  return runner;
}

describe('remote commands through the hub', () => {
  it('streams the output as it comes and resolves with code, signal and captured output', async () => {
    const runner = await connected();
    const run = runner.exec(
      node,
      [
        '-e',
        'for (const i of [1, 2, 3]) console.log(`line ${i}`); console.error(process.env.WHO, process.cwd())'
      ],
      { env: { WHO: 'agent' }, cwd: '/tmp' }
    );
    const chunks = lastValueFrom(run.output$.pipe(toArray()));
    const result = await run;
    expect(result).toEqual({
      exitCode: 0,
      signal: null,
      stdout: 'line 1\nline 2\nline 3\n',
      stderr: 'agent /tmp\n'
    });
    const streamed = await chunks;
    expect(
      streamed
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.data)
        .join('')
    ).toBe(result.stdout);
  });

  it('delivers a 24 MiB output whole, through the flow control of the agent', async () => {
    const runner = await connected();
    const size = 24 * 1024 * 1024;
    const { stdout, exitCode } = await runner.exec(node, [
      '-e',
      `const line = 'x'.repeat(1023) + '\\n'; let left = ${size / 1024};
       const more = () => { while (left > 0) { left--; if (!process.stdout.write(line)) return process.stdout.once('drain', more); } };
       more();`
    ]);
    expect(exitCode).toBe(0);
    expect(stdout.length).toBe(size);
  });

  it('reports a command killed by a signal', async () => {
    const runner = await connected();
    await expect(runner.exec('sh', ['-c', 'kill -TERM $$'])).resolves.toMatchObject({
      exitCode: null,
      signal: 'SIGTERM'
    });
  });

  it('a command that cannot be spawned rejects with the reason', async () => {
    const runner = await connected();
    const error = await runner.exec('/no/such/tool').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatentWorkerError);
    expect((error as Error).message).toMatch(/exec\(\/no\/such\/tool\): .*ENOENT/);
  });

  it('aborting kills the whole process group of the command', async () => {
    const runner = await connected();
    const controller = new AbortController();
    // The command starts a grandchild and prints its pid, then waits forever.
    const run = runner.exec(
      node,
      [
        '-e',
        `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
         console.log(c.pid); setInterval(() => {}, 1000);`
      ],
      { signal: controller.signal }
    );
    const grandchild = Number((await next(run.output$, (c) => c.stream === 'stdout')).data);
    expect(isAlive(grandchild)).toBe(true);
    const reason = new Error('build cancelled');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    // The agent reports the exit once the group leader is gone; the grandchild got the same signal.
    await expect.poll(() => isAlive(grandchild), { interval: 20 }).toBe(false);
  });

  it('an already aborted signal never starts the command', async () => {
    const runner = await connected();
    const reason = new Error('too late');
    await expect(runner.exec(node, ['-e', ''], { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason
    );
  });

  it('a lost connection mid-command rejects with LatentWorkerConnectionLost', async () => {
    const runner = await connected();
    const run = runner.exec(node, ['-e', 'console.log("started"); setInterval(() => {}, 1000)']);
    await next(run.output$, () => true);
    // Watched before the close, which waits for the sockets to close after failing the command.
    const lost = expect(run).rejects.toBeInstanceOf(LatentWorkerConnectionLost);
    await world!.hub.close(); // the connection goes away under the command
    await lost;
    await expect(runner.exec(node, ['-e', ''])).rejects.toBeInstanceOf(LatentWorkerConnectionLost);
    expect(world!.worker.status.connected).toBe(false);
  });
});
