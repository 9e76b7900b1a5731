/**
 * After a SIGKILL forced by an aborted stop, how long to wait for the processes to be gone.
 * SIGKILL cannot be ignored, but a process in uninterruptible sleep (a hung disk or NFS mount)
 * dies only once its I/O returns, and the caller has already given up: long enough for the
 * kernel to deliver the kill and for stderr to drain, short enough to return promptly.
 */
const KILL_WAIT_MS = 1_000;

/** While waiting for the groups to be gone, they are listed again after 25 ms, 50 ms... */
const FIRST_POLL_MS = 25;
/** ...up to this period: a stop may take the whole grace, and each listing reads `/proc`. */
const MAX_POLL_MS = 400;

export interface StopOptions {
  /** Between SIGTERM and SIGKILL, ms. */
  grace: number;
  /** SIGKILL at once. */
  fast: boolean;
  /** Aborted: SIGKILL at once, and give up waiting {@link KILL_WAIT_MS} later. */
  signal: AbortSignal;
}

/**
 * Stops process groups the way an instance is stopped: SIGTERM, SIGKILL after the grace;
 * SIGKILL at once when `fast` or when `signal` aborts. `running()` lists the groups still there
 * (group ids, positive); it is asked again at growing intervals, at the end of the grace, and
 * at once when `wake` settles (the leader's exit, say), and each group it lists gets the signal
 * of the moment. Resolves with `true` once it lists none, `false` when `signal` aborted and
 * some outlived their SIGKILL.
 */
export async function stopGroups(
  running: () => Promise<readonly number[]>,
  { grace, fast, signal }: StopOptions,
  wake?: Promise<unknown>
): Promise<boolean> {
  const began = Date.now();
  let woken = false;
  const wakeOnce = wake?.then(
    () => void (woken = true),
    () => void (woken = true)
  );
  const killAt = fast ? began : began + grace;
  const termed = new Set<number>();
  let abortedAt: number | undefined;
  for (let poll = FIRST_POLL_MS; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
    const groups = await running();
    if (groups.length === 0) return true;
    const now = Date.now();
    if (signal.aborted) abortedAt ??= now;
    if (abortedAt !== undefined && now - abortedAt >= KILL_WAIT_MS) return false;
    const kill = abortedAt !== undefined || now >= killAt;
    for (const group of groups) {
      if (kill) signalGroup(group, 'SIGKILL');
      else if (!termed.has(group)) signalGroup(group, 'SIGTERM');
      termed.add(group);
    }
    await pause(kill ? poll : Math.min(poll, killAt - now), signal, woken ? undefined : wakeOnce);
  }
}

/** `ms`, or less when `signal` aborts or `wake` settles. */
function pause(ms: number, signal: AbortSignal, wake: Promise<void> | undefined) {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    void wake?.then(done);
  });
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // ESRCH: already gone
  }
}
