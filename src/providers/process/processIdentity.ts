import { readFileSync } from 'node:fs';

/**
 * Who a process is, beyond its pid, which the kernel hands out again once it is gone: when it
 * started (field 22 of `/proc/<pid>/stat`, in clock ticks after boot) and during which boot.
 * No two processes of one machine share all three. Linux only.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
  /** `/proc/sys/kernel/random/boot_id`: start times count from one boot. */
  bootId: string;
}

/** What `/proc/<pid>/stat` says: its state (`R`, `S`, `Z`...), process group and start time. */
export interface ProcessStat {
  state: string;
  group: number;
  startTime: number;
}

/** Parses `/proc/<pid>/stat`, or `undefined` for something else (an empty read). */
export function parseStat(text: string | undefined): ProcessStat | undefined {
  if (!text) return undefined;
  // The command name, in parentheses, may hold spaces and parentheses itself: fields 3 and on.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state = '', group, startTime] = [fields[0], Number(fields[2]), Number(fields[19])];
  return Number.isInteger(group) && Number.isInteger(startTime)
    ? { state, group, startTime }
    : undefined;
}

let bootId: string | undefined;

/** The identity of the running process `pid`, or `undefined` once it is gone (or not Linux). */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const stat = running(pid);
  bootId ??= readProc('/proc/sys/kernel/random/boot_id')?.trim();
  return stat && bootId ? { pid, startTime: stat.startTime, bootId } : undefined;
}

/** Whether the process `identity` names still runs: not a reused pid, nor a zombie. */
export function isRunning(identity: ProcessIdentity): boolean {
  const now = identityOf(identity.pid);
  return now?.startTime === identity.startTime && now.bootId === identity.bootId;
}

/** `pid`'s stat, unless it is gone or a zombie (it has exited, only its parent has not reaped it). */
function running(pid: number): ProcessStat | undefined {
  const stat = parseStat(readProc(`/proc/${pid}/stat`));
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat : undefined;
}

// One small read of a kernel-made file, no disk behind it: synchronous, so that a health check
// can stay synchronous too.
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
