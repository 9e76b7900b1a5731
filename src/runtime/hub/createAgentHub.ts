import type { IncomingMessage } from 'node:http';
import { Subject, type Observable } from 'rxjs';
import type { RawData, WebSocket } from 'ws';
import type { LatentWorker } from '../createLatentWorker.js';
import { Admission, remoteOf } from './admission.js';
import { AgentConnection } from './agentConnection.js';
import type { HubEvent, RefusalCause } from './events.js';
import {
  checkAdvertisedUrl,
  resolveHubOptions,
  type AgentHubOptions,
  type ResolvedHubOptions
} from './hubOptions.js';
import { advertisedUrl } from './hubUrl.js';
import { Lockout } from './lockout.js';
import { servedCertificate } from './tls.js';
import {
  CloseCode,
  closeReason,
  parseAgentMessage,
  PROTOCOL_VERSION,
  rawText,
  type Welcome
} from '../../protocol.js';

export type { AgentHubOptions, HubTlsOptions, LockoutOptions } from './hubOptions.js';
export type { AdvertisedUrl } from './hubUrl.js';

/** Closes a connection that did not attach: `reason` goes to the event, `told` to the agent. */
type Refuse = (code: number, cause: RefusalCause, reason: string, told?: string) => void;

/** What an agent that failed to authenticate is told, whatever the reason. */
const AUTHENTICATION_FAILED = 'authentication failed';
const TRY_LATER = 'too many failed authentications: try again later';

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
  /** The URL the instances dial (`advertisedUrl`), `ws://` or `wss://`. */
  readonly url: string;
  readonly port: number;
  /**
   * The SHA-256 fingerprint of the certificate the hub serves (`AB:CD:...`), for the agents to
   * pin (`LATENT_HUB_FINGERPRINT`); `undefined` without `tls`.
   */
  readonly fingerprint: string | undefined;
  /** Connections accepted and not attached to a worker yet (at most `maxPendingConnections`). */
  readonly pendingConnections: number;
  /** Accept agents for this worker. Names are unique within a hub. */
  add(worker: HubWorker): void;
  readonly events$: Observable<HubEvent>;
  /** Stop listening and drop every connection (the workers are told). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a hub and resolves once it listens (and, with `tls: { selfSigned: true }`, has made
 * its certificate). Rejects with a `TypeError` naming the option that is wrong, and for a
 * `host` beyond loopback without `tls` unless `allowPlaintext`.
 */
export async function createAgentHub(options: AgentHubOptions = {}): Promise<AgentHub> {
  const hub = new AgentHubServer(resolveHubOptions(options));
  try {
    await hub.start();
  } catch (error) {
    await hub.close(); // its heartbeat timer would keep the process alive
    throw error;
  }
  return hub;
}

class AgentHubServer implements AgentHub {
  readonly events$: Observable<HubEvent>;
  readonly #options: ResolvedHubOptions;
  readonly #admission: Admission;
  readonly #lockout: Lockout;
  readonly #events = new Subject<HubEvent>();
  readonly #workers = new Map<string, HubWorker>();
  /** The attached connection of each worker, and of each socket. */
  readonly #live = new Map<string, AgentConnection>();
  readonly #connections = new Map<WebSocket, AgentConnection>();
  readonly #heartbeat: NodeJS.Timeout;
  #url = '';
  #fingerprint: string | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: ResolvedHubOptions) {
    this.#options = options;
    this.events$ = this.#events.asObservable();
    this.#lockout = new Lockout(options.lockout);
    this.#admission = new Admission(
      { ...options, tls: options.tls !== undefined },
      {
        upgraded: (socket, request) => this.#greet(socket, request),
        dropped: (remote, cause) => this.#emit({ type: 'dropped', remote, cause }),
        acceptFailed: ({ code, message }) => this.#emit({ type: 'acceptFailed', code, message })
      }
    );
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatInterval);
  }

  /** Listens, then settles the URL and, for TLS, the certificate (made for that URL's host). */
  async start(): Promise<void> {
    const { host, port, tls } = this.#options;
    await this.#admission.listen(port, host);
    this.#url = advertisedUrl(this.#options.advertisedUrl, { host, port: this.port }, !!tls);
    checkAdvertisedUrl(this.#options, this.#url);
    if (!tls) return;
    const served = await servedCertificate(tls, new URL(this.#url).hostname);
    this.#admission.secureContext = served.context;
    this.#fingerprint = served.fingerprint;
  }

  get port(): number {
    return this.#admission.port ?? this.#options.port;
  }

  get url(): string {
    return this.#url;
  }

  get fingerprint(): string | undefined {
    return this.#fingerprint;
  }

  get pendingConnections(): number {
    return this.#admission.pending;
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
    await this.#admission.close();
    this.#events.complete();
  }

  /** A new socket: it must say a valid hello in time, then it belongs to its worker. */
  #greet(socket: WebSocket, request: IncomingMessage): void {
    const remote = remoteOf(request.socket);
    let verdict: 'pending' | 'checking' | 'refused' | 'attached' = 'pending';
    let claimed: string | undefined;
    const refuse: Refuse = (code, cause, reason, told = reason) => {
      if (verdict === 'refused' || verdict === 'attached') return;
      verdict = 'refused';
      clearTimeout(timer);
      this.#emit({
        type: 'refused',
        remote,
        code,
        cause,
        reason,
        ...(claimed ? { worker: claimed } : {})
      });
      socket.close(code, closeReason(told));
    };
    const { helloTimeout } = this.#options;
    const timer = setTimeout(
      () => refuse(CloseCode.helloTimeout, 'helloTimeout', `no hello within ${helloTimeout} ms`),
      helloTimeout
    );
    socket.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket itself after a protocol error (1002) or an oversized frame (1009).
      const tooBig = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      const code = tooBig ? CloseCode.tooBig : 1002;
      const connection = this.#connections.get(socket);
      if (connection) this.#drop(connection, code, error.message);
      else refuse(code, tooBig ? 'tooBig' : 'protocolError', error.message);
    });
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      const connection = this.#connections.get(socket);
      const text = reason.toString() || 'closed by the agent';
      if (connection) this.#drop(connection, code, text);
      else refuse(code, 'closed', `${text} before attaching`);
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
        refuse(CloseCode.malformed, 'malformed', 'the first message must be a hello, alone');
      } else {
        verdict = 'checking';
        claimed = message.worker;
        void this.#authenticate(socket, request, message, refuse).then((attached) => {
          if (!attached) return;
          verdict = 'attached';
          clearTimeout(timer);
        });
      }
    });
  }

  async #authenticate(
    socket: WebSocket,
    request: IncomingMessage,
    hello: { version: number; worker: string; password: string },
    refuse: Refuse
  ): Promise<boolean> {
    const name = hello.worker;
    if (hello.version !== PROTOCOL_VERSION) {
      refuse(
        CloseCode.malformed,
        'malformed',
        `protocol ${hello.version} not spoken (hub: ${PROTOCOL_VERSION})`
      );
      return false;
    }
    const remote = remoteOf(request.socket);
    const address = request.socket.remoteAddress ?? remote;
    const lock = this.#lockout.lockOf(address, name);
    if (lock) {
      const { scope, key, duration } = lock;
      const reason = `${scope} ${key} locked out for ${Math.ceil(duration)} ms`;
      refuse(CloseCode.tryLater, 'lockedOut', reason, TRY_LATER);
      return false;
    }
    const worker = this.#workers.get(name);
    if (!worker?.checkPassword(hello.password)) {
      const [cause, reason] = worker
        ? (['wrongPassword', `wrong password for worker ${name}`] as const)
        : (['unknownWorker', `unknown worker ${name}`] as const);
      refuse(CloseCode.unauthorized, cause, reason, AUTHENTICATION_FAILED);
      for (const locked of this.#lockout.failed(address, name)) {
        this.#emit({ type: 'lockedOut', remote, ...locked });
      }
      return false;
    }
    this.#lockout.succeeded(address, name);
    // Buildbot's rule: the first connection wins while it still answers a ping.
    for (let live = this.#live.get(name); live; live = this.#live.get(name)) {
      if (await live.answersPing(this.#options.heartbeatInterval)) {
        const reason = `worker ${name} is already connected from ${live.remote}`;
        refuse(CloseCode.duplicate, 'duplicate', reason);
        return false;
      }
      // Checks that shared the ping find the connection gone, or another one to check.
      if (this.#live.get(name) !== live) continue;
      live.socket.terminate();
      this.#drop(live, CloseCode.heartbeatMissed, 'replaced: no answer to a ping');
    }
    if (socket.readyState !== socket.OPEN) return false;
    const connection = new AgentConnection(socket, name, remote);
    try {
      connection.hold();
      worker.attached(connection);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      refuse(CloseCode.refused, 'rejected', reason);
      return false;
    } finally {
      connection.release();
    }
    this.#admission.attached(request);
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
    this.#lockout.sweep();
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
