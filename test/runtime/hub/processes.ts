import { readFileSync } from 'node:fs';

/**
 * Whether `pid` is a running process. A zombie counts as gone: it has exited, and orphans are
 * only reaped when PID 1 does so (not in every container).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is the best we have
  }
}
