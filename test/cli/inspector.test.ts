import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { afterEach, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DemoSummary } from '../../src/cli/summary.js';
import { builtPackage } from '../support/builtPackage.js';
import { builtDemo, killLeftovers } from './builtDemo.js';

// `npm start -- --inspect 0`: the Stately inspector's page and WebSocket on loopback, fed the
// workers' inspection events, serving after the builds until SIGTERM, and then exiting.

beforeAll(() => void builtPackage(), 120_000);
afterEach(killLeftovers);

type Inspection = { type: string; name?: string };

/** Whether a TCP connection to `host:port` is refused. */
const refused = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.on('connect', () => (socket.destroy(), resolve(false)));
    socket.on('error', () => resolve(true));
  });

it('serves the inspector on 127.0.0.1 only, streams the workers to it, and exits on SIGTERM', async () => {
  const demo = builtDemo([
    '--inspect',
    '0',
    '--builds',
    '2',
    '--workers',
    '2',
    '--idle-timeout',
    '0.2'
  ]);
  const [, url, port] = await demo.stderrMatch(/open (http:\/\/127\.0\.0\.1:(\d+)) in a browser/);
  expect(demo.stderr()).toMatch(/loaded from https:\/\/stately\.ai\/inspect\s+and needs internet/);
  expect(demo.stderr()).toMatch(/--ui/);

  const page = await (await fetch(url!)).text();
  expect(page).toContain('<iframe src="https://stately.ai/inspect">');
  expect(page).toMatch(/needs internet[\s\S]*--ui/);
  for (const address of Object.values(networkInterfaces()).flat()) {
    if (address && !address.internal)
      expect(await refused(address.address, Number(port))).toBe(true);
  }
  // A page of another site, in the same browser, is not let in.
  const foreign = new WebSocket(`ws://127.0.0.1:${port}`, { origin: 'https://example.com' });
  await expect(
    new Promise((resolve, reject) => (foreign.on('open', resolve), foreign.on('error', reject)))
  ).rejects.toThrow(/401/);

  // A receiver that connects late is sent the actors first, then what happens.
  await demo.line((line) => line.type === 'substantiated');
  const received: Inspection[] = [];
  const receiver = new WebSocket(`ws://127.0.0.1:${port}`);
  receiver.on('message', (data: Buffer) =>
    received.push(JSON.parse(data.toString()) as Inspection)
  );
  await demo.line((line) => line.type === 'notice');
  expect(demo.lines.find((line) => line.type === 'notice')?.message).toMatch(
    /stay up until Ctrl-C/
  );
  expect(received[0]?.type).toBe('@xstate.actor');
  const actors = received.filter((event) => event.type === '@xstate.actor').map((e) => e.name);
  expect(actors.slice(0, 2)).toEqual(['w1', 'w2']); // the workers, then their provider calls
  expect(actors).toContain('start');
  expect(received.some((event) => event.type === '@xstate.snapshot')).toBe(true);
  expect(received.some((event) => event.type === '@xstate.event')).toBe(true);

  demo.child.kill('SIGTERM');
  const closed = new Promise((resolve) => receiver.on('close', resolve));
  const { code } = await demo.exited;
  await closed;
  expect(code, demo.stderr()).toBe(0); // every build passed before the SIGTERM
  const summary = demo.lines.find((line) => line.type === 'summary') as unknown as DemoSummary;
  expect(summary).toMatchObject({ interrupted: false, results: { success: 2 }, cancelled: 0 });
  expect(demo.alive()).toEqual([]);
});
