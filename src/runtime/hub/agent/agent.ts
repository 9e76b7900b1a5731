import { WebSocket } from 'ws';
import {
  CloseCode,
  FINAL_CLOSE_CODES,
  parseHubMessage,
  PROTOCOL_VERSION,
  rawText,
  type AgentMessage
} from '../protocol.js';
import { LocalCommands } from './localCommands.js';

export interface AgentOptions {
  /** The hub's `ws://` URL. */
  hubUrl: string;
  worker: string;
  password: string;
  /** Exit after this long without reaching the hub, ms. */
  giveUpAfter: number;
  log?: (line: string) => void;
}

/** Why the agent stopped, and the process exit code that says so. */
export interface AgentExit {
  /** 0 released by the hub or stopped, 3 refused by the hub, 4 gave up dialling. */
  code: number;
  reason: string;
}

export interface Agent {
  readonly done: Promise<AgentExit>;
  /** Kill the running commands, leave the hub and end with code 0. */
  stop(): Promise<AgentExit>;
}

interface Session {
  opened: boolean;
  code: number;
  reason: string;
}

const MAX_BACKOFF_MS = 2_000;
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;

/**
 * Runs a worker's agent: dials the hub, says hello, runs the commands it is sent, and dials
 * again after a lost connection until the hub sends it away or `giveUpAfter` passes without
 * reaching the hub (so an orphaned instance does not run forever).
 */
export function startAgent(options: AgentOptions): Agent {
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let socket: WebSocket | undefined;
  let wake: () => void = () => undefined;
  let commands: LocalCommands | undefined;

  const session = () =>
    new Promise<Session>((resolve) => {
      const ws = new WebSocket(options.hubUrl, { handshakeTimeout: options.giveUpAfter });
      socket = ws;
      let opened = false;
      // Backpressure: a chatty command must not buffer unbounded output in the agent.
      const send = (message: AgentMessage) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify(message), () => {
          if (ws.bufferedAmount < LOW_WATER_BYTES) local.resume();
        });
        if (ws.bufferedAmount > HIGH_WATER_BYTES) local.pause();
      };
      const local = new LocalCommands(send);
      commands = local;
      ws.on('open', () => {
        opened = true;
        send({
          type: 'hello',
          version: PROTOCOL_VERSION,
          worker: options.worker,
          password: options.password
        });
      });
      ws.on('message', (data, isBinary) => {
        const message = isBinary ? undefined : parseHubMessage(rawText(data));
        if (message?.type === 'welcome') log(`connected to ${options.hubUrl}`);
        else if (message?.type === 'exec') local.run(message);
        else if (message?.type === 'kill') local.kill(message.id);
        else ws.close(CloseCode.malformed, 'malformed message');
      });
      ws.on('error', (error) => log(`hub ${options.hubUrl}: ${error.message}`));
      ws.on('close', (code, reason) => {
        // Commands of a lost connection have no one to report to.
        void local.killAll();
        resolve({ opened, code, reason: reason.toString() });
      });
    });

  const run = async (): Promise<AgentExit> => {
    let lastContact = Date.now();
    let backoff = 100;
    for (;;) {
      const ended = await session();
      if (stopping) return { code: 0, reason: 'stopped' };
      if (ended.opened) {
        lastContact = Date.now();
        backoff = 100;
      }
      if (FINAL_CLOSE_CODES.has(ended.code)) {
        const code = ended.code === CloseCode.released ? 0 : 3;
        return { code, reason: `the hub closed the connection: ${ended.reason} (${ended.code})` };
      }
      const left = lastContact + options.giveUpAfter - Date.now();
      if (left <= 0) {
        const seconds = options.giveUpAfter / 1000;
        return { code: 4, reason: `could not reach the hub at ${options.hubUrl} for ${seconds} s` };
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(backoff, left));
        wake = () => (clearTimeout(timer), resolve());
      });
      if (stopping) return { code: 0, reason: 'stopped' };
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  };

  const done = run();
  return {
    done,
    async stop() {
      stopping = true;
      wake();
      await commands?.killAll();
      const last = socket;
      last?.close(1000, 'agent stopping');
      // A hub that does not answer the close must not hold the agent up.
      const timer = setTimeout(() => last?.terminate(), 1_000);
      const exit = await done;
      clearTimeout(timer);
      return exit;
    }
  };
}
