import { readdir, readFile, stat } from 'node:fs/promises';

/** `/proc` entries read in parallel. */
const READ_AT_ONCE = 16;

/**
 * The process groups of this user's processes whose environment holds every one of
 * `variables`, this process's own group excepted. An instance's agent hands its environment
 * down to the commands it runs, each in a group of its own: this finds them even once the agent
 * is gone (killed with SIGKILL, crashed). Reads `/proc`, so Linux only: elsewhere, none.
 */
export async function findProcessGroups(
  variables: Readonly<Record<string, string>>
): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const wanted = Object.entries(variables).map(([name, value]) => `${name}=${value}`);
  const own = await groupOf('self');
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const groups: Array<number | undefined> = [];
  // A few files open at a time: an orchestrator near its descriptor limit must not hit it here.
  for (let i = 0; i < pids.length; i += READ_AT_ONCE) {
    const batch = pids.slice(i, i + READ_AT_ONCE).map(async (pid) => {
      // A zombie's environment reads empty, and one of another user's does not read at all.
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      const entries = new Set(environ.split('\0'));
      if (!wanted.every((entry) => entries.has(entry))) return undefined;
      // Root reads every environment: the user's own processes only.
      const owner = await stat(`/proc/${pid}`).catch(() => undefined);
      return owner?.uid === process.getuid?.() ? groupOf(pid) : undefined;
    });
    groups.push(...(await Promise.all(batch)));
  }
  // Group 1 is init's, and a kill of -1 would reach every process: never that, nor our own.
  return [...new Set(groups)].filter(
    (group): group is number => group !== undefined && group > 1 && group !== own
  );
}

/** The process group of `pid` (field 5 of `/proc/<pid>/stat`), or `undefined` once it is gone. */
async function groupOf(pid: string): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name, in parentheses, may hold spaces and parentheses itself.
  const group = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  return Number.isInteger(group) ? group : undefined;
}
