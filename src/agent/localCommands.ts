import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentMessage, RunCommand } from '../protocol.js';

/** How long a killed command's process group has between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/**
 * The commands an agent runs for one connection to its hub. Each runs in a process group of
 * its own (`detached`), so that a kill reaches everything it started, in `env` plus the
 * command's own variables. Once {@link LocalCommands.killAll} was called, new commands are
 * refused: a stopping agent or a lost connection starts nothing more.
 */
export class LocalCommands {
  readonly #send: (message: AgentMessage) => void;
  readonly #env: NodeJS.ProcessEnv;
  readonly #running = new Map<number, ChildProcess>();
  readonly #ended = new Map<number, Promise<void>>();
  #killed: Promise<void> | undefined;

  constructor(send: (message: AgentMessage) => void, env: NodeJS.ProcessEnv) {
    this.#send = send;
    this.#env = env;
  }

  run({ id, command, args, cwd, env }: RunCommand): void {
    let settled = false;
    const end = (message: Omit<Extract<AgentMessage, { type: 'exit' }>, 'type' | 'id'>) => {
      if (settled) return;
      settled = true;
      this.#running.delete(id);
      this.#send({ type: 'exit', id, ...message });
    };
    if (this.#killed) {
      end({ exitCode: null, signal: null, error: 'the agent is stopping its commands' });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(cwd !== undefined ? { cwd } : {}),
        env: { ...this.#env, ...env }
      });
    } catch (error) {
      end({ exitCode: null, signal: null, error: (error as Error).message });
      return;
    }
    this.#running.set(id, child);
    this.#ended.set(
      id,
      new Promise((resolve) => child.once('close', () => (this.#ended.delete(id), resolve())))
    );
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (data: string) => this.#send({ type: 'output', id, stream, data }));
    }
    child.once('error', (error) => end({ exitCode: null, signal: null, error: error.message }));
    child.once('close', (exitCode, signal) => end({ exitCode, signal }));
  }

  /** Stop reading the commands' output while the hub link is congested (they block on write). */
  pause(): void {
    for (const child of this.#running.values())
      [child.stdout, child.stderr].forEach((s) => s?.pause());
  }

  resume(): void {
    for (const child of this.#running.values())
      [child.stdout, child.stderr].forEach((s) => s?.resume());
  }

  /** SIGTERM to the command's process group, SIGKILL if it is still there after a grace. */
  kill(id: number): void {
    const child = this.#running.get(id);
    if (!child?.pid) return;
    const group = -child.pid;
    signalGroup(group, 'SIGTERM');
    setTimeout(() => signalGroup(group, 'SIGKILL'), KILL_GRACE_MS).unref();
  }

  /**
   * Kills every running command: SIGTERM, SIGKILL to those still there after the grace.
   * Resolves once they have ended or been sent the SIGKILL; calls after the first share it.
   */
  killAll(): Promise<void> {
    this.#killed ??= this.#killAll();
    return this.#killed;
  }

  async #killAll(): Promise<void> {
    const groups = this.#groups();
    for (const group of groups) signalGroup(group, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, KILL_GRACE_MS)));
    await Promise.race([Promise.all(this.#ended.values()), grace]);
    clearTimeout(timer);
    // Every group signalled, also of the leaders that ended: members they left behind go too.
    for (const group of groups) signalGroup(group, 'SIGKILL');
  }

  /** SIGKILL to every running command's group, synchronously: for the agent's last moment. */
  killAllNow(): void {
    for (const group of this.#groups()) signalGroup(group, 'SIGKILL');
  }

  #groups(): number[] {
    return [...this.#running.values()].flatMap((child) => (child.pid ? [-child.pid] : []));
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch {
    // ESRCH: the group is gone already
  }
}
