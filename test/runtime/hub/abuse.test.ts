import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { CloseCode } from '../../../src/protocol.js';
import type { HubEvent } from '../../../src/runtime/hub/events.js';
import {
  attachAgent,
  closed,
  dial,
  handmadeSocket,
  heapAfterGc,
  hubWorld,
  next,
  openDescriptors,
  realAgent,
  refusal,
  type HubWorld
} from './support.js';

let world: HubWorld | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.stop();
  await world?.close();
  world = agent = undefined;
});

/**
 * What the hub holds: this process's descriptors and heap after garbage collection. The
 * events the test recorded are its own, not the hub's: they are dropped first.
 */
function footprint() {
  world!.hubEvents.length = 0;
  world!.workerEvents.length = 0;
  return { descriptors: openDescriptors(), heap: heapAfterGc() };
}

/** The good agent gets in, runs a command and leaves; the worker is idle again. */
async function goodAgentRuns(): Promise<void> {
  const attached = await realAgent(world!);
  agent = attached.agent;
  await expect(attached.runner.exec('sh', ['-c', 'echo still here'])).resolves.toMatchObject({
    exitCode: 0,
    stdout: 'still here\n'
  });
  const gone = next(world!.hub.events$, (e) => e.type === 'disconnected');
  await agent.stop();
  agent = undefined;
  await gone;
  await world!.worker.insubstantiate();
}

/**
 * Back to `before` (measured after a first good agent, so that the code both ran is loaded).
 * The slack (20 descriptors, 2 MiB) is noise on a loaded machine, far below what a socket or
 * a listener left per connection of these runs would add.
 */
function expectBaseline(before: ReturnType<typeof footprint>): void {
  const after = footprint();
  console.info(
    `after the run: ${after.descriptors - before.descriptors} descriptors, ` +
      `${Math.round((after.heap - before.heap) / 1024)} KiB of heap more than before`
  );
  expect(after.descriptors).toBeLessThanOrEqual(before.descriptors + 20);
  expect(after.heap - before.heap).toBeLessThan(2 * 1024 * 1024);
}

describe('agent hub under abuse', () => {
  it('10,000 wrong passwords: a handful are checked, the rest locked out with 4429', async () => {
    const lockout = { after: 3, base: 100, max: 1_000 };
    world = await hubWorld({ lockout });
    const { url } = world.hub;
    const guesses = async (total: number, codes = new Map<number, number>()) => {
      for (let i = 0; i < total; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, () => refusal(url, 'w1', 'guess'))
        );
        for (const { code } of batch) codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      return codes;
    };
    // A first round loads the code of both paths, so that the baseline holds it.
    await guesses(200);
    await goodAgentRuns();
    const before = footprint();
    const began = performance.now();
    const codes = await guesses(10_000);
    const elapsed = performance.now() - began;
    // Counted, not kept: the heap is compared below, and the events are the test's.
    const count = (match: (e: HubEvent) => boolean) => world!.hubEvents.filter(match).length;
    const checked = count((e) => e.type === 'refused' && e.cause === 'wrongPassword');
    const locked = count((e) => e.type === 'refused' && e.cause === 'lockedOut');
    const scopes = new Set(world.hubEvents.map((e) => e.type === 'lockedOut' && e.scope));
    console.info(
      `10,000 wrong passwords in ${Math.round(elapsed)} ms: ${checked} checked, ${locked} locked out`
    );
    // Checked: the first `after`, then one each time a lock ends; locks double up to max.
    const expiries = Math.log2(lockout.max / lockout.base) + 1 + elapsed / lockout.max;
    expect(checked).toBeLessThanOrEqual(lockout.after + Math.ceil(expiries));
    expect(checked + locked).toBe(10_000);
    expect(Object.fromEntries(codes)).toEqual({
      [CloseCode.unauthorized]: checked,
      [CloseCode.tryLater]: locked
    });
    expect(scopes).toEqual(new Set([false, 'address', 'worker']));
    // The real agent meets the lock too, backs off, and gets in when it ends.
    await goodAgentRuns();
    expectBaseline(before);
  });

  it('a 10 MB frame is closed with 1009 from its header, before or after authenticating', async () => {
    world = await hubWorld();
    const { port, url } = world.hub;
    await goodAgentRuns();
    const before = footprint();
    const tenMegabytes = 10 * 1024 * 1024;

    // Only the header is sent: the close proves the payload was not waited for, nor buffered.
    const stranger = await handmadeSocket(port);
    stranger.announce(tenMegabytes);
    await expect(stranger.closeCode).resolves.toBe(CloseCode.tooBig);
    expect(world.hubEvents).toMatchObject([{ type: 'refused', cause: 'tooBig', code: 1009 }]);

    // And whole, from a WebSocket client.
    const sender = await dial(url);
    const refusedWhole = closed(sender);
    sender.send(Buffer.alloc(tenMegabytes));
    await expect(refusedWhole).resolves.toMatchObject({ code: CloseCode.tooBig });

    // After the hello, the same: header only, then whole; each time the worker is detached.
    let { password, up } = await world.substantiate();
    const handmade = await handmadeSocket(port);
    const connected = next(world.hub.events$, (e) => e.type === 'connected');
    handmade.text(JSON.stringify({ type: 'hello', version: 1, worker: 'w1', password }));
    await connected;
    await up;
    let detached = next(world.worker.events$, (e) => e.type === 'detached');
    handmade.announce(tenMegabytes);
    await expect(handmade.closeCode).resolves.toBe(CloseCode.tooBig);
    await detached;
    await world.worker.insubstantiate();

    ({ password, up } = await world.substantiate());
    const client = await attachAgent(url, 'w1', password);
    await up;
    detached = next(world.worker.events$, (e) => e.type === 'detached');
    const refusedAttached = closed(client);
    client.send(Buffer.alloc(tenMegabytes));
    await expect(refusedAttached).resolves.toMatchObject({ code: CloseCode.tooBig });
    await detached;
    await world.worker.insubstantiate();
    const disconnects = world.hubEvents.filter((e) => e.type === 'disconnected');
    expect(disconnects).toMatchObject([{ code: 1009 }, { code: 1009 }]);
    await goodAgentRuns();
    expectBaseline(before);
  });
});
