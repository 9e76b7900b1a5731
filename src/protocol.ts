/**
 * The wire protocol between the agent hub and `latent-agent`, the one module both import:
 * JSON text frames over one WebSocket. The agent speaks first (`hello`); the hub answers
 * `welcome` or closes the socket with one of {@link CloseCode}. Heartbeats are WebSocket
 * ping/pong frames, not messages.
 */

import { isIPv4 } from 'node:net';

export const PROTOCOL_VERSION = 1;

/**
 * Whether `host` (a name or address, IPv6 with or without brackets) is this machine only: the
 * one place a password may travel in plain text (`ws://`) without an opt-in, for the hub that
 * listens and for the agent that dials alike.
 */
export function isLoopback(host: string): boolean {
  const bare = unbracket(host).toLowerCase();
  if (bare === 'localhost') return true;
  if (isIPv4(bare)) return bare.startsWith('127.');
  return bare === '::1' || /^::ffff:127\./.test(bare);
}

/** A URL's host as an address: IPv6 without its brackets. */
export function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** Close codes: 4xxx are the hub's own, named after the HTTP status they resemble. */
export const CloseCode = {
  /** The worker let go of the connection (idle stop, replaced): the agent should exit. */
  released: 4000,
  malformed: 4400,
  /**
   * Authentication failed: an unknown worker or a wrong password, on purpose the same code and
   * reason, so that a scanner learns nothing about which workers exist.
   */
  unauthorized: 4401,
  /** The worker's lifecycle refused the attach (not substantiating). */
  refused: 4403,
  helloTimeout: 4408,
  /** Another connection of this worker is alive. */
  duplicate: 4409,
  heartbeatMissed: 4410,
  /** Too many failed attempts from this address or for this worker: try again later. */
  tryLater: 4429,
  /** The standard codes `ws` uses for an oversized frame and for a server going away. */
  tooBig: 1009,
  goingAway: 1001
} as const;

/** Codes after which dialling again cannot help: the agent exits. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.released,
  CloseCode.malformed,
  CloseCode.unauthorized,
  CloseCode.refused
]);

export interface Hello {
  type: 'hello';
  version: number;
  worker: string;
  password: string;
}

export interface CommandOutput {
  type: 'output';
  id: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** The command ended: an exit code or a signal, or `error` when it could not be spawned. */
export interface CommandExit {
  type: 'exit';
  id: number;
  exitCode: number | null;
  signal: string | null;
  error?: string;
}

export type AgentMessage = Hello | CommandOutput | CommandExit;

export interface Welcome {
  type: 'welcome';
  /** The hub pings this often: an agent that hears nothing for longer knows the hub is gone. */
  heartbeatInterval: number;
}

export interface RunCommand {
  type: 'exec';
  id: number;
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** Kill the command's process group. */
export interface KillCommand {
  type: 'kill';
  id: number;
}

export type HubMessage = Welcome | RunCommand | KillCommand;

type Shape = Record<string, (value: unknown) => boolean>;

const isString = (value: unknown) => typeof value === 'string';
const isId = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const isStringOrNull = (value: unknown) => value === null || typeof value === 'string';
const isCodeOrNull = (value: unknown) => value === null || Number.isInteger(value);
const optional = (check: (value: unknown) => boolean) => (value: unknown) =>
  value === undefined || check(value);
const isStringList = (value: unknown) => Array.isArray(value) && value.every(isString);
const isStringMap = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every(isString);

const AGENT_MESSAGES: Record<AgentMessage['type'], Shape> = {
  hello: { version: Number.isInteger, worker: isString, password: isString },
  output: { id: isId, stream: (v) => v === 'stdout' || v === 'stderr', data: isString },
  exit: { id: isId, exitCode: isCodeOrNull, signal: isStringOrNull, error: optional(isString) }
};

const HUB_MESSAGES: Record<HubMessage['type'], Shape> = {
  welcome: { heartbeatInterval: (v) => typeof v === 'number' && v > 0 },
  exec: {
    id: isId,
    command: isString,
    args: isStringList,
    cwd: optional(isString),
    env: optional(isStringMap)
  },
  kill: { id: isId }
};

/** The agent's message in `text`, or `undefined` when it is not one. */
export function parseAgentMessage(text: string): AgentMessage | undefined {
  return parse(text, AGENT_MESSAGES) as AgentMessage | undefined;
}

/** The hub's message in `text`, or `undefined` when it is not one. */
export function parseHubMessage(text: string): HubMessage | undefined {
  return parse(text, HUB_MESSAGES) as HubMessage | undefined;
}

function parse(text: string, shapes: Record<string, Shape>): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type } = value as { type?: unknown };
  if (typeof type !== 'string' || !Object.hasOwn(shapes, type)) return undefined;
  const shape = shapes[type]!;
  const fields = value as Record<string, unknown>;
  return Object.entries(shape).every(([key, valid]) => valid(fields[key])) ? value : undefined;
}

/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= 123) return text;
  // Cut on a character boundary: decode the prefix and drop a broken last character.
  return (
    bytes
      .subarray(0, 120)
      .toString('utf8')
      .replace(/\uFFFD$/, '') + '...'
  );
}

/**
 * A text frame's content, whatever buffer shape `ws` delivered it in. The shapes of its
 * `RawData` are spelled out: `CloseCode` makes this module public, and its declarations must
 * not need `@types/ws`, which users do not have.
 */
export function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
