import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtPackage } from '../../support/builtPackage.js';
import { ended, tcp } from './support.js';

// Building the package takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtPackage(), 120_000);

let sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
});

interface Report {
  type: 'ready' | 'done' | 'after';
  descriptors: number;
  heap: number;
  pending: number;
  dropped: number;
  [field: string]: unknown;
}

/** fdLimitOrchestrator.js on the built package, under `ulimit -n`, and its reports in order. */
function orchestrator(limit: number) {
  const [pkg] = builtPackage() as [string];
  const script = fileURLToPath(new URL('./fdLimitOrchestrator.js', import.meta.url));
  const child = spawn(
    'sh',
    ['-c', `ulimit -n ${limit} && exec "$0" "$1" "$2"`, process.execPath, script, pkg],
    { stdio: ['pipe', 'pipe', 'inherit'] }
  );
  const reports = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    async next(type: Report['type']): Promise<Report> {
      const line: IteratorResult<string> = await reports.next();
      if (line.done) throw new Error(`the orchestrator exited with ${await exited} before ${type}`);
      const report = JSON.parse(line.value) as Report;
      expect(report.type).toBe(type);
      return report;
    },
    say: (line: string) => child.stdin.write(`${line}\n`),
    end: () => child.stdin.end(),
    exited
  };
}

describe('agent hub: file descriptors', () => {
  it('1,100 silent connections under a 1,024-descriptor limit: the next agent still spawns and runs', async () => {
    const run = orchestrator(1024);
    const ready = await run.next('ready');
    expect(ready.limit).toBe(1024);

    sockets = await Promise.all(Array.from({ length: 1_100 }, () => tcp(ready.port as number)));
    // The hub holds maxPendingConnections (128) of them and destroys the others.
    const closes = sockets.map(ended);
    let closedByHub = 0;
    await new Promise<void>((resolve) => {
      for (const close of closes) void close.then(() => ++closedByHub === 1_100 - 128 && resolve());
    });

    run.say('go');
    const done = await run.next('done');
    // The agent took the place of the oldest silent socket.
    expect(done).toMatchObject({
      pendingAtSpawn: 128,
      pending: 127,
      dropped: 973,
      substantiated: true,
      result: { exitCode: 0, stdout: 'spawned\n' },
      availability: 'available',
      consecutiveFailures: 0
    });
    console.info(
      `orchestrator: ${ready.descriptors} descriptors before, ${done.descriptors} holding 127 ` +
        `pending connections; heap ${Math.round((done.heap - ready.heap) / 1024)} KiB more`
    );

    for (const socket of sockets) socket.destroy();
    run.say('end');
    const after = await run.next('after');
    expect(after.descriptors).toBeLessThanOrEqual(ready.descriptors + 5);
    expect(after.heap - ready.heap).toBeLessThan(4 * 1024 * 1024);
    console.info(
      `orchestrator after: ${after.descriptors} descriptors, heap ` +
        `${Math.round((after.heap - ready.heap) / 1024)} KiB more than before`
    );
    run.end();
    await expect(run.exited).resolves.toBe(0);
  });
});
