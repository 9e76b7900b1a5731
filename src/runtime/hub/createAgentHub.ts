import type { IncomingMessage } from 'node:http';
import { Subject, type Observable } from 'rxjs';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { LatentWorker } from '../createLatentWorker.js';
import { AgentConnection } from './agentConnection.js';
import type { HubEvent } from './events.js';
import { resolveHubOptions, type AgentHubOptions, type ResolvedHubOptions } from './hubOptions.js';
import {
  CloseCode,
  closeReason,
  parseAgentMessage,
  PROTOCOL_VERSION,
  rawText,
  type Welcome
} from '../../protocol.js';

export type { AgentHubOptions } from './hubOptions.js';

/** What the hub needs of a worker: its name, its password check and its attach/detach. */
export type HubWorker = Pick<
  LatentWorker<never>,
  'name' | 'checkPassword' | 'attached' | 'detached' | 'status'
>;

/**
 * The WebSocket server that worker agents dial. It authenticates each agent against the
 * worker's live password, reports the connection to the worker (`attached`/`detached`),
 * keeps it alive with heartbeats, and gives builds a `CommandRunner` through it.
 */
export interface AgentHub {
  /** `ws://host:port`, for the instances to dial. */
  readonly url: string;
  readonly port: number;
  /** Accept agents for this worker. Names are unique within a hub. */
  add(worker: HubWorker): void;
  readonly events$: Observable<HubEvent>;
  /** Stop listening and drop every connection (the workers are told). Idempotent. */
  close(): Promise<void>;
}

/** Starts a hub and resolves once it listens. */
export async function createAgentHub(options: AgentHubOptions = {}): Promise<AgentHub> {
  const hub = new AgentHubServer(resolveHubOptions(options));
  try {
    await hub.listening;
  } catch (error) {
    await hub.close(); // its heartbeat timer would keep the process alive
    throw error;
  }
  return hub;
}

class AgentHubServer implements AgentHub {
  readonly events$: Observable<HubEvent>;
  readonly listening: Promise<void>;
  readonly #options: ResolvedHubOptions;
  readonly #server: WebSocketServer;
  readonly #events = new Subject<HubEvent>();
  readonly #workers = new Map<string, HubWorker>();
  /** The attached connection of each worker, and of each socket. */
  readonly #live = new Map<string, AgentConnection>();
  readonly #connections = new Map<WebSocket, AgentConnection>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed: Promise<void> | undefined;

  constructor(options: ResolvedHubOptions) {
    this.#options = options;
    this.events$ = this.#events.asObservable();
    this.#server = new WebSocketServer({
      host: options.host,
      port: options.port,
      maxPayload: options.maxMessageBytes
    });
    this.listening = new Promise((resolve, reject) => {
      this.#server.once('listening', resolve);
      this.#server.once('error', reject);
    });
    this.#server.on('connection', (socket, request) => this.#greet(socket, request));
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatInterval);
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : this.#options.port;
  }

  get url(): string {
    const { host } = this.#options;
    return `ws://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  add(worker: HubWorker): void {
    if (this.#workers.has(worker.name)) {
      throw new TypeError(`hub.add: a worker named ${worker.name} is already registered`);
    }
    this.#workers.set(worker.name, worker);
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const connection of this.#connections.values()) {
      this.#drop(connection, CloseCode.goingAway, 'the hub is shutting down');
    }
    for (const socket of this.#server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#events.complete();
  }

  /** A new socket: it must say a valid hello in time, then it belongs to its worker. */
  #greet(socket: WebSocket, request: IncomingMessage): void {
    const remote = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
    let verdict: 'pending' | 'checking' | 'refused' | 'attached' = 'pending';
    let claimed: string | undefined;
    const refuse = (code: number, reason: string) => {
      if (verdict === 'refused' || verdict === 'attached') return;
      verdict = 'refused';
      clearTimeout(timer);
      this.#emit({
        type: 'refused',
        remote,
        code,
        reason,
        ...(claimed ? { worker: claimed } : {})
      });
      socket.close(code, closeReason(reason));
    };
    const { helloTimeout } = this.#options;
    const timer = setTimeout(
      () => refuse(CloseCode.helloTimeout, `no hello within ${helloTimeout} ms`),
      helloTimeout
    );
    socket.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself after a protocol error (1002) or an oversized frame (1009).
      const code = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CloseCode.tooBig : 1002;
      const connection = this.#connections.get(socket);
      if (connection) this.#drop(connection, code, error.message);
      else refuse(code, error.message);
    });
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      const connection = this.#connections.get(socket);
      const text = reason.toString() || 'closed by the agent';
      if (connection) this.#drop(connection, code, text);
      else refuse(code, `${text} before attaching`);
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const message = isBinary ? undefined : parseAgentMessage(rawText(data));
      const connection = this.#connections.get(socket);
      if (connection && (message?.type === 'output' || message?.type === 'exit')) {
        connection.receive(message);
      } else if (connection) {
        socket.close(CloseCode.malformed, 'malformed message');
        this.#drop(connection, CloseCode.malformed, 'malformed message');
      } else if (verdict !== 'pending' || message?.type !== 'hello') {
        refuse(CloseCode.malformed, 'the first message must be a hello, alone');
      } else {
        verdict = 'checking';
        claimed = message.worker;
        void this.#authenticate(socket, message, remote, refuse).then((attached) => {
          if (!attached) return;
          verdict = 'attached';
          clearTimeout(timer);
        });
      }
    });
  }

  async #authenticate(
    socket: WebSocket,
    hello: { version: number; worker: string; password: string },
    remote: string,
    refuse: (code: number, reason: string) => void
  ): Promise<boolean> {
    const name = hello.worker;
    if (hello.version !== PROTOCOL_VERSION) {
      refuse(
        CloseCode.malformed,
        `protocol ${hello.version} not spoken (hub: ${PROTOCOL_VERSION})`
      );
      return false;
    }
    const worker = this.#workers.get(name);
    if (!worker) {
      refuse(CloseCode.unauthorized, `unknown worker ${name}`);
      return false;
    }
    if (!worker.checkPassword(hello.password)) {
      refuse(CloseCode.unauthorized, `wrong password for worker ${name}`);
      return false;
    }
    const current = this.#live.get(name);
    if (current) {
      // Buildbot's rule: the first connection wins while it still answers a ping.
      if (await current.answersPing(this.#options.heartbeatInterval)) {
        refuse(CloseCode.duplicate, `worker ${name} is already connected from ${current.remote}`);
        return false;
      }
      current.socket.terminate();
      this.#drop(current, CloseCode.heartbeatMissed, 'replaced: no answer to a ping');
    }
    if (socket.readyState !== socket.OPEN) return false;
    const connection = new AgentConnection(socket, name, remote);
    try {
      connection.hold();
      worker.attached(connection);
    } catch (error) {
      refuse(CloseCode.refused, error instanceof Error ? error.message : String(error));
      return false;
    } finally {
      connection.release();
    }
    this.#live.set(name, connection);
    this.#connections.set(socket, connection);
    const welcome: Welcome = {
      type: 'welcome',
      heartbeatInterval: this.#options.heartbeatInterval
    };
    socket.send(JSON.stringify(welcome));
    this.#emit({ type: 'connected', worker: name, remote });
    return true;
  }

  #beat(): void {
    for (const connection of this.#connections.values()) {
      if (connection.heartbeat()) continue;
      connection.socket.terminate();
      this.#drop(connection, CloseCode.heartbeatMissed, 'two heartbeats missed');
    }
  }

  /** The connection is over: its commands fail, its worker is told, once. */
  #drop(connection: AgentConnection, code: number, reason: string): void {
    if (!this.#connections.delete(connection.socket)) return;
    if (this.#live.get(connection.worker) === connection) this.#live.delete(connection.worker);
    connection.lose(reason);
    const worker = this.#workers.get(connection.worker);
    // A retired worker's actor is stopped: it has nothing left to detach.
    if (worker && worker.status.state !== 'shutDown') worker.detached(connection);
    this.#emit({
      type: 'disconnected',
      worker: connection.worker,
      remote: connection.remote,
      code,
      reason
    });
  }

  #emit(event: HubEvent): void {
    this.#events.next(event);
  }
}
