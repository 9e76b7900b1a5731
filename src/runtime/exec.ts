import type { Observable } from 'rxjs';
import type { Connection } from '../machines/latentWorker/types.js';

/**
 * Remote commands: what a build can run on its worker's instance through the connection.
 * A connection that can run commands (the agent hub's) implements {@link CommandRunner};
 * the Fleet's `lease.exec()` delegates to it.
 */
export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Aborting kills the command's process group on the instance. */
  signal?: AbortSignal;
}

export interface ExecChunk {
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface ExecResult {
  /** null when the process was ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A running command: await it for the result, subscribe to `output$` for the live output. */
export interface RemoteExecution extends Promise<ExecResult> {
  readonly output$: Observable<ExecChunk>;
}

export interface CommandRunner {
  exec(command: string, args?: readonly string[], options?: ExecOptions): RemoteExecution;
}

export function isCommandRunner(
  connection: Connection | undefined
): connection is Connection & CommandRunner {
  return typeof (connection as Partial<CommandRunner> | undefined)?.exec === 'function';
}
