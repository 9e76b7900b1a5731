import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isCommandRunner,
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate
} from '../../../src/index.js';
import { builtAgent } from '../../runtime/hub/builtAgent.js';
import { isAlive, next, processWorld, type ProcessWorld } from './support.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

let world: ProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('process provider with real agents', () => {
  it('substantiates, runs a command, stops when idle and leaves no process behind', async () => {
    world = await processWorld({ worker: { buildWaitTimeout: 200 } });
    const { worker, pids } = world;

    await expect(worker.substantiate()).resolves.toBe(true);
    expect(pids).toHaveLength(1);
    expect(isAlive(pids[0]!)).toBe(true);

    const connection = worker.connection;
    if (!isCommandRunner(connection)) throw new Error('the hub connection must run commands');
    worker.buildStarted();
    const run = connection.exec(process.execPath, [
      '-e',
      'console.log("out-1"); console.error("err-1"); process.exit(3)'
    ]);
    const chunks = lastValueFrom(run.output$.pipe(toArray()));
    await expect(run).resolves.toEqual({
      exitCode: 3,
      signal: null,
      stdout: 'out-1\n',
      stderr: 'err-1\n'
    });
    expect((await chunks).map((chunk) => chunk.stream).sort()).toEqual(['stderr', 'stdout']);
    const idle = next(worker.events$, (event) => event.type === 'state' && event.to === 'idle');
    worker.buildFinished('success');
    await idle;

    // stopInstance resolved only once the agent had exited, and a real pid was reaped.
    expect(isAlive(pids[0]!)).toBe(false);
    const calls = world.events.flatMap((e) =>
      e.type === 'provider' && e.phase === 'end' && e.call !== 'check' ? [e.call] : []
    );
    expect(calls).toEqual(['start', 'stop']);
  });

  it('a start command that exits at once fails the health check fast, with its stderr', async () => {
    world = await processWorld({
      provider: {
        command: [
          process.execPath,
          '-e',
          'console.error("provisioning failed: no such image ubuntu:99"); process.exit(7)'
        ]
      }
    });
    const began = Date.now();
    const error = await world.worker.substantiate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(error).toMatchObject({ reason: 'crashed', timedOut: false });
    expect((error as Error).message).toMatch(/exited with code 7: provisioning failed: no such/);
    expect(Date.now() - began).toBeLessThan(20_000); // well before the missing timeout
    expect(world.worker.status.availability).toBe('quarantined');
  });

  it('a command that cannot be spawned is a bad request: LatentWorkerCannotSubstantiate', async () => {
    world = await processWorld({ provider: { command: ['/nonexistent/latent-agent'] } });
    const error = await world.worker.substantiate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatentWorkerCannotSubstantiate);
    expect((error as Error).message).toMatch(/ENOENT/);
    expect(world.worker.status.availability).toBe('available');
  });

  it('an agent with a wrong password is refused and the substantiation fails with the reason', async () => {
    world = await processWorld({
      provider: { command: [...builtAgent(), '--password', 'not-the-password'] }
    });
    const refused = next(world.hub.events$, (event) => event.type === 'refused');
    const error = await world.worker.substantiate().catch((e: unknown) => e);
    await expect(refused).resolves.toMatchObject({
      code: 4401,
      worker: 'w1',
      cause: 'wrongPassword'
    });
    expect(error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
    expect(error).toMatchObject({ reason: 'crashed' });
    // The agent is told no more than an unknown worker would be.
    expect((error as Error).message).toMatch(
      /exited with code 3: .*authentication failed \(4401\)/
    );
  });
});
