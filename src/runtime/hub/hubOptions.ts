import { isLoopback } from '../../protocol.js';
import { parseHubUrl, type AdvertisedUrl } from './hubUrl.js';
import type { LockoutSettings } from './lockout.js';

/**
 * The certificate the hub serves `wss://` with: a key and certificate of your own (PEM; `cert`
 * may hold the chain, leaf first), or one generated at start-up for this hub alone, which the
 * agents pin by its fingerprint (`hub.fingerprint`, `LATENT_HUB_FINGERPRINT`).
 */
export type HubTlsOptions =
  | { key: string | Buffer; cert: string | Buffer }
  | {
      selfSigned: true;
      /** Names the certificate is valid for, besides the advertised host and loopback. */
      hostnames?: string[];
    };

/** Back-off after failed authentications, for each remote address and each claimed worker. */
export interface LockoutOptions {
  /** Consecutive failures before the first lock. @default 5 */
  after?: number;
  /** The first lock, ms; each further failure doubles it. @default 1_000 */
  base?: number;
  /** The longest lock, ms. @default 300_000 */
  max?: number;
}

export interface AgentHubOptions {
  /** Interface to listen on. @default '127.0.0.1' (loopback only) */
  host?: string;
  /** 0 picks a free port; read it back from `hub.port`. @default 0 */
  port?: number;
  /**
   * The URL the instances dial (`hub.url`), when it is not the address the hub listens on: a
   * name behind NAT, a container network, a proxy. A function receives the bound address.
   * @default `ws://host:port` (`wss` with `tls`); for a wildcard `host` (`0.0.0.0`, `::`), this
   * machine's host name instead
   */
  advertisedUrl?: AdvertisedUrl;
  /** Serve `wss://`. Required for a `host` that is not loopback, unless `allowPlaintext`. */
  tls?: HubTlsOptions;
  /**
   * Let agents send their passwords unencrypted across the network: a `host` or an
   * `advertisedUrl` that is not loopback without `tls`. @default false
   */
  allowPlaintext?: boolean;
  /** Ping period; two missed pongs end a connection. @default 10_000 */
  heartbeatInterval?: number;
  /** Largest message accepted; a bigger one closes the connection (1009). @default 1 MiB */
  maxMessageBytes?: number;
  /**
   * Time from the TCP accept to the WebSocket upgrade (the TLS handshake and the HTTP
   * request); a connection still without one is destroyed. @default 5_000
   */
  headerTimeout?: number;
  /** Time an agent has to say hello after the upgrade. @default 10_000 */
  helloTimeout?: number;
  /**
   * Connections accepted but not yet attached to a worker. Over the cap, the oldest of them is
   * destroyed for each new one (a `dropped` event), so that silent sockets can neither use up
   * this process's file descriptors nor keep the agents out. @default 128
   */
  maxPendingConnections?: number;
  /** Lock-out of addresses and worker names after failed authentications. */
  lockout?: LockoutOptions;
}

export interface ResolvedHubOptions {
  host: string;
  port: number;
  advertisedUrl: AdvertisedUrl | undefined;
  tls: HubTlsOptions | undefined;
  allowPlaintext: boolean;
  heartbeatInterval: number;
  maxMessageBytes: number;
  headerTimeout: number;
  helloTimeout: number;
  maxPendingConnections: number;
  lockout: LockoutSettings;
}

/** Fills in the defaults and rejects bad values with a `TypeError` naming the option. */
export function resolveHubOptions(options: AgentHubOptions): ResolvedHubOptions {
  const resolved: ResolvedHubOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    advertisedUrl: options.advertisedUrl,
    tls: options.tls,
    allowPlaintext: options.allowPlaintext ?? false,
    heartbeatInterval: options.heartbeatInterval ?? 10_000,
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
    headerTimeout: options.headerTimeout ?? 5_000,
    helloTimeout: options.helloTimeout ?? 10_000,
    maxPendingConnections: options.maxPendingConnections ?? 128,
    lockout: {
      after: options.lockout?.after ?? 5,
      base: options.lockout?.base ?? 1_000,
      max: options.lockout?.max ?? 300_000
    }
  };
  const positive = [
    'heartbeatInterval',
    'maxMessageBytes',
    'headerTimeout',
    'helloTimeout'
  ] as const;
  for (const key of positive) positiveNumber(key, resolved[key]);
  positiveNumber('lockout.base', resolved.lockout.base);
  positiveNumber('lockout.max', resolved.lockout.max);
  positiveInteger('maxPendingConnections', resolved.maxPendingConnections);
  positiveInteger('lockout.after', resolved.lockout.after);
  if (resolved.lockout.max < resolved.lockout.base) {
    fail(`lockout.max (${resolved.lockout.max}) must not be below lockout.base`);
  }
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65_535) {
    fail(`port must be 0..65535, got ${resolved.port}`);
  }
  if (typeof resolved.host !== 'string' || resolved.host === '') {
    fail(`host must be a non-empty string, got ${String(resolved.host)}`);
  }
  if (typeof resolved.allowPlaintext !== 'boolean') {
    fail(`allowPlaintext must be a boolean, got ${String(resolved.allowPlaintext)}`);
  }
  checkTls(resolved.tls);
  const { advertisedUrl } = resolved;
  if (typeof advertisedUrl === 'string') checkAdvertisedUrl(resolved, advertisedUrl);
  else if (advertisedUrl !== undefined && typeof advertisedUrl !== 'function') {
    fail('advertisedUrl must be a ws:// or wss:// URL or a function returning one');
  }
  if (!isLoopback(resolved.host) && !resolved.tls && !resolved.allowPlaintext) {
    fail(
      `host ${resolved.host} is not loopback: agents would send their passwords across the ` +
        'network in plain text. Give tls (e.g. { selfSigned: true }), or allowPlaintext: true'
    );
  }
  return resolved;
}

/**
 * `hub.url` must be a WebSocket URL; `ws://` to another machine sends passwords in plain
 * text (opt-in only), and cannot reach a hub that serves TLS. A `wss://` URL for a plain hub
 * is a TLS-terminating proxy in front of it.
 */
export function checkAdvertisedUrl(options: ResolvedHubOptions, text: string): void {
  const url = parseHubUrl(text);
  if (url.protocol === 'ws:' && options.tls) {
    fail(`advertisedUrl ${text} is ws:// but the hub serves TLS: use wss://`);
  }
  if (url.protocol === 'ws:' && !isLoopback(url.hostname) && !options.allowPlaintext) {
    fail(
      `advertisedUrl ${text} is ws:// to another machine: agents would send their ` +
        'passwords in plain text. Give tls and a wss:// URL, or allowPlaintext: true'
    );
  }
}

function checkTls(tls: unknown): void {
  if (tls === undefined) return;
  const given = (typeof tls === 'object' && tls !== null ? tls : {}) as Partial<
    Record<'key' | 'cert' | 'selfSigned' | 'hostnames', unknown>
  >;
  const pem = (value: unknown) => typeof value === 'string' || Buffer.isBuffer(value);
  const name = (value: unknown) => typeof value === 'string' && value !== '';
  if (given.selfSigned === true) {
    const { hostnames = [] } = given;
    if (!Array.isArray(hostnames) || !hostnames.every(name)) {
      fail('tls.hostnames must be an array of host names or addresses');
    }
  } else if (!pem(given.key) || !pem(given.cert)) {
    fail('tls must be { key, cert } (PEM strings or Buffers) or { selfSigned: true }');
  }
}

function positiveNumber(key: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(`${key} must be a positive number, got ${String(value)}`);
  }
}

function positiveInteger(key: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    fail(`${key} must be a positive integer, got ${String(value)}`);
  }
}

function fail(message: string): never {
  throw new TypeError(`createAgentHub: ${message}`);
}
