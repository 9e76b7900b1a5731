import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyStateMachine } from 'xstate';
import { toChartGraph } from '../../machines/chartGraph.js';
import { latentWorkerMachine } from '../../machines/latentWorker/machine.js';
import type { Fleet } from '../fleet/types.js';
import { FleetView } from './fleetView.js';

export interface DashboardOptions {
  /** The fleet to show. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any fleet, whatever its props
  fleet: Fleet<any>;
  /** The address to listen on. Anything but loopback shows the fleet to the network. @default '127.0.0.1' */
  host?: string;
  /** @default 0: a free port */
  port?: number;
  /** The page's title. @default 'latent-workers' */
  title?: string;
}

export interface Dashboard {
  /** Where the page is (`http://127.0.0.1:<port>`); `${url}/metrics` is Prometheus text. */
  readonly url: string;
  /** Stops serving: closes every open page's stream and the server. */
  close(): Promise<void>;
}

/** The page's files, built next to the package's code (`dist/dashboard/`). */
const ASSETS = new URL('../../../dashboard/', import.meta.url);
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
  '/page.css': { file: 'page.css', type: 'text/css; charset=utf-8' }
};
/** A comment line that keeps proxies from closing a quiet stream. */
const KEEPALIVE = 15_000;

/**
 * Serves a live view of `fleet`: `GET {url}` is a page that draws the worker statechart from
 * the machine's definition and highlights each worker's state as it moves, with availability
 * and quarantine countdowns, instance names, the queue, recent events and the metrics. The
 * page needs no internet: everything it loads comes from this server. Also `GET {url}/metrics`
 * (Prometheus text), `/state` (JSON) and `/events` (server-sent events).
 *
 * @example
 * ```ts
 * const dashboard = await createDashboard({ fleet });
 * console.log(`open ${dashboard.url}`);
 * ...
 * await dashboard.close();
 * ```
 */
export async function createDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { fleet, host = '127.0.0.1', port = 0, title = 'latent-workers' } = options ?? {};
  if (typeof fleet?.submit !== 'function' || !Array.isArray(fleet.workers)) {
    throw new TypeError('createDashboard: fleet must be a Fleet (see createFleet)');
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`createDashboard: host must be a non-empty string, got ${String(host)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`createDashboard: port must be an integer from 0 to 65535, got ${port}`);
  }
  const view = new FleetView(fleet as Fleet<unknown>);
  const workers: readonly { actor: { logic: AnyStateMachine } }[] = fleet.workers;
  const chart = JSON.stringify({
    title,
    graph: toChartGraph(workers[0]?.actor.logic ?? latentWorkerMachine)
  });
  const streams = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(
        `the dashboard failed: ${error instanceof Error ? error.message : String(error)}\n`
      );
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('only GET and HEAD\n');
      return;
    }
    switch (path) {
      case '/metrics':
        return send(response, fleet.metrics.contentType, await fleet.metrics.metrics());
      case '/chart.json':
        return send(response, 'application/json', chart);
      case '/state':
        return send(response, 'application/json', JSON.stringify(view.state()));
      case '/events':
        return stream(response);
    }
    const asset = FILES[path];
    if (!asset) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`no ${path} here: the page is at /\n`);
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(new URL(asset.file, ASSETS));
    } catch {
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('the page is not built: run `npm run build` in latent-workers\n');
      return;
    }
    send(response, asset.type, body);
  }

  /** The state now, then every batch of changes, as server-sent events. */
  function stream(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive'
    });
    const write = (event: string, data: unknown) =>
      response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    write('state', view.state());
    const unsubscribe = view.subscribe((update) => write('update', update));
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE).unref();
    streams.add(response);
    response.on('close', () => {
      unsubscribe();
      clearInterval(keepalive);
      streams.delete(response);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      view.close();
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `createDashboard: ${host}:${port} is in use; pass another port, or 0 for a free one`,
              { cause: error }
            )
          : error
      );
    });
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        view.close();
        for (const response of streams) response.end();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    }
  };
}

function send(response: ServerResponse, type: string, body: string | Buffer): void {
  response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}
