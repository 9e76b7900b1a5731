import { once } from 'node:events';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import type { InspectionObserver } from '../index.js';

/** The Stately inspector's UI: hosted only, so the page needs internet. */
export const INSPECTOR_UI = 'https://stately.ai/inspect';

/** How many of the latest inspection events a late browser is sent, besides every actor. */
const REPLAYED_EVENTS = 1_000;

/** The inspector's port cannot be listened on (taken, or not ours to take). */
export class InspectorUnavailable extends Error {}

export interface Inspector {
  /** The page to open in a browser: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** For the workers' actors (`createLatentWorker({ inspect })`). */
  readonly inspect: InspectionObserver;
  close(): Promise<void>;
}

/**
 * The Stately inspector on loopback: a page (at `url`) that frames the hosted inspector UI and
 * feeds it, over a WebSocket, the inspection events of the actors `inspect` observes. A browser
 * that connects late is sent every actor and the latest events first.
 *
 * Not `createInspectorServer` from `@statelyai/inspect/server`: it listens on every interface,
 * cannot take a free port (its page names the port it was given), and its listen error is
 * unhandled (a taken port crashes). Nor `createWebSocketInspector`: the events are in this
 * process already, and its reconnect timer outlives its `stop()`.
 */
export async function openInspector(port: number): Promise<Inspector> {
  const { createInspector } = await import('@statelyai/inspect');
  const http = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(PAGE);
  });
  http.listen({ host: '127.0.0.1', port });
  try {
    await once(http, 'listening');
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    throw new InspectorUnavailable(
      `the inspector cannot listen on 127.0.0.1:${port} (${code === 'EADDRINUSE' ? 'the port is taken' : code}): ` +
        'give another port (--inspect <port>), or none for a free one'
    );
  }
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  const wss = new WebSocketServer({
    server: http,
    // Any web page may open a WebSocket to loopback: only ours (or a non-browser client) reads.
    verifyClient: ({ origin }: { origin?: string }) => !origin || origin === url
  });
  const actors: string[] = [];
  const recent: string[] = [];
  wss.on('connection', (socket) => {
    for (const message of [...actors, ...recent]) socket.send(message);
  });
  const inspector = createInspector({
    send(event) {
      const message = JSON.stringify(event);
      if (event.type === '@xstate.actor') actors.push(message);
      else if (recent.push(message) > REPLAYED_EVENTS) recent.shift();
      for (const client of wss.clients) client.send(message);
    }
  });
  return {
    url,
    inspect: inspector.inspect,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  };
}

// Frames the hosted UI and posts it each event once it says it is listening, as the page of
// `@statelyai/inspect/server` does; the WebSocket is this page's own host, whatever its port.
const PAGE = `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <title>latent-workers: Stately inspector</title>
  <style>
    html, body { height: 100%; margin: 0; font: 14px system-ui, sans-serif; }
    body { display: flex; flex-direction: column; }
    p { margin: 0; padding: 6px 10px; background: #fff3cd; }
    iframe { flex: 1; border: 0; }
  </style>
</head>
<body>
  <p>The inspector below is loaded from ${INSPECTOR_UI} and needs internet; if it stays blank,
  you are offline: run the demo with <code>--ui</code> for its own live page instead.</p>
  <iframe src="${INSPECTOR_UI}"></iframe>
  <script>
    const ui = document.querySelector('iframe').contentWindow;
    const early = [];
    let listening = false;
    addEventListener('message', ({ data }) => {
      if (data?.type !== '@statelyai.connected') return;
      listening = true;
      for (const event of early.splice(0)) ui.postMessage(event, '*');
    });
    new WebSocket('ws://' + location.host).onmessage = ({ data }) => {
      const event = JSON.parse(data);
      if (listening) ui.postMessage(event, '*');
      else early.push(event);
    };
  </script>
</body>
</html>
`;
