import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
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
  /** The hub's `ws://` or `wss://` URL. */
  hubUrl: string;
  worker: string;
  password: string;
  /**
   * The SHA-256 fingerprint of the hub's certificate (`AB:CD:...`, as the hub reports it):
   * the agent talks to the hub that shows this certificate and no other, signed by anyone or
   * self-signed. Without it, a `wss://` hub's certificate is verified against the system's CAs.
   */
  fingerprint?: string;
  /** Exit after this long without being welcomed by the hub, ms. */
  giveUpAfter: number;
  /** The environment the commands run in; it must not hold the password. */
  commandEnv: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** Why the agent stopped, and the process exit code that says so. */
export interface AgentExit {
  code: AgentExitCode;
  reason: string;
}

/** The agent's exit codes. */
export const AgentExitCode = {
  /** Released by the hub (its worker let go of it) or stopped by a signal. */
  done: 0,
  /** Bad flags or environment. */
  usage: 2,
  /** The hub closed the connection for good: unauthorized, not wanted, malformed. */
  refused: 3,
  /** No welcome from the hub for `giveUpAfter`. */
  gaveUp: 4,
  /** The hub's certificate is not the pinned one: the password was not sent. */
  wrongCertificate: 5
} as const;
export type AgentExitCode = (typeof AgentExitCode)[keyof typeof AgentExitCode];

export interface Agent {
  readonly done: Promise<AgentExit>;
  /** Kill the running commands, leave the hub and end with code 0. Idempotent. */
  stop(): Promise<AgentExit>;
  /** SIGKILL to every running command's process group, at once: for the process's exit. */
  killCommandsNow(): void;
}

/** How one connection ended: welcomed or not, with the close code and reason. */
interface Session {
  welcomed: boolean;
  code: number;
  reason: string;
  /** The hub showed another certificate than the pinned one. */
  wrongCertificate?: string;
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** Missed heartbeats (of the interval the hub announced) after which the hub counts as gone. */
const SILENT_HEARTBEATS = 2.5;
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;

/**
 * Runs a worker's agent: dials the hub, says hello, runs the commands it is sent, and dials
 * again after a lost connection until the hub sends it away or `giveUpAfter` passes without a
 * welcome (so an orphaned instance does not run for ever). Only a welcome counts as reaching
 * the hub: a refused duplicate or a locked-out agent backs off and gives up like an unreachable
 * one. Losing the hub kills the running commands: nobody is left to report to. `done` settles
 * once the commands are gone too.
 */
export function startAgent(options: AgentOptions): Agent {
  const log = options.log ?? (() => undefined);
  const pinned = options.fingerprint?.toUpperCase();
  let stopping = false;
  let stopped: Promise<AgentExit> | undefined;
  let socket: WebSocket | undefined;
  let wake: () => void = () => undefined;
  /** The commands of every session, until they have ended. */
  const sessions = new Set<LocalCommands>();

  /** One connection, until it closes; unwelcomed at `deadline`, it is cut. */
  const session = (deadline: number) =>
    new Promise<Session>((resolve) => {
      const ws = new WebSocket(options.hubUrl, {
        handshakeTimeout: Math.min(options.giveUpAfter, 10_000),
        // A pinned certificate replaces the CA check; it is compared before anything is sent.
        ...(pinned ? { rejectUnauthorized: false } : {})
      });
      socket = ws;
      let heartbeat: number | undefined;
      let wrongCertificate: string | undefined;
      // A hub that accepts the socket but never welcomes (a duplicate held for its ping check,
      // a stalled peer) must not keep the agent past its give-up time.
      const patience = setTimeout(() => ws.terminate(), Math.max(0, deadline - Date.now()));
      let silence: NodeJS.Timeout | undefined;
      const listen = () => {
        clearTimeout(silence);
        if (heartbeat) silence = setTimeout(() => ws.terminate(), heartbeat * SILENT_HEARTBEATS);
      };
      // Backpressure: a chatty command must not buffer unbounded output in the agent.
      const send = (message: AgentMessage) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify(message), () => {
          if (ws.bufferedAmount < LOW_WATER_BYTES) commands.resume();
        });
        if (ws.bufferedAmount > HIGH_WATER_BYTES) commands.pause();
      };
      // Each connection has commands of its own: ids are the connection's.
      const commands = new LocalCommands(send, options.commandEnv);
      sessions.add(commands);
      ws.on('upgrade', (response: IncomingMessage) => {
        if (!pinned) return;
        const shown = (response.socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
        if (shown !== pinned) {
          wrongCertificate = shown ?? 'no certificate (not TLS)';
          ws.terminate();
        }
      });
      ws.on('open', () =>
        send({
          type: 'hello',
          version: PROTOCOL_VERSION,
          worker: options.worker,
          password: options.password
        })
      );
      ws.on('ping', listen);
      ws.on('message', (data, isBinary) => {
        const message = isBinary ? undefined : parseHubMessage(rawText(data));
        if (message?.type === 'welcome' && heartbeat === undefined) {
          heartbeat = message.heartbeatInterval;
          clearTimeout(patience);
          listen();
          log(`connected to ${options.hubUrl}`);
        } else if (message?.type === 'exec' && heartbeat) commands.run(message);
        else if (message?.type === 'kill' && heartbeat) commands.kill(message.id);
        else ws.close(CloseCode.malformed, 'malformed message');
      });
      ws.on('error', (error) => log(`hub ${options.hubUrl}: ${error.message}`));
      ws.on('close', (code, reason) => {
        clearTimeout(patience);
        clearTimeout(silence);
        // Commands of a lost connection have no one to report to.
        void commands.killAll().then(() => sessions.delete(commands));
        resolve({
          welcomed: heartbeat !== undefined,
          code,
          reason: reason.toString(),
          ...(wrongCertificate ? { wrongCertificate } : {})
        });
      });
    });

  const run = async (): Promise<AgentExit> => {
    let lastContact = Date.now();
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      const ended = await session(lastContact + options.giveUpAfter);
      if (stopping) return { code: AgentExitCode.done, reason: 'stopped' };
      if (ended.wrongCertificate) {
        return {
          code: AgentExitCode.wrongCertificate,
          reason: `the hub at ${options.hubUrl} showed certificate ${ended.wrongCertificate}, not the pinned ${pinned}; the password was not sent`
        };
      }
      if (ended.welcomed) {
        lastContact = Date.now();
        backoff = FIRST_BACKOFF_MS;
      }
      if (FINAL_CLOSE_CODES.has(ended.code)) {
        const released = ended.code === CloseCode.released;
        return {
          code: released ? AgentExitCode.done : AgentExitCode.refused,
          reason: `the hub closed the connection: ${ended.reason} (${ended.code})`
        };
      }
      // Waits out the backoff up to the deadline, never to dial with no time left.
      const deadline = lastContact + options.giveUpAfter;
      const left = deadline - Date.now();
      if (left > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(backoff, left));
          wake = () => (clearTimeout(timer), resolve());
        });
      }
      if (stopping) return { code: AgentExitCode.done, reason: 'stopped' };
      if (Date.now() >= deadline) {
        const seconds = options.giveUpAfter / 1000;
        const last = ended.code === 1006 ? '' : `; last answer: ${ended.reason} (${ended.code})`;
        return {
          code: AgentExitCode.gaveUp,
          reason: `not welcomed by the hub at ${options.hubUrl} for ${seconds} s${last}`
        };
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  };

  const killAll = () => Promise.all([...sessions].map((commands) => commands.killAll()));
  const done = run().then(async (exit) => (await killAll(), exit));
  return {
    done,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake();
        // Killed before the socket closes: their exits still reach the hub.
        await killAll();
        const last = socket;
        last?.close(1000, 'agent stopping');
        // A hub that does not answer the close must not hold the agent up.
        const timer = setTimeout(() => last?.terminate(), 1_000);
        const exit = await done;
        clearTimeout(timer);
        return exit;
      })();
      return stopped;
    },
    killCommandsNow: () => sessions.forEach((commands) => commands.killAllNow())
  };
}
