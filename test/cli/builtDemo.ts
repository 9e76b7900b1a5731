import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { builtPackage } from '../support/builtPackage.js';
import { isAlive } from '../runtime/hub/processes.js';

/** The runs of this test file, for `killLeftovers`. */
const runs: string[] = [];

export type Line = { source: string; type: string; [key: string]: unknown };

/** The variable that tells this run's processes apart: the agents inherit the demo's environment. */
const RUN_VARIABLE = 'LW_TEST_DEMO_RUN';

/**
 * `node dist/examples/demo.js --json …args` of the built package, as a child process whose
 * stdout is read as JSON lines. It is killed with SIGKILL if it has not exited after `bound` ms.
 */
export function builtDemo(args: readonly string[], bound = 60_000) {
  const [pkg] = builtPackage() as [string];
  const run = randomUUID();
  runs.push(run);
  const child = spawn(process.execPath, [join(pkg, 'dist/examples/demo.js'), '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [RUN_VARIABLE]: run }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), bound);
  const lines: Line[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  const heard = () => waiters.forEach((check) => check());
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    heard();
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line);
    heard();
  });
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      closed = true;
      resolve({ code, signal });
      heard();
    })
  );

  /** Resolves with what `find` finds once it does; rejects if the demo exits first. */
  const until = <T>(find: () => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined && !closed) return;
        waiters.delete(check);
        if (found !== undefined) resolve(found);
        else reject(new Error(`the demo exited first; its stderr:\n${stderr}`));
      };
      waiters.add(check);
      check();
    });

  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    until,
    /** The first line `test` accepts, once it is printed. */
    line: (test: (line: Line) => boolean) => until(() => lines.find(test)),
    /** The first match of `pattern` in stderr, once it is printed. */
    stderrMatch: (pattern: RegExp) => until(() => pattern.exec(stderr) ?? undefined),
    /** The processes of this run still alive (the demo's agents carry its variable). */
    alive: () => processesOf(run)
  };
}

/** SIGKILLs whatever the runs left alive (a failed test), so that nothing outlives the tests. */
export function killLeftovers(): void {
  for (const pid of runs.flatMap(processesOf)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function processesOf(run: string): number[] {
  const mark = `${RUN_VARIABLE}=${run}\0`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(mark) && isAlive(pid);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    });
}
