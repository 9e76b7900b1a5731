import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, rawText } from '../../src/protocol.js';
import { builtAgent } from '../runtime/hub/builtAgent.js';
import { attachAgent, hubWorld, type HubWorld } from '../runtime/hub/support.js';
import { credentials, startProgram, within, type AgentProgram } from './program.js';

// Compiling the agent takes seconds on a busy machine: once per file, outside the tests' timeout.
beforeAll(() => void builtAgent(), 120_000);

let world: HubWorld | undefined;
let program: AgentProgram | undefined;
const servers: Array<{ close(callback: () => void): unknown }> = [];
afterEach(async () => {
  program?.child.kill('SIGKILL');
  await program?.ended;
  await world?.close();
  for (const server of servers.splice(0).reverse()) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  world = program = undefined;
});

/** A plain WebSocket server (not the hub): every frame it sends is the test's. */
async function rawHub(server?: Server): Promise<{ url: string; wss: WebSocketServer }> {
  const wss = server
    ? new WebSocketServer({ server })
    : new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  if (server) {
    servers.push(server);
    server.listen(0, '127.0.0.1');
  }
  await once(server ?? wss, 'listening');
  const { port } = (server ?? wss).address() as AddressInfo;
  return { url: `${server ? 'wss' : 'ws'}://127.0.0.1:${port}`, wss };
}

/** Each connection's messages, as they come. */
function record(wss: WebSocketServer): Array<{ socket: WebSocket; messages: unknown[] }> {
  const connections: Array<{ socket: WebSocket; messages: unknown[] }> = [];
  wss.on('connection', (socket) => {
    const connection = { socket, messages: [] as unknown[] };
    connections.push(connection);
    socket.on('message', (data) => connection.messages.push(JSON.parse(rawText(data))));
  });
  return connections;
}

describe('the agent and its hub', () => {
  it('a duplicate refused while the first connection answers backs off and gives up', async () => {
    world = await hubWorld();
    const { password, up } = await world.substantiate();
    const first = await attachAgent(world.hub.url, 'w1', password);
    await up;
    const began = Date.now();
    program = startProgram(['--give-up-after', '1'], credentials(world.hub.url, password));
    const { code, output } = await within(5_000, 'the duplicate to give up', program.ended);
    expect(code).toBe(4);
    expect(output).toMatch(/for 1 s; last answer: worker w1 is already connected .*\(4409\)/);
    // Node's start, then dials after 0, 0.1, 0.3 and 0.7 s of backoff: not ~9 a second.
    expect(Date.now() - began).toBeLessThan(3_000);
    const refusals = world.hubEvents.filter((e) => e.type === 'refused');
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.length).toBeLessThanOrEqual(5);
    expect(refusals.every((e) => e.code === CloseCode.duplicate)).toBe(true);
    expect(world.worker.status.connected).toBe(true); // the first connection is untouched
    first.close();
  });

  it('gives up on time on a hub that takes the hello and never answers it', async () => {
    const { url, wss } = await rawHub();
    const connections = record(wss);
    const began = Date.now();
    program = startProgram(['--give-up-after', '0.5'], credentials(url));
    const { code } = await within(5_000, 'exit', program.ended);
    expect(code).toBe(4);
    expect(Date.now() - began).toBeLessThan(2_500); // Node's start, the give-up time, slack
    expect(connections[0]!.messages).toMatchObject([{ type: 'hello' }]);
  });

  it('dials again when the hub falls silent for 2.5 of its announced heartbeats', async () => {
    const { url, wss } = await rawHub();
    const welcomed: number[] = [];
    const connections = record(wss);
    wss.on('connection', (socket) =>
      socket.once('message', () => {
        socket.send(JSON.stringify({ type: 'welcome', heartbeatInterval: 100 }));
        welcomed.push(Date.now());
      })
    );
    const second = new Promise((resolve) =>
      wss.on('connection', () => welcomed.length && resolve(0))
    );
    program = startProgram(['--give-up-after', '10'], credentials(url));
    await within(5_000, 'a second dial', second);
    const silence = Date.now() - welcomed[0]!;
    expect(silence).toBeGreaterThanOrEqual(240); // 2.5 × 100 ms, less a timer's rounding
    expect(silence).toBeLessThan(2_000);
    expect(connections[0]!.messages).toMatchObject([{ type: 'hello', worker: 'w1' }]);
  });

  describe('with a pinned certificate', () => {
    /** A `wss://` server with a fresh self-signed certificate, and its SHA-256 fingerprint. */
    async function tlsHub() {
      const pems = await generate([{ name: 'commonName', value: 'hub.test' }], {
        keyType: 'ec',
        algorithm: 'sha256'
      });
      const { url, wss } = await rawHub(createServer({ key: pems.private, cert: pems.cert }));
      return { url, wss, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
    }

    it('says hello to the hub that shows it, self-signed as it is', async () => {
      const { url, wss, fingerprint } = await tlsHub();
      const connections = record(wss);
      const hello = once(wss, 'connection').then(([socket]) =>
        once(socket as WebSocket, 'message')
      );
      program = startProgram(['--fingerprint', fingerprint.toLowerCase()], credentials(url, 's3'));
      await within(5_000, 'the hello', hello);
      expect(connections[0]!.messages).toEqual([
        { type: 'hello', version: 1, worker: 'w1', password: 's3' }
      ]);
      connections[0]!.socket.close(CloseCode.released, 'released by the worker');
      await expect(within(5_000, 'exit', program.ended)).resolves.toMatchObject({ code: 0 });
    });

    it('exits 5 before sending anything to a hub that shows another certificate', async () => {
      const { url, wss } = await tlsHub();
      const connections = record(wss);
      const wrong = Array(32).fill('AB').join(':');
      program = startProgram(['--fingerprint', wrong], credentials(url));
      const { code, output } = await within(5_000, 'exit', program.ended);
      expect(code).toBe(5);
      expect(output).toContain(`not the pinned ${wrong}; the password was not sent`);
      expect(connections.flatMap((connection) => connection.messages)).toEqual([]);
    });
  });
});
