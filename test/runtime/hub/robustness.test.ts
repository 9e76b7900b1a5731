import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../../src/protocol.js';
import { attachAgent, closed, dial, hello, hubWorld, next, type HubWorld } from './support.js';

let world: HubWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Sends `frame` as the first message and returns how the hub closed the socket. */
async function answerTo(url: string, frame: string | Buffer) {
  const socket = await dial(url);
  const ended = closed(socket);
  socket.send(frame, { binary: Buffer.isBuffer(frame) });
  return ended;
}

describe('agent hub: bad input changes nothing', () => {
  it('garbage first frames are closed with 4400 and an event each', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const garbage: Array<string | Buffer> = [
      'not json',
      '[]',
      'null',
      '{"type":"exit","id":1,"exitCode":0,"signal":null}',
      '{"type":"hello","version":1,"worker":"w1"}',
      '{"type":"hello","version":1,"worker":42,"password":"x"}',
      '{"type":"hello","version":2,"worker":"w1","password":"x"}',
      '{"type":"__proto__"}',
      Buffer.from([0xde, 0xad, 0xbe, 0xef])
    ];
    for (const frame of garbage) {
      const { code } = await answerTo(world.hub.url, frame);
      expect(code, String(frame)).toBe(CloseCode.malformed);
    }
    expect(world.hubEvents).toHaveLength(garbage.length);
    expect(world.hubEvents.every((e) => e.type === 'refused' && e.code === 4400)).toBe(true);
    expect(world.worker.status.state).toBe('substantiating');
    await attachAgent(world.hub.url, 'w1', password);
    await expect(up).resolves.toBe(true);
  });

  it('a frame over maxMessageBytes is closed with 1009, before or after attaching', async () => {
    world = await hubWorld({ maxMessageBytes: 64 * 1024 });
    const huge = 'x'.repeat(256 * 1024);
    await expect(answerTo(world.hub.url, huge)).resolves.toMatchObject({ code: 1009 });
    expect(world.hubEvents).toMatchObject([{ type: 'refused', code: 1009 }]);

    const { password, up } = await world.substantiate();
    const agent = await attachAgent(world.hub.url, 'w1', password);
    await up;
    const detached = next(world.worker.events$, (e) => e.type === 'detached');
    const ended = closed(agent);
    agent.send(huge);
    expect((await ended).code).toBe(1009);
    await detached;
    expect(world.hubEvents.at(-1)).toMatchObject({ type: 'disconnected', code: 1009 });
  });

  it('an attached agent sending garbage is closed with 4400 and its worker detached', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const agent = await attachAgent(world.hub.url, 'w1', password);
    await up;
    const ended = closed(agent);
    agent.send('{"type":"output","id":"one"}');
    await expect(ended).resolves.toMatchObject({ code: CloseCode.malformed });
    expect(world.worker.status.connected).toBe(false);
  });

  it('a socket that never says hello is closed with 4408', async () => {
    world = await hubWorld({ helloTimeout: 50 });
    const socket = await dial(world.hub.url);
    await expect(closed(socket)).resolves.toMatchObject({ code: CloseCode.helloTimeout });
    expect(world.hubEvents).toMatchObject([{ type: 'refused', code: 4408 }]);
  });

  it('survives 1,000 bad connections and keeps serving good ones', async () => {
    // Bad frames, not guessing: the lock-out would refuse the good agent too (abuse.test.ts).
    world = await hubWorld({ lockout: { after: 1_000 } });
    const { password, up } = await world.substantiate();
    const { url } = world.hub;
    const kinds = [
      async () => {
        const socket = await dial(url);
        const ended = closed(socket);
        hello(socket, 'w1', 'guess');
        return ended;
      },
      async () => {
        const socket = await dial(url);
        const ended = closed(socket);
        socket.send('{{{');
        return ended;
      },
      async () => {
        const socket = await dial(url);
        const ended = closed(socket);
        socket.terminate(); // gone before saying anything
        return ended;
      }
    ];
    const total = 1_000;
    const batch = 50;
    for (let i = 0; i < total; i += batch) {
      await Promise.all(Array.from({ length: batch }, (_, j) => kinds[(i + j) % kinds.length]!()));
    }
    await expect(attachAgent(url, 'w1', password)).resolves.toBeDefined();
    await expect(up).resolves.toBe(true);
    const refused = world.hubEvents.filter((e) => e.type === 'refused');
    expect(refused).toHaveLength(total);
    expect(world.worker.status).toMatchObject({ connected: true, consecutiveFailures: 0 });
  });
});
