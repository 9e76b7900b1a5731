import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** After the exit, how long stderr may take to deliver its last lines. */
const STDERR_DRAIN_MS = 500;

/**
 * One spawned instance: the leader of a new process group, with the tail of its stderr kept
 * for the health check's message.
 */
export class ProcessInstance {
  readonly pid: number;
  /** Resolves when the process has exited (and its stderr has drained). */
  readonly exited: Promise<ProcessExit>;
  #exit: ProcessExit | undefined;
  readonly #tail: string[] = [];

  private constructor(child: ChildProcess & { pid: number }, stderrLines: number) {
    this.pid = child.pid;
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (data: string) => {
      const lines = (partial + data).split('\n');
      partial = lines.pop() ?? '';
      this.#tail.push(...lines);
      this.#tail.splice(0, Math.max(0, this.#tail.length - stderrLines));
    });
    this.exited = new Promise((resolve) => {
      const done = (exit: ProcessExit) => {
        if (this.#exit) return;
        if (partial) this.#tail.push(partial);
        this.#tail.splice(0, Math.max(0, this.#tail.length - stderrLines));
        this.#exit = exit;
        resolve(exit);
      };
      child.once('close', (exitCode, signal) => done({ exitCode, signal }));
      // A grandchild holding stderr open must not hide the exit.
      child.once('exit', (exitCode, signal) => {
        setTimeout(() => done({ exitCode, signal }), STDERR_DRAIN_MS).unref();
      });
    });
  }

  /** Spawns `argv` as a new process group; rejects with the spawn error (ENOENT, EACCES…). */
  static spawn(
    argv: readonly string[],
    options: { cwd?: string; env: NodeJS.ProcessEnv; stderrLines: number }
  ): Promise<ProcessInstance> {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new TypeError('the command is empty'));
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: options.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {})
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        child.off('error', reject);
        child.on('error', () => undefined); // a later kill failure changes nothing
        resolve(new ProcessInstance(child as ChildProcess & { pid: number }, options.stderrLines));
      });
    });
  }

  /** The exit, once it happened. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /** "exited with code 3: <last lines of stderr>" */
  describeExit(): string {
    const exit = this.#exit;
    if (!exit) return `process ${this.pid} is running`;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    const tail = this.#tail.filter((line) => line.trim() !== '').join('\n');
    return `process ${this.pid} ${how}${tail ? `: ${tail}` : ' (no stderr)'}`;
  }
}
