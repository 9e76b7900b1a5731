import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { WebSocket, type ClientOptions } from 'ws';
import { startAgent, type Agent, type AgentOptions } from '../../../src/agent/agent.js';
import {
  createAgentHub,
  type AgentHub,
  type AgentHubOptions
} from '../../../src/runtime/hub/createAgentHub.js';
import type { HubEvent } from '../../../src/runtime/hub/events.js';
import { parseHubMessage, rawText } from '../../../src/protocol.js';
import {
  createLatentWorker,
  isCommandRunner,
  type CommandRunner,
  type LatentWorker,
  type LatentWorkerOptions,
  type WorkerEvent
} from '../../../src/index.js';

type Props = Record<string, unknown>;

export interface HubWorld {
  hub: AgentHub;
  worker: LatentWorker<Props>;
  hubEvents: HubEvent[];
  workerEvents: WorkerEvent[];
  /** Starts a substantiation; resolves with the start's password once the provider ran. */
  substantiate(): Promise<{ password: string; up: Promise<boolean> }>;
  close(): Promise<void>;
}

/**
 * A hub and one worker `w1` whose provider only records the password: the tests play the
 * agent themselves with raw WebSocket clients, so every frame is theirs to choose.
 */
export async function hubWorld(
  hubOptions: AgentHubOptions = {},
  workerOptions: Partial<LatentWorkerOptions<Props>> = {}
): Promise<HubWorld> {
  const hub = await createAgentHub(hubOptions);
  const passwords: string[] = [];
  const worker = createLatentWorker<Props>({
    name: 'w1',
    provider: { startInstance: ({ password }) => void passwords.push(password), stopInstance() {} },
    ...workerOptions
  });
  hub.add(worker);
  const hubEvents: HubEvent[] = [];
  const workerEvents: WorkerEvent[] = [];
  hub.events$.subscribe((event) => hubEvents.push(event));
  worker.events$.subscribe((event) => workerEvents.push(event));
  return {
    hub,
    worker,
    hubEvents,
    workerEvents,
    async substantiate() {
      const started = next(
        worker.events$,
        (e) => e.type === 'provider' && e.call === 'start' && e.phase === 'end'
      );
      const up = worker.substantiate();
      await started;
      return { password: passwords.at(-1)!, up };
    },
    async close() {
      await worker.shutdown();
      await hub.close();
    }
  };
}

export function next<T>(events$: Observable<T>, match: (event: T) => boolean): Promise<T> {
  return firstValueFrom(events$.pipe(filter(match)));
}

/** An open raw client. */
export async function dial(url: string, options?: ClientOptions): Promise<WebSocket> {
  const socket = new WebSocket(url, options);
  socket.on('error', () => undefined); // the tests read the close code instead
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('close', reject);
  });
  return socket;
}

export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  );
}

export function hello(socket: WebSocket, worker: string, password: string): void {
  socket.send(JSON.stringify({ type: 'hello', version: 1, worker, password }));
}

/** A TCP connection to the hub that says nothing unless told. */
export async function tcp(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined); // a reset is how the hub drops it
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Resolves when `socket` is closed, by either side. */
export function ended(socket: Socket): Promise<void> {
  return socket.closed
    ? Promise.resolve()
    : new Promise((resolve) => socket.once('close', resolve));
}

/** Dials, says hello, and returns how the hub closed the socket. */
export async function refusal(
  url: string,
  worker: string,
  password: string
): Promise<{ code: number; reason: string }> {
  const socket = await dial(url);
  const ended = closed(socket);
  hello(socket, worker, password);
  return ended;
}

/** Resolves on the hub's welcome, rejects with the close code if it closes instead. */
export function welcomed(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => {
      const text = rawText(data);
      if (parseHubMessage(text)?.type === 'welcome') resolve();
      else reject(new Error(text));
    });
    socket.once('close', (code, reason) => reject(new Error(`closed ${code} ${String(reason)}`)));
  });
}

/** Dials, says hello with these credentials and waits for the welcome. */
export async function attachAgent(
  url: string,
  worker: string,
  password: string,
  options?: ClientOptions
): Promise<WebSocket> {
  const socket = await dial(url, options);
  const welcome = welcomed(socket);
  hello(socket, worker, password);
  await welcome;
  return socket;
}

/**
 * The real agent code, in this process, started as w1 with the password of a new start of
 * `world`'s worker; resolves once attached, with the connection that runs its commands.
 */
export async function realAgent(
  world: HubWorld,
  options: Partial<AgentOptions> = {}
): Promise<{ agent: Agent; runner: CommandRunner }> {
  const { password, up } = await world.substantiate();
  const agent = startAgent({
    hubUrl: world.hub.url,
    worker: 'w1',
    password,
    giveUpAfter: 5_000,
    commandEnv: process.env,
    ...options
  });
  const exited = agent.done.then(({ code, reason }) => {
    throw new Error(`the agent exited (${code}) before attaching: ${reason}`);
  });
  await Promise.race([up, exited]);
  const connection = world.worker.connection;
  if (!isCommandRunner(connection)) throw new Error('not a command runner');
  return { agent, runner: connection };
}

/** This process's open file descriptors (Linux). */
export function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** The heap in use after full garbage collections. */
export function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * A WebSocket client by hand, over TCP, for frames `ws` would not send: `announce` writes the
 * header of a frame of `length` bytes and none of its payload. `closeCode` is the code of the
 * hub's close frame, `undefined` if the connection ended without one.
 */
export async function handmadeSocket(port: number) {
  const socket = await tcp(port);
  socket.write(
    'GET / HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
  let received = Buffer.alloc(0);
  socket.on('data', (data: Buffer) => (received = Buffer.concat([received, data])));
  const upgraded = new Promise<void>((resolve, reject) => {
    const check = () => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', check);
      if (!received.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) {
        reject(new Error(received.toString()));
      }
      received = received.subarray(end + 4);
      resolve();
    };
    socket.on('data', check);
  });
  await upgraded;
  // Client frames must be masked: a mask of zeros leaves the payload as it is.
  const header = (opcode: number, length: number) => {
    const size = length < 126 ? 0 : length < 65_536 ? 2 : 8;
    const bytes = Buffer.alloc(2 + size + 4);
    bytes[0] = 0x80 | opcode;
    bytes[1] = 0x80 | (size === 0 ? length : size === 2 ? 126 : 127);
    if (size === 2) bytes.writeUInt16BE(length, 2);
    if (size === 8) bytes.writeBigUInt64BE(BigInt(length), 2);
    return bytes;
  };
  return {
    socket,
    text(data: string): void {
      const payload = Buffer.from(data);
      socket.write(Buffer.concat([header(0x1, payload.length), payload]));
    },
    announce(length: number): void {
      socket.write(header(0x2, length));
    },
    closeCode: ended(socket).then(() => closeFrameCode(received))
  };
}

/** The code of the first close frame among the hub's (unmasked) frames in `data`. */
function closeFrameCode(data: Buffer): number | undefined {
  let at = 0;
  while (at + 2 <= data.length) {
    const opcode = data[at]! & 0x0f;
    let length = data[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) [length, start] = [data.readUInt16BE(at + 2), at + 4];
    else if (length === 127) [length, start] = [Number(data.readBigUInt64BE(at + 2)), at + 10];
    if (opcode === 0x8) return length >= 2 ? data.readUInt16BE(start) : undefined;
    at = start + length;
  }
  return undefined;
}
