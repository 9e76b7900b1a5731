import { request, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ControllableProvider,
  createDashboard,
  createFleet,
  createLatentWorker,
  type FleetViewState,
  type FleetViewUpdate,
  type LatentWorker
} from '../../../src/index.js';
import { freePort } from '../../support/ports.js';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function started(options: { host?: string; port?: number } = {}) {
  const provider = new ControllableProvider({ autoStop: true });
  const worker = createLatentWorker({ name: 'w1', provider, buildWaitTimeout: 0 });
  provider.bind(worker);
  const fleet = createFleet({ workers: [worker] });
  open.push({ close: () => fleet.shutdown({ fast: true }) });
  const dashboard = await createDashboard({ fleet, ...options });
  open.push(dashboard);
  return { provider, worker, fleet, dashboard };
}

/** Resolves when the worker's provider start has been called. */
function startCalled(worker: LatentWorker): Promise<void> {
  return new Promise<void>((resolve) => {
    const subscription = worker.events$.subscribe((event) => {
      if (event.type === 'provider' && event.call === 'start' && event.phase === 'begin') {
        subscription.unsubscribe();
        resolve();
      }
    });
  });
}

async function get(url: string, method = 'GET') {
  const response = await fetch(url, { method });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: await response.text()
  };
}

/** Reads server-sent events off `url` until `until` says it has seen enough. */
function readEvents(
  url: string,
  until: (events: { event: string; data: unknown }[]) => boolean
): Promise<{ event: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: unknown }[] = [];
    const req = request(url, (response: IncomingMessage) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
        if (until(events)) {
          req.destroy();
          resolve(events);
        }
      });
      response.on('end', () => resolve(events));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createDashboard', () => {
  it('listens on loopback at a free port by default, and on the port given', async () => {
    const { dashboard } = await started();
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = await freePort();
    const second = await started({ port });
    expect(second.dashboard.url).toBe(`http://127.0.0.1:${port}`);
    expect((await get(`${second.dashboard.url}/state`)).status).toBe(200);
  });

  it('refuses a taken port with a clear error, and bad options with a TypeError', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => taken.close(() => resolve())) });
    const { port } = taken.address() as { port: number };
    await expect(started({ port })).rejects.toThrow(
      `createDashboard: 127.0.0.1:${port} is in use; pass another port, or 0 for a free one`
    );
    const { fleet } = await started();
    await expect(createDashboard({ fleet, port: 70_000 })).rejects.toThrow(TypeError);
    await expect(createDashboard({ fleet, port: 1.5 })).rejects.toThrow(/port must be an integer/);
    await expect(createDashboard({ fleet, host: '' })).rejects.toThrow(/host must be/);
    await expect(createDashboard({ fleet: {} as never })).rejects.toThrow(/fleet must be a Fleet/);
  });

  it('serves Prometheus text at /metrics and the state as JSON at /state', async () => {
    const { dashboard, fleet, provider, worker } = await started();
    fleet.submit({ run: async () => {} });
    await startCalled(worker);
    const metrics = await get(`${dashboard.url}/metrics`);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('latent_workers_instances{state="substantiating"} 1');
    const state = JSON.parse((await get(`${dashboard.url}/state`)).body) as FleetViewState;
    expect(state.workers).toEqual([
      expect.objectContaining({
        name: 'w1',
        state: 'substantiating',
        availability: 'available',
        active: expect.arrayContaining(['instance', 'instance.substantiating']) as unknown,
        instance: expect.objectContaining({ generation: 1 }) as unknown
      })
    ]);
    expect(state.queue).toEqual({ length: 0, first: [] });
    expect(state.events.map((e) => e.text)).toContain('build #1 → w1 (attempt 1, idle)');
    provider.completeStart(true);
  });

  it('streams the state, then each batch of changes, as server-sent events', async () => {
    const { dashboard, fleet, provider, worker } = await started();
    const seen = readEvents(`${dashboard.url}/events`, (events) =>
      events.some(
        (e) =>
          e.event === 'update' &&
          (e.data as FleetViewUpdate).events.some(
            (line) => line.text === 'build #1 success (completed)'
          )
      )
    );
    // The stream has begun once the first event is there; then the worker moves.
    await readEvents(`${dashboard.url}/events`, (events) => events.length > 0);
    fleet.submit({ run: async () => {} });
    await startCalled(worker);
    provider.completeStart(true);
    const events = await seen;
    expect(events[0]!.event).toBe('state');
    expect((events[0]!.data as FleetViewState).workers[0]!.state).toBe('idle');
    const updates = events.slice(1).map((e) => e.data as FleetViewUpdate);
    expect(updates.flatMap((u) => u.events.map((e) => e.text))).toEqual(
      expect.arrayContaining([
        'idle → substantiating',
        'start ok',
        'substantiating → substantiated'
      ])
    );
    // Each update carries the workers that moved, as they are when it is sent.
    expect(updates.flatMap((u) => u.workers.map((w) => w.name))).toContain('w1');
  });

  it('answers 404 for unknown paths, 405 for other methods, and says when the page is not built', async () => {
    const { dashboard } = await started();
    expect((await get(`${dashboard.url}/nothing`)).status).toBe(404);
    expect((await get(`${dashboard.url}/state`, 'POST')).status).toBe(405);
    // These tests run the sources, whose page is built only into dist/.
    const page = await get(dashboard.url);
    expect([200, 503]).toContain(page.status);
    if (page.status === 503) expect(page.body).toContain('npm run build');
    const chart = JSON.parse((await get(`${dashboard.url}/chart.json`)).body) as {
      graph: { states: { id: string }[] };
    };
    expect(chart.graph.states.map((s) => s.id)).toContain('instance.substantiated');
  });

  it('closes open streams and stops listening on close()', async () => {
    const { dashboard } = await started();
    const stream = readEvents(`${dashboard.url}/events`, () => false);
    await readEvents(`${dashboard.url}/events`, (events) => events.length > 0);
    await dashboard.close();
    expect((await stream).map((e) => e.event)).toEqual(['state']);
    await expect(fetch(`${dashboard.url}/state`)).rejects.toThrow();
  });
});
