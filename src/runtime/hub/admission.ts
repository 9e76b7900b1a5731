import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DropCause } from './events.js';

export interface AdmissionOptions {
  maxPendingConnections: number;
  headerTimeout: number;
  maxMessageBytes: number;
  /** The hub serves TLS: it accepts nobody until it has its `secureContext`. */
  tls: boolean;
}

export interface AdmissionListener {
  /** A WebSocket is open: its agent has the hub's `helloTimeout` to say who it is. */
  upgraded(socket: WebSocket, request: IncomingMessage): void;
  dropped(remote: string, cause: DropCause): void;
  acceptFailed(error: NodeJS.ErrnoException): void;
}

/**
 * The hub's front door, from the TCP accept to an open WebSocket. It holds at most
 * `maxPendingConnections` connections that are not attached to a worker yet, destroying the
 * oldest for each one over, so that silent sockets cannot take the file descriptors the
 * orchestrator needs (its agents' processes, its own files); it gives each connection
 * `headerTimeout` to complete the TLS handshake and the upgrade request; and it speaks TLS
 * itself on the raw socket, so that both limits count from the accept, before a byte is read.
 */
export class Admission {
  secureContext: SecureContext | undefined;
  readonly #options: AdmissionOptions;
  readonly #listener: AdmissionListener;
  readonly #server: Server = createTcpServer((socket) => this.#accept(socket));
  readonly #web = createHttpServer((request, response) => {
    // Not an upgrade: nothing here answers plain HTTP.
    response.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
    this.#listener.dropped(remoteOf(request.socket), 'badRequest');
  });
  readonly #sockets: WebSocketServer;
  /** Connections not attached yet, with their header timer (spent once upgraded). */
  readonly #pending = new Map<Duplex, NodeJS.Timeout>();

  constructor(options: AdmissionOptions, listener: AdmissionListener) {
    this.#options = options;
    this.#listener = listener;
    // ws checks a frame's length in its header: a frame over maxPayload closes the socket
    // with 1009 before any of its payload is buffered.
    this.#sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
    this.#server.on('error', (error: NodeJS.ErrnoException) => {
      // Once listening, an error is an accept that failed (EMFILE): the server goes on.
      if (this.#server.listening) listener.acceptFailed(error);
    });
    this.#web.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      clearTimeout(this.#pending.get(socket));
      this.#sockets.handleUpgrade(request, socket, head, (ws) => listener.upgraded(ws, request));
    });
    this.#web.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      // A TLS handshake that failed, a request that is not HTTP or whose headers are too big.
      const remote = remoteOf(socket);
      socket.destroy();
      if (error.code !== 'ECONNRESET') listener.dropped(remote, 'badRequest');
    });
  }

  /** Resolves once listening, rejects if the address cannot be bound. */
  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  /** The bound port. */
  get port(): number | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** Connections accepted and not attached (nor closed) yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The connection of `request` belongs to an attached agent now: it is no longer pending. */
  attached(request: IncomingMessage): void {
    this.#pending.delete(request.socket);
  }

  /** Stops listening and destroys every connection, pending or attached. */
  async close(): Promise<void> {
    for (const socket of this.#pending.keys()) socket.destroy();
    for (const socket of this.#sockets.clients) socket.terminate();
    await new Promise<void>((resolve) => this.#sockets.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(raw: Socket): void {
    const { maxPendingConnections, headerTimeout, tls } = this.#options;
    if (tls && !this.secureContext) return void raw.destroy(); // the hub is still starting
    if (this.#pending.size >= maxPendingConnections) {
      // The oldest goes, not the newcomer: else sockets kept silent, renewed within the header
      // timeout, would keep every agent out. An agent is pending for a round trip or two.
      const oldest = this.#pending.keys().next().value as Duplex;
      const evicted = remoteOf(oldest);
      this.#pending.delete(oldest);
      oldest.destroy();
      this.#listener.dropped(evicted, 'tooManyPending');
    }
    const remote = remoteOf(raw);
    const socket = this.secureContext
      ? new TLSSocket(raw, { isServer: true, secureContext: this.secureContext })
      : raw;
    const timer = setTimeout(() => {
      socket.destroy();
      this.#listener.dropped(remote, 'headerTimeout');
    }, headerTimeout);
    this.#pending.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.#pending.delete(socket);
    });
    this.#web.emit('connection', socket);
  }
}

/** `address:port` of a peer, e.g. `127.0.0.1:51234`. */
export function remoteOf(socket: Duplex): string {
  const { remoteAddress, remotePort } = socket as Partial<Socket>;
  return `${remoteAddress}:${remotePort}`;
}
