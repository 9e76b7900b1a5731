import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../../src/protocol.js';
import { attachAgent, closed, hubWorld, next, refusal, type HubWorld } from './support.js';

let world: HubWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('agent hub: who may attach', () => {
  it('listens on loopback on a free port and reports it', async () => {
    world = await hubWorld();
    expect(world.hub.port).toBeGreaterThan(0);
    expect(world.hub.url).toBe(`ws://127.0.0.1:${world.hub.port}`);
  });

  it('the right password of the current start attaches the worker', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    await attachAgent(world.hub.url, 'w1', password);
    await expect(up).resolves.toBe(true);
    expect(world.worker.status).toMatchObject({ state: 'substantiated', connected: true });
    expect(world.hubEvents).toMatchObject([{ type: 'connected', worker: 'w1' }]);
  });

  it('a wrong password is refused with 4401 and changes nothing', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    await expect(refusal(world.hub.url, 'w1', `${password}x`)).resolves.toEqual({
      code: CloseCode.unauthorized,
      reason: 'authentication failed'
    });
    // The operator learns what the agent is not told.
    expect(world.hubEvents).toEqual([
      {
        type: 'refused',
        remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as string,
        worker: 'w1',
        code: 4401,
        cause: 'wrongPassword',
        reason: 'wrong password for worker w1'
      }
    ]);
    expect(world.worker.status.state).toBe('substantiating');
    // The real agent still gets in.
    await attachAgent(world.hub.url, 'w1', password);
    await expect(up).resolves.toBe(true);
  });

  it('an unknown worker is told exactly what a wrong password is: 4401, authentication failed', async () => {
    world = await hubWorld();
    await expect(refusal(world.hub.url, 'nobody', 'pw')).resolves.toEqual({
      code: CloseCode.unauthorized,
      reason: 'authentication failed'
    });
    expect(world.hubEvents).toMatchObject([
      { type: 'refused', worker: 'nobody', cause: 'unknownWorker', reason: 'unknown worker nobody' }
    ]);
  });

  it('a worker that is not substantiating has no live password: 4401', async () => {
    world = await hubWorld();
    await expect(refusal(world.hub.url, 'w1', '')).resolves.toMatchObject({ code: 4401 });
  });

  it('a reconnect the lifecycle refuses (substantiated, disconnected) is closed with 4403', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const first = await attachAgent(world.hub.url, 'w1', password);
    await up;
    const detached = next(world.worker.events$, (e) => e.type === 'detached');
    first.close();
    await detached;
    const { code, reason } = await refusal(world.hub.url, 'w1', password);
    expect(code).toBe(CloseCode.refused);
    expect(reason).toMatch(/w1.attached: rejected/);
    expect(world.worker.status).toMatchObject({ state: 'substantiated', connected: false });
  });

  it('a second connection is refused (4409) while the first still answers a ping', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const first = await attachAgent(world.hub.url, 'w1', password);
    await up;
    const connection = world.worker.connection;
    await expect(refusal(world.hub.url, 'w1', password)).resolves.toMatchObject({
      code: CloseCode.duplicate
    });
    expect(world.worker.connection).toBe(connection);
    expect(first.readyState).toBe(first.OPEN);
  });

  it('a second connection replaces a first one that no longer answers pings', async () => {
    // Reattaching to a substantiated worker is only allowed when it is never stopped for idleness.
    world = await hubWorld({ heartbeatInterval: 200 }, { buildWaitTimeout: -1 });
    const { password, up } = await world.substantiate();
    const silent = await attachAgent(world.hub.url, 'w1', password, { autoPong: false });
    await up;
    const gone = closed(silent);
    await attachAgent(world.hub.url, 'w1', password);
    expect((await gone).code).toBe(1006); // terminated
    expect(world.worker.status.connected).toBe(true);
    expect(world.hubEvents.map((e) => e.type)).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('two missed pongs end a connection and detach the worker', async () => {
    const interval = 50;
    world = await hubWorld({ heartbeatInterval: interval });
    const { password, up } = await world.substantiate();
    const silent = await attachAgent(world.hub.url, 'w1', password, { autoPong: false });
    await up;
    const began = Date.now();
    const detached = next(world.worker.events$, (e) => e.type === 'detached');
    await expect(next(world.hub.events$, (e) => e.type === 'disconnected')).resolves.toMatchObject({
      code: CloseCode.heartbeatMissed,
      reason: 'two heartbeats missed'
    });
    await detached;
    // Two unanswered pings take between two and three periods (plus scheduling slack).
    expect(Date.now() - began).toBeGreaterThanOrEqual(2 * interval - 5);
    expect(world.worker.status.connected).toBe(false);
    silent.terminate();
  });

  it('an agent that answers pings stays connected across many heartbeats', async () => {
    world = await hubWorld({ heartbeatInterval: 20 });
    const { password, up } = await world.substantiate();
    const agent = await attachAgent(world.hub.url, 'w1', password);
    await up;
    let pings = 0;
    await new Promise<void>((resolve) => agent.on('ping', () => ++pings === 10 && resolve()));
    expect(world.worker.status.connected).toBe(true);
    expect(world.hubEvents.filter((e) => e.type === 'disconnected')).toHaveLength(0);
  });
});
