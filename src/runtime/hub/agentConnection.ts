import { EMPTY, Subject } from 'rxjs';
import type { WebSocket } from 'ws';
import { LatentWorkerConnectionLost, LatentWorkerError } from '../../errors.js';
import type { Connection } from '../../machines/latentWorker/types.js';
import type {
  CommandRunner,
  ExecChunk,
  ExecOptions,
  ExecResult,
  RemoteExecution
} from '../exec.js';
import {
  CloseCode,
  type CommandExit,
  type CommandOutput,
  type HubMessage
} from '../../protocol.js';

interface RunningCommand {
  command: string;
  output: Subject<ExecChunk>;
  stdout: string[];
  stderr: string[];
  signal: AbortSignal | undefined;
  onAbort: () => void;
  resolve(result: ExecResult): void;
  reject(error: Error): void;
}

/**
 * The hub's side of one authenticated agent: the `Connection` handed to `worker.attached()`,
 * and a `CommandRunner` whose commands run on the agent's machine. Also keeps the heartbeat
 * count the hub's ticks read.
 */
export class AgentConnection implements Connection, CommandRunner {
  readonly worker: string;
  readonly remote: string;
  readonly socket: WebSocket;
  readonly #commands = new Map<number, RunningCommand>();
  #nextId = 0;
  #lost: LatentWorkerConnectionLost | undefined;
  #awaitingPong = false;
  #missedPongs = 0;
  /** When the agent last answered a ping (`performance.now()`). */
  #lastPong: number | undefined;
  #pongWaiters: Array<() => void> = [];
  /** The duplicate check's ping in flight, shared by the checks made meanwhile. */
  #alive: Promise<boolean> | undefined;
  /** While the worker decides on the attach, the hub answers the agent itself. */
  #held = false;

  constructor(socket: WebSocket, worker: string, remote: string) {
    this.socket = socket;
    this.worker = worker;
    this.remote = remote;
    socket.on('pong', () => {
      this.#lastPong = performance.now();
      this.#awaitingPong = false;
      this.#missedPongs = 0;
      const waiters = this.#pongWaiters;
      this.#pongWaiters = [];
      for (const wake of waiters) wake();
    });
  }

  exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): RemoteExecution {
    const { signal, cwd, env } = options;
    if (this.#lost) return failed(this.#lost);
    if (signal?.aborted) return failed(abortError(signal));
    const id = ++this.#nextId;
    const output = new Subject<ExecChunk>();
    const result = new Promise<ExecResult>((resolve, reject) => {
      const onAbort = () => this.#send({ type: 'kill', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const running = { command, output, stdout: [], stderr: [], signal, onAbort };
      this.#commands.set(id, { ...running, resolve, reject });
    });
    this.#send({
      type: 'exec',
      id,
      command,
      args: [...args],
      ...(cwd !== undefined ? { cwd } : {}),
      ...(env !== undefined ? { env } : {})
    });
    return Object.assign(result, { output$: output.asObservable() });
  }

  /** The worker let go of this connection: the agent is told to leave. */
  disconnect(): void {
    if (!this.#held) this.close(CloseCode.released, 'released by the worker');
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
  }

  /** A command's output or end, as reported by the agent. */
  receive(message: CommandOutput | CommandExit): void {
    const running = this.#commands.get(message.id);
    if (!running) return; // a command settled already (aborted, lost): late news
    if (message.type === 'output') {
      running[message.stream].push(message.data);
      running.output.next({ stream: message.stream, data: message.data });
      return;
    }
    this.#settle(message.id, running);
    if (running.signal?.aborted) running.reject(abortError(running.signal));
    else if (message.error !== undefined) {
      running.reject(new LatentWorkerError(`exec(${running.command}): ${message.error}`));
    } else {
      running.resolve({
        exitCode: message.exitCode,
        signal: message.signal,
        stdout: running.stdout.join(''),
        stderr: running.stderr.join('')
      });
    }
  }

  /** The socket is gone: every running command fails with `LatentWorkerConnectionLost`. */
  lose(reason: string): void {
    this.#lost ??= new LatentWorkerConnectionLost(
      `worker ${this.worker}: the connection to its agent was lost (${reason})`
    );
    for (const [id, running] of this.#commands) {
      this.#settle(id, running);
      running.reject(this.#lost);
    }
    for (const wake of this.#pongWaiters) wake();
  }

  /** One heartbeat tick: pings, and answers false once two pings in a row went unanswered. */
  heartbeat(): boolean {
    if (this.#awaitingPong) this.#missedPongs++;
    if (this.#missedPongs >= 2) return false;
    this.#awaitingPong = true;
    this.socket.ping();
    return true;
  }

  /**
   * Whether the agent still answers pings (Buildbot's duplicate check): true at once when it
   * answered one within the last `period` ms, else whether it answers a ping within `period`.
   * Checks made while that ping is out share it, so that an agent redialling as a duplicate
   * costs the live one no more than a ping per period.
   */
  answersPing(period: number): Promise<boolean> {
    // A socket already closing (e.g. released by the worker) cannot answer any more.
    if (this.#lost || this.socket.readyState !== this.socket.OPEN) return Promise.resolve(false);
    if (this.#lastPong !== undefined && performance.now() - this.#lastPong < period) {
      return Promise.resolve(true);
    }
    this.#alive ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), period);
      this.#pongWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.#lost === undefined);
      });
      this.socket.ping();
    }).finally(() => (this.#alive = undefined));
    return this.#alive;
  }

  #settle(id: number, running: RunningCommand): void {
    this.#commands.delete(id);
    running.signal?.removeEventListener('abort', running.onAbort);
    running.output.complete();
  }

  #send(message: HubMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

function failed(error: Error): RemoteExecution {
  return Object.assign(Promise.reject(error), { output$: EMPTY });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('the command was aborted', 'AbortError');
}
