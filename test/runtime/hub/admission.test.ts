import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { CloseCode } from '../../../src/protocol.js';
import {
  attachAgent,
  ended,
  hubWorld,
  next,
  realAgent,
  refusal,
  tcp,
  type HubWorld
} from './support.js';

let world: HubWorld | undefined;
let agent: Agent | undefined;
let sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await agent?.stop();
  await world?.close();
  world = agent = undefined;
  sockets = [];
});

/** `count` silent TCP connections to the hub, destroyed after the test. */
async function silent(count: number): Promise<Socket[]> {
  const opened = await Promise.all(Array.from({ length: count }, () => tcp(world!.hub.port)));
  sockets.push(...opened);
  return opened;
}

describe('agent hub: admission before the hello', () => {
  it('over maxPendingConnections the oldest pending connection makes room; an agent gets in', async () => {
    world = await hubWorld({ maxPendingConnections: 5, headerTimeout: 30_000 });
    const [oldest] = await silent(1);
    const { localPort } = oldest!;
    await expect.poll(() => world!.hub.pendingConnections).toBe(1);
    await silent(4);
    await expect.poll(() => world!.hub.pendingConnections).toBe(5);
    const dropped = next(world.hub.events$, (e) => e.type === 'dropped');
    await silent(1);
    await ended(oldest!);
    await expect(dropped).resolves.toEqual({
      type: 'dropped',
      cause: 'tooManyPending',
      remote: `127.0.0.1:${localPort}`
    });
    expect(sockets.filter((socket) => socket.closed)).toEqual([oldest]);
    expect(world.hub.pendingConnections).toBe(5);

    // With the cap full of silent sockets, the real agent makes room for itself and attaches.
    let runner;
    ({ agent, runner } = await realAgent(world));
    await expect(runner.exec('sh', ['-c', 'echo in'])).resolves.toMatchObject({ stdout: 'in\n' });
    // Attached, it is not pending any more: four silent sockets are.
    expect(world.hub.pendingConnections).toBe(4);
    expect(sockets.filter((socket) => !socket.closed)).toHaveLength(4);
  });

  it('headers trickled byte by byte are cut off headerTimeout after the accept', async () => {
    const headerTimeout = 300;
    world = await hubWorld({ headerTimeout });
    const [socket] = await silent(1);
    const began = performance.now();
    const dropped = next(world.hub.events$, (e) => e.type === 'dropped');
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\n'.repeat(50));
    let sent = 0;
    const trickle = setInterval(() => socket!.write(request.subarray(sent, ++sent)), 10);
    await ended(socket!);
    clearInterval(trickle);
    const elapsed = performance.now() - began;
    expect(elapsed).toBeGreaterThanOrEqual(headerTimeout - 20);
    expect(elapsed).toBeLessThan(headerTimeout + 2_000);
    expect(sent).toBeGreaterThan(1); // it was talking all along
    await expect(dropped).resolves.toMatchObject({ cause: 'headerTimeout' });
    await expect.poll(() => world!.hub.pendingConnections).toBe(0); // its close event is next
  });

  it('on a TLS hub, a socket that never starts its handshake is cut off too', async () => {
    world = await hubWorld({ tls: { selfSigned: true }, headerTimeout: 200 });
    const dropped = next(world.hub.events$, (e) => e.type === 'dropped');
    const [socket] = await silent(1);
    await ended(socket!);
    await expect(dropped).resolves.toMatchObject({ cause: 'headerTimeout' });
  });

  it('a request that is not a WebSocket upgrade, or not TLS on a TLS hub, is turned away', async () => {
    world = await hubWorld();
    const [plain] = await silent(1);
    let answer = '';
    plain!.on('data', (data: Buffer) => (answer += data.toString()));
    plain!.write('GET /metrics HTTP/1.1\r\nHost: hub\r\n\r\n');
    await ended(plain!);
    expect(answer).toMatch(/^HTTP\/1\.1 426 /);
    await world.close();

    world = await hubWorld({ tls: { selfSigned: true } });
    const [notTls] = await silent(1);
    notTls!.write('GET / HTTP/1.1\r\nHost: hub\r\n\r\n');
    await ended(notTls!);
    expect(world.hubEvents).toMatchObject([{ type: 'dropped', cause: 'badRequest' }]);
  });

  it('closing the hub destroys the pending connections', async () => {
    world = await hubWorld({ headerTimeout: 30_000 });
    const opened = await silent(3);
    await expect.poll(() => world!.hub.pendingConnections).toBe(3);
    await world.close();
    world = undefined;
    await Promise.all(opened.map(ended));
  });
});

describe('agent hub: the duplicate check', () => {
  it('a duplicate redialling 20 times, then 20 at once, costs the live agent about a ping per heartbeat', async () => {
    const heartbeatInterval = 1_000;
    world = await hubWorld({ heartbeatInterval });
    const { url } = world.hub;
    const { password, up } = await world.substantiate();
    const live = await attachAgent(url, 'w1', password);
    await up;
    let pings = 0;
    live.on('ping', () => pings++);
    const began = performance.now();
    for (let i = 0; i < 20; i++) {
      await expect(refusal(url, 'w1', password)).resolves.toMatchObject({
        code: CloseCode.duplicate
      });
    }
    const together = await Promise.all(
      Array.from({ length: 20 }, () => refusal(url, 'w1', password))
    );
    expect(together.every(({ code }) => code === CloseCode.duplicate)).toBe(true);
    // One ping for the first check (no pong yet), then at most a heartbeat's and a check's per
    // period; the hub before this pinged at each of the 40 dials.
    const periods = Math.ceil((performance.now() - began) / heartbeatInterval);
    expect(pings).toBeLessThanOrEqual(1 + 2 * periods);
    expect(live.readyState).toBe(live.OPEN);
    expect(world.hubEvents.filter((e) => e.type === 'refused')).toHaveLength(40);
    expect(world.hubEvents.every((e) => e.type !== 'refused' || e.cause === 'duplicate')).toBe(
      true
    );
  });
});
