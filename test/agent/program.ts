import { spawn, type ChildProcess } from 'node:child_process';
import { builtAgent } from '../runtime/hub/builtAgent.js';

export interface AgentEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved. */
  output: string;
}

export interface AgentProgram {
  child: ChildProcess;
  pid: number;
  ended: Promise<AgentEnd>;
}

/** The built `latent-agent`, with `args` and nothing but `env` and `PATH` in its environment. */
export function startProgram(args: string[], env: Record<string, string> = {}): AgentProgram {
  const [node, main] = builtAgent() as [string, string];
  const child = spawn(node, [main, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const ended = new Promise<AgentEnd>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, output }))
  );
  return { child, pid: child.pid!, ended };
}

/** Runs the built `latent-agent` to its end. */
export function runProgram(args: string[], env?: Record<string, string>): Promise<AgentEnd> {
  return startProgram(args, env).ended;
}

/** The variables an instance of `w1` gets from its provider. */
export function credentials(hubUrl: string, password = 'pw'): Record<string, string> {
  return { LATENT_HUB_URL: hubUrl, LATENT_WORKER_NAME: 'w1', LATENT_WORKER_PASSWORD: password };
}

/** `promise`, or a rejection naming `what` after `ms`: a wait that fails instead of hanging. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
