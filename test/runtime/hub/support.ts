import { readdirSync } from 'node:fs';
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
