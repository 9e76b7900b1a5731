import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type * as LatentWorkers from '../../src/index.js';
import { isAlive } from '../runtime/hub/processes.js';
import { builtPackage } from '../support/builtPackage.js';

// `npm start -- --state-dir DIR`, killed with SIGKILL and run again: the second run stops (or
// adopts) what the first left running before anything new starts, and says so.

let pkg: string;
const dir = mkdtempSync(join(tmpdir(), 'latent-demo-state-'));
beforeAll(() => void ([pkg] = builtPackage() as [string]), 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Line = { source: string; type: string; [key: string]: unknown };

/** Runs the built demo with JSON output; `stop` may SIGKILL it on any line. */
function demo(args: string[], stop: (line: Line) => boolean = () => false) {
  const child = spawn(
    process.execPath,
    [join(pkg, 'dist/examples/demo.js'), '--json', '--state-dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const lines: Line[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    lines.push(line);
    if (stop(line)) child.kill('SIGKILL');
  });
  return new Promise<{ code: number | null; lines: Line[]; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, lines, stderr }))
  );
}

const spawned = (lines: Line[]) =>
  lines.flatMap((l) => (l.source === 'process' && l.type === 'spawned' ? [l.pid as number] : []));

it(
  'a run after a SIGKILL stops the leftovers first, says so, and leaves nothing behind',
  { timeout: 90_000 },
  async () => {
    let attached = 0;
    const crashed = await demo(
      ['--workers', '2', '--builds', '20', '--idle-timeout', '10'],
      (line) => (line.source === 'worker' && line.type === 'attached' ? ++attached === 2 : false)
    );
    expect(crashed.code).toBe(null); // killed
    const leftovers = spawned(crashed.lines);
    expect(leftovers.filter(isAlive).length).toBeGreaterThan(0);

    const again = await demo(['--workers', '2', '--builds', '2', '--idle-timeout', '0.2']);
    expect(again.code, again.stderr).toBe(0);
    const notice = again.lines.find((l) => l.source === 'demo' && l.type === 'notice');
    expect(notice?.message).toMatch(/left running by an earlier run/);
    const recovered = again.lines.filter((l) => l.source === 'worker' && l.type === 'recovered');
    expect(recovered.length).toBeGreaterThanOrEqual(leftovers.length > 0 ? 1 : 0);
    // Recovery comes first: no new start of a worker before its leftovers were dealt with.
    for (const { worker } of recovered) {
      const done = again.lines.findIndex((l) => l.type === 'recovered' && l.worker === worker);
      const start = again.lines.findIndex(
        (l) => l.type === 'provider' && l.call === 'start' && l.worker === worker
      );
      expect(start === -1 || start > done).toBe(true);
    }
    // The leftovers' stops are counted apart from this run's starts.
    const summary = again.lines.find((l) => l.type === 'summary');
    expect(summary).toMatchObject({ leftovers: recovered.length });
    expect((summary!.starts as number) + recovered.length).toBe(summary!.stops);
    expect([...leftovers, ...spawned(again.lines)].filter(isAlive)).toEqual([]);
    const { openJournal } = (await import(`${pkg}/dist/src/index.js`)) as typeof LatentWorkers;
    const journal = await openJournal({ path: join(dir, 'journal.db') });
    expect(await journal.openInstances()).toEqual([]);
    await journal.close();
  }
);
