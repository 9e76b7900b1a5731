import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createFleet,
  LatentWorkerConnectionLost,
  type Fleet,
  type FleetEvent
} from '../../../src/index.js';
import { builtAgent } from '../../runtime/hub/builtAgent.js';
import { isAlive, next, processWorld, type ProcessWorld } from './support.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

type Props = Record<string, unknown>;

let world: ProcessWorld | undefined;
let fleet: Fleet<Props> | undefined;
afterEach(async () => {
  await fleet?.shutdown();
  await world?.close();
  world = fleet = undefined;
});

const node = process.execPath;
// Prints until its stdout breaks, so it also ends by itself once its agent is gone.
const ticking = ['-e', 'setInterval(() => console.log("tick"), 20)'];

/**
 * One build on one process worker: the first attempt runs a long command and, once it prints,
 * does `hurt(agentPid)` to the agent; the retry runs a short command.
 */
async function buildThrough(
  hurt: (pid: number) => void,
  heartbeatInterval: number,
  afterDetach: (pid: number) => void = () => undefined
) {
  world = await processWorld({ heartbeatInterval, worker: { buildWaitTimeout: 5_000 } });
  const { worker, pids } = world;
  fleet = createFleet<Props>({ workers: [worker] });
  const fleetEvents: FleetEvent[] = [];
  fleet.events$.subscribe((event) => fleetEvents.push(event));
  const timing = { hurt: 0, detached: 0 };
  const firstAttempt: unknown[] = [];
  const { outcome } = fleet.submit({
    async run(lease) {
      if (lease.attempt === 1) {
        const run = lease.exec(node, ticking);
        await next(run.output$, () => true);
        const detached = next(worker.events$, (e) => e.type === 'detached');
        timing.hurt = Date.now();
        hurt(pids[0]!);
        await detached;
        timing.detached = Date.now();
        afterDetach(pids[0]!);
        firstAttempt.push(await run.catch((error: unknown) => error));
        return 'success'; // overruled: the lease was aborted for the lost connection
      }
      const { exitCode, stdout } = await lease.exec(node, ['-e', 'console.log("built")']);
      return exitCode === 0 && stdout === 'built\n' ? 'success' : 'failure';
    }
  });
  return { outcome: await outcome, timing, firstAttempt, fleetEvents, pids };
}

describe('losing an agent mid-build', () => {
  it('kill -9: the worker is detached at once and the build is retried on a new instance', async () => {
    const interval = 300;
    const { outcome, timing, firstAttempt, fleetEvents, pids } = await buildThrough(
      (pid) => process.kill(pid, 'SIGKILL'),
      interval
    );
    expect(outcome).toEqual({ result: 'success', worker: 'w1', attempts: 2 });
    expect(firstAttempt[0]).toBeInstanceOf(LatentWorkerConnectionLost);
    // The kernel closes a killed process's socket: well within two heartbeats.
    expect(timing.detached - timing.hurt).toBeLessThan(2 * interval);
    const retry = fleetEvents.find((e) => e.type === 'queued' && e.reason === 'retry');
    expect(retry?.type === 'queued' && retry.error).toBeInstanceOf(LatentWorkerConnectionLost);
    expect(pids).toHaveLength(2);
    expect(isAlive(pids[0]!)).toBe(false);
  });

  it('a frozen agent (SIGSTOP) keeps its socket open: two missed pongs detach it', async () => {
    const interval = 100;
    const hubEvents: unknown[] = [];
    const result = await buildThrough(
      (pid) => {
        world!.hub.events$.subscribe((event) => hubEvents.push(event));
        process.kill(pid, 'SIGSTOP');
      },
      interval,
      (pid) => process.kill(pid, 'SIGKILL') // a frozen process only dies by SIGKILL
    );
    expect(result.outcome).toEqual({ result: 'success', worker: 'w1', attempts: 2 });
    expect(result.firstAttempt[0]).toBeInstanceOf(LatentWorkerConnectionLost);
    expect(hubEvents[0]).toMatchObject({ type: 'disconnected', code: 4410 });
    // Two unanswered pings: at least one full period after the freeze; the bound is loose for
    // busy CI machines, and still far below a TCP time-out.
    const took = result.timing.detached - result.timing.hurt;
    expect(took).toBeGreaterThanOrEqual(interval);
    expect(took).toBeLessThan(30 * interval);
  });
});
