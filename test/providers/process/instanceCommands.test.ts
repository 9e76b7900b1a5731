import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleet, isCommandRunner, type Fleet } from '../../../src/index.js';
import { within } from '../../agent/program.js';
import { builtAgent } from '../../runtime/hub/builtAgent.js';
import { builtPackage } from '../../support/builtPackage.js';
import { listenForReports, type Reports } from './reports.js';
import { isAlive, next, processWorld, type ProcessWorld } from './support.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

type Props = Record<string, unknown>;

let world: ProcessWorld | undefined;
let fleet: Fleet<Props> | undefined;
let reports: Reports;
let scratch: string;
beforeEach(async () => {
  reports = await listenForReports();
  scratch = mkdtempSync(join(tmpdir(), 'latent-orchestrator-'));
});
afterEach(async () => {
  await fleet?.shutdown();
  await world?.close();
  world = fleet = undefined;
  await reports.close(); // ends the reporting processes a failed test left behind
  rmSync(scratch, { recursive: true, force: true });
});

/** A command that ignores SIGTERM, with a child of its kind in its process group. */
function stubborn(): [string, string[]] {
  const [node, ...args] = reports.command(1) as [string, ...string[]];
  return [node, args];
}

describe("an instance's commands end with it", () => {
  // The stop finds them by their environment in /proc: Linux only.
  it.runIf(process.platform === 'linux')(
    'when its agent was killed with SIGKILL: they are gone once the stop resolves',
    async () => {
      world = await processWorld({ provider: { stopGracePeriod: 300 } });
      const { worker, pids } = world;
      await worker.substantiate();
      const connection = worker.connection;
      if (!isCommandRunner(connection)) throw new Error('not attached through the hub');
      void connection.exec(...stubborn()).catch(() => undefined);
      const members = (await within(5_000, 'set up', reports.setUp(2))).map((r) => r.pid);
      const detached = next(worker.events$, (e) => e.type === 'detached');
      process.kill(pids[0]!, 'SIGKILL');
      await detached;
      const gone = reports.gone(members);
      await worker.insubstantiate();
      await within(5_000, 'SIGTERM first', reports.ignored(2));
      // The report of a death arrives a moment after it: the kernel closes the socket first.
      await within(1_000, 'the commands gone', gone);
    }
  );

  it('when the fleet shuts down during a build: they are gone once shutdown() resolves', async () => {
    world = await processWorld();
    fleet = createFleet<Props>({ workers: [world.worker] });
    const { outcome } = fleet.submit({
      run: async (lease) => void (await lease.exec(...stubborn()).catch(() => undefined))
    });
    const members = (await within(10_000, 'set up', reports.setUp(2))).map((r) => r.pid);
    const gone = reports.gone(members);
    const began = Date.now();
    await fleet.shutdown();
    await within(1_000, 'the commands gone', gone);
    expect(Date.now() - began).toBeLessThan(5_000);
    await expect(outcome).resolves.toMatchObject({ worker: 'w1' });
  });

  it('when the orchestrator dies: the agent kills them, gives up and runs --on-give-up', async () => {
    const [pkg] = builtPackage() as [string];
    const file = join(scratch, 'gave-up');
    const env = { LATENT_GIVE_UP_AFTER: '1', LATENT_ON_GIVE_UP: `touch ${file}` };
    const [node, args] = stubborn();
    const orchestrator = spawn(
      process.execPath,
      [join(import.meta.dirname, 'orchestrator.js'), pkg, JSON.stringify(env), node, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    const [line] = (await within(
      10_000,
      'the agent pid',
      once(createInterface(orchestrator.stdout), 'line')
    )) as [string];
    const { agent } = JSON.parse(line) as { agent: number };
    const members = (await within(5_000, 'set up', reports.setUp(2))).map((r) => r.pid);
    orchestrator.kill('SIGKILL');
    const killed = Date.now();
    // The agent's own stop: SIGTERM, then SIGKILL after its 2 s grace, though its stderr is
    // a broken pipe now.
    await within(5_000, 'SIGTERM first', reports.ignored(2));
    await within(5_000, 'the commands gone', reports.gone(members));
    expect(Date.now() - killed).toBeLessThan(4_000);
    // Not our child: its exit is seen by polling.
    await expect.poll(() => isAlive(agent), { timeout: 5_000, interval: 50 }).toBe(false);
    expect(Date.now() - killed).toBeGreaterThanOrEqual(1_000);
    expect(existsSync(file)).toBe(true); // it gave up on purpose, not by a crash
  });
});
