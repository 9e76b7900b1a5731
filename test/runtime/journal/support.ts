import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach } from 'vitest';
import {
  DEFAULT_OWNER,
  openJournal,
  type InstanceRef,
  type Journal,
  type JournalOptions,
  type JournalRecord
} from '../../../src/index.js';
import { within } from '../../agent/program.js';

export interface Scratch {
  /** A folder of its own for each test, removed after it. */
  dir: string;
  /** `dir/journal.db`, the default journal file. */
  path: string;
  /** `openJournal` on `path` (or as `options` say); closed after the test. */
  open(options?: Partial<JournalOptions>): Promise<Journal>;
}

/** The holders still running: a failed test's are killed after it. */
const holders = new Set<Holder>();

/**
 * A scratch folder for each test of the file, removed after it with its journals closed and
 * its holders killed.
 */
export function useScratch(): Scratch {
  const opened: Journal[] = [];
  const scratch = {
    dir: '',
    path: '',
    async open(options: Partial<JournalOptions> = {}) {
      const journal = await openJournal({ path: scratch.path, ...options });
      opened.push(journal);
      return journal;
    }
  };
  beforeEach(() => {
    scratch.dir = mkdtempSync(join(tmpdir(), 'latent-journal-'));
    scratch.path = join(scratch.dir, 'journal.db');
  });
  afterEach(async () => {
    await Promise.all([...holders].map(kill));
    await Promise.all(opened.splice(0).map((journal) => journal.close()));
    rmSync(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}

export { ref } from '../../support/instances.js';

/** The `starting` record of `instance`. */
export function starting(
  instance: InstanceRef,
  at: number,
  props: unknown = undefined,
  owner = DEFAULT_OWNER
): JournalRecord {
  return { type: 'starting', owner, instance, props, at };
}

/** A running `holder.js`: the built package's journal on `path`, in a process of its own. */
export interface Holder {
  child: ChildProcess;
  /** The next line it prints, parsed (`{ ready: true }`, or `{ error, code }`). */
  line(): Promise<Record<string, unknown>>;
  /** Resolves with the signal (or code) it ended with. */
  ended: Promise<NodeJS.Signals | number | null>;
}

/** `node holder.js <pkg> <path> <records>`: see holder.js. */
export function startHolder(pkg: string, path: string, records: JournalRecord[] = []): Holder {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'holder.js'), pkg, path, JSON.stringify(records)],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ended = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      holders.delete(holder);
      resolve(signal ?? code);
    })
  );
  const holder: Holder = {
    child,
    ended,
    line: async () => {
      const next = await within(20_000, 'a line of holder.js', lines.next());
      if (next.done) throw new Error(`holder.js ended (${String(await ended)}) without a line`);
      return JSON.parse(next.value) as Record<string, unknown>;
    }
  };
  holders.add(holder);
  return holder;
}

/** SIGKILLs `holder` (if it still runs) and waits for its end. */
export async function kill(holder: Holder): Promise<void> {
  holder.child.kill('SIGKILL');
  await within(10_000, 'the end of holder.js', holder.ended);
}
