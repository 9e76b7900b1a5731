import { readdir, readFile, stat } from 'node:fs/promises';
import { parseStat } from './processIdentity.js';

/** `/proc` entries read in parallel. */
const READ_AT_ONCE = 16;

/**
 * The process groups of this user's processes whose environment holds every one of
 * `variables` (a list: any one of its values), this process's own group excepted. An
 * instance's agent hands its environment down to the commands it runs, each in a group of its
 * own: this finds them even once the agent is gone (killed with SIGKILL, crashed). Reads
 * `/proc`, so Linux only: elsewhere, none.
 */
export async function findProcessGroups(
  variables: Readonly<Record<string, string | readonly string[]>>
): Promise<number[]> {
  const wanted = Object.entries(variables).map(([name, values]) =>
    (typeof values === 'string' ? [values] : values).map((value) => `${name}=${value}`)
  );
  const found = await scanEnvironments((environ) =>
    wanted.every((entries) => entries.some((entry) => environ.has(entry))) ? true : undefined
  );
  return [...new Set(found.map(({ group }) => group))];
}

/**
 * What `pick` makes of the environment (its `NAME=value` entries) of each of this user's
 * processes, with the process's group; processes of which it makes `undefined`, of another
 * user, of group 0 or 1 (a kill of those reaches too far) or of our own group are left out.
 * Linux only: elsewhere, none.
 */
export async function scanEnvironments<T>(
  pick: (environ: ReadonlySet<string>) => T | undefined
): Promise<Array<{ group: number; picked: T }>> {
  if (process.platform !== 'linux') return [];
  const own = await groupOf('self');
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const found: Array<{ group: number; picked: T } | undefined> = [];
  // A few files open at a time: an orchestrator near its descriptor limit must not hit it here.
  for (let i = 0; i < pids.length; i += READ_AT_ONCE) {
    const batch = pids.slice(i, i + READ_AT_ONCE).map(async (pid) => {
      const picked = pick(await environmentOf(pid));
      if (picked === undefined) return undefined;
      // Root reads every environment: the user's own processes only.
      const owner = await stat(`/proc/${pid}`).catch(() => undefined);
      const group = owner?.uid === process.getuid?.() ? await groupOf(pid) : undefined;
      return group !== undefined && group > 1 && group !== own ? { group, picked } : undefined;
    });
    found.push(...(await Promise.all(batch)));
  }
  return found.filter((entry) => entry !== undefined);
}

/**
 * The `NAME=value` entries of `pid`'s environment, as it was started. Empty once it is gone,
 * for a zombie, and for another user's process (unless we are root).
 */
export async function environmentOf(pid: number | string): Promise<Set<string>> {
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  return new Set(environ.split('\0'));
}

/** The process group of `pid` (field 5 of `/proc/<pid>/stat`), or `undefined` once it is gone. */
async function groupOf(pid: string): Promise<number | undefined> {
  return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined))?.group;
}
