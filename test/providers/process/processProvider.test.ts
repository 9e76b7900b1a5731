import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessProvider } from '../../../src/providers/process/processProvider.js';
import { isAlive } from './support.js';

type Props = Record<string, unknown>;

const node = process.execPath;
const ready = join(mkdtempSync(join(tmpdir(), 'latent-')), 'ready');
/** Ignores SIGTERM until killed; writes its connection details to `ready` once it does. */
const stubborn = [
  node,
  '-e',
  `process.on('SIGTERM', () => console.error('ignoring SIGTERM'));
   const { LATENT_HUB_URL, LATENT_WORKER_NAME, LATENT_WORKER_PASSWORD } = process.env;
   require('fs').writeFileSync(${JSON.stringify(ready)}, [LATENT_HUB_URL, LATENT_WORKER_NAME, LATENT_WORKER_PASSWORD].join(' '));
   setInterval(() => {}, 1000);`
];

async function started(options: { stopGracePeriod?: number; command?: string[] } = {}) {
  const provider = new ProcessProvider<Props>({
    hubUrl: 'ws://127.0.0.1:9',
    command: options.command ?? stubborn,
    ...options
  });
  const pids: number[] = [];
  const exits: unknown[] = [];
  provider.events$.subscribe((e) => (e.type === 'spawned' ? pids.push(e.pid) : exits.push(e)));
  await provider.startInstance({
    workerName: 'w1',
    password: 'secret-1',
    props: undefined,
    signal: new AbortController().signal
  });
  return { provider, pid: pids[0]!, exits };
}

describe('ProcessProvider', () => {
  it('reports the process good while it runs, bad once stopped', async () => {
    const { provider, pid } = await started();
    expect(isAlive(pid)).toBe(true);
    expect(provider.pidOf('w1')).toBe(pid);
    const check = { workerName: 'w1', signal: new AbortController().signal };
    expect(provider.checkInstance(check)).toEqual({ isGood: true });
    await provider.stopInstance({ workerName: 'w1', fast: true });
    expect(provider.checkInstance(check)).toMatchObject({ isGood: false });
  });

  it('passes hub URL, name and password; stop sends SIGTERM, SIGKILL after the grace, resolves when gone', async () => {
    const grace = 300;
    const { provider, pid, exits } = await started({ stopGracePeriod: grace });
    await expect.poll(() => existsSync(ready), { interval: 10 }).toBe(true);
    expect(readFileSync(ready, 'utf8')).toBe('ws://127.0.0.1:9 w1 secret-1');
    const began = Date.now();
    await provider.stopInstance({ workerName: 'w1', fast: false });
    expect(Date.now() - began).toBeGreaterThanOrEqual(grace - 10);
    expect(isAlive(pid)).toBe(false);
    expect(exits).toEqual([
      { type: 'exited', worker: 'w1', pid, exitCode: null, signal: 'SIGKILL' }
    ]);
    expect(provider.pidOf('w1')).toBeUndefined();
  });

  it('a fast stop kills at once', async () => {
    const { provider, pid, exits } = await started({ stopGracePeriod: 60_000 });
    await provider.stopInstance({ workerName: 'w1', fast: true });
    expect(isAlive(pid)).toBe(false);
    expect(exits).toMatchObject([{ signal: 'SIGKILL' }]);
  });

  it('a process that honours SIGTERM ends without waiting for the grace period', async () => {
    const { provider, exits } = await started({
      stopGracePeriod: 60_000,
      command: [node, '-e', 'setInterval(() => {}, 1000)']
    });
    await provider.stopInstance({ workerName: 'w1', fast: false });
    expect(exits).toMatchObject([{ signal: 'SIGTERM' }]);
  });

  it('stopping a worker that never started is a no-op', async () => {
    const provider = new ProcessProvider<Props>({ hubUrl: 'ws://127.0.0.1:9' });
    await expect(provider.stopInstance({ workerName: 'w9', fast: false })).resolves.toBeUndefined();
  });

  it('an early exit is reported with its code and the last lines of stderr', async () => {
    const provider = new ProcessProvider<Props>({
      hubUrl: 'ws://127.0.0.1:9',
      stderrLines: 2,
      command: [node, '-e', 'console.error("one\\ntwo\\nthree\\nfour"); process.exit(5)']
    });
    const exited = new Promise((resolve) =>
      provider.events$.subscribe((e) => e.type === 'exited' && resolve(e))
    );
    await provider.startInstance({
      workerName: 'w1',
      password: 'pw',
      props: undefined,
      signal: new AbortController().signal
    });
    await exited;
    const result = provider.checkInstance({
      workerName: 'w1',
      signal: new AbortController().signal
    });
    expect(result.isGood).toBe(false);
    expect(result.message).toMatch(/^process \d+ exited with code 5: three\nfour$/);
  });
});
