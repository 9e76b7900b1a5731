/**
 * What a connection costs the agent hub before it attaches: heap and file descriptors per
 * pending connection (silent sockets held at the cap, plain and TLS), and the hub's footprint
 * during 10,000 wrong passwords (50 at a time) with the lock-out on. The clients run in a child
 * process, so that this process's figures are the hub's alone. Plain node on the build:
 * `npx tsc -p tsconfig.build.json && node dist/bench/hub-admission.js` (BENCH_PENDING=n).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocket } from 'ws';
import { createAgentHub, type AgentHubOptions } from '../src/process.js';

type Order = { open: number; port: number } | { guess: number; url: string } | { close: true };

if (process.argv[2] === 'clients') {
  // The child: opens silent sockets, or guesses passwords, as the parent orders.
  let open: ReturnType<typeof connect>[] = [];
  process.on('message', (order: Order) => {
    void (async () => {
      if ('open' in order) {
        const { port } = order;
        const sockets = Array.from({ length: order.open }, () => connect(port, '127.0.0.1'));
        for (const socket of sockets) socket.on('error', () => undefined);
        await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('connect', resolve))));
        open.push(...sockets);
      } else if ('guess' in order) {
        for (let i = 0; i < order.guess; i += 50) {
          await Promise.all(Array.from({ length: 50 }, () => guess(order.url)));
        }
      } else {
        for (const socket of open) socket.destroy();
        open = [];
      }
      process.send!('done');
    })();
  });
} else {
  await measure();
}

/** One wrong password; resolves when the hub has closed the socket. */
function guess(url: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { rejectUnauthorized: false });
    socket.on('error', () => undefined);
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'hello', version: 1, worker: 'w1', password: 'guess' }))
    );
    socket.on('close', () => resolve());
  });
}

async function measure(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const footprint = () => {
    gc();
    gc();
    return { heap: process.memoryUsage().heapUsed, fds: readdirSync('/proc/self/fd').length };
  };
  const clients = fork(fileURLToPath(import.meta.url), ['clients']);
  const order = (message: Order) => ask(clients, message);
  const pending = Number(process.env.BENCH_PENDING ?? 1_000);

  for (const [name, tls] of [
    ['plain', undefined],
    ['tls', { selfSigned: true }]
  ] as const) {
    const options: AgentHubOptions = { maxPendingConnections: pending, headerTimeout: 60_000 };
    const hub = await createAgentHub({ ...options, ...(tls ? { tls } : {}) });
    // Warm-up: the same connections once, so that the code they run is loaded.
    await order({ open: pending, port: hub.port });
    while (hub.pendingConnections < pending) await sleep(10);
    await order({ close: true });
    while (hub.pendingConnections > 0) await sleep(10);
    const before = footprint();
    await order({ open: pending, port: hub.port });
    while (hub.pendingConnections < pending) await sleep(10);
    const held = footprint();
    console.log(
      `${name}: ${pending} silent pending connections: ` +
        `${Math.round((held.heap - before.heap) / pending)} B of heap and ` +
        `${((held.fds - before.fds) / pending).toFixed(2)} descriptors each`
    );
    await order({ close: true });
    await hub.close();
  }

  const hub = await createAgentHub({ lockout: { after: 3, base: 100, max: 1_000 } });
  let refused = 0;
  let checked = 0;
  hub.events$.subscribe((e) => {
    if (e.type !== 'refused') return;
    refused++;
    if (e.cause !== 'lockedOut') checked++; // no worker is added: an unknown one, checked alike
  });
  await order({ guess: 500, url: hub.url }); // warm-up
  while (hub.pendingConnections > 0) await sleep(10);
  const before = footprint();
  // Samples taken while guesses are in flight (a GC each): heap and descriptors per pending one.
  const samples: { pending: number; heap: number; fds: number }[] = [];
  let running = true;
  const sampling = (async () => {
    while (running) {
      await sleep(100);
      const pending = hub.pendingConnections;
      const now = footprint();
      if (pending > 0)
        samples.push({ pending, heap: now.heap - before.heap, fds: now.fds - before.fds });
    }
  })();
  const began = performance.now();
  await order({ guess: 10_000, url: hub.url });
  const elapsed = performance.now() - began;
  running = false;
  await sampling;
  while (hub.pendingConnections > 0) await sleep(10);
  const after = footprint();
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1] ?? NaN;
  console.log(
    `10,000 wrong passwords in ${Math.round(elapsed)} ms (${Math.round(10_000 / (elapsed / 1000))}/s): ` +
      `${checked} checked, ${refused - checked} locked out (warm-up included). In flight, ` +
      `median of ${samples.length} samples: ${median(samples.map((s) => s.pending))} pending, ` +
      `${Math.round(median(samples.map((s) => s.heap)) / 1024)} KiB of heap above the start, ` +
      `${median(samples.map((s) => s.fds / s.pending)).toFixed(2)} descriptors each. After: ` +
      `${Math.round((after.heap - before.heap) / 1024)} KiB of heap, ${after.fds - before.fds} descriptors`
  );
  await hub.close();
  clients.kill();
}

function ask(child: ChildProcess, message: Order): Promise<void> {
  return new Promise((resolve) => {
    child.once('message', () => resolve());
    child.send(message);
  });
}
