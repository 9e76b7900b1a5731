import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type * as LatentWorkers from '../../src/index.js';
import { isAlive } from '../runtime/hub/processes.js';
import { builtPackage } from '../support/builtPackage.js';
import { builtDemo, killLeftovers, type Line } from './builtDemo.js';

// `npm start -- --state-dir DIR`, killed with SIGKILL and run again: the second run stops (or
// adopts) what the first left running before anything new starts, and says so.

let pkg: string;
const dir = mkdtempSync(join(tmpdir(), 'latent-demo-state-'));
beforeAll(() => void ([pkg] = builtPackage() as [string]), 120_000);
afterEach(killLeftovers);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built demo with JSON output to its end; SIGKILLed once `kill` holds of its lines. */
async function demo(args: string[], kill: (lines: Line[]) => boolean = () => false) {
  const run = builtDemo(['--state-dir', dir, ...args], 90_000);
  void run
    .until(() => kill(run.lines) || undefined)
    .then(
      () => run.child.kill('SIGKILL'),
      () => {} // it exited by itself
    );
  const { code } = await run.exited;
  return { code, lines: run.lines, stderr: run.stderr() };
}

const spawned = (lines: Line[]) =>
  lines.flatMap((l) => (l.source === 'process' && l.type === 'spawned' ? [l.pid as number] : []));

it(
  'a run after a SIGKILL stops the leftovers first, says so, and leaves nothing behind',
  { timeout: 90_000 },
  async () => {
    const crashed = await demo(
      ['--workers', '2', '--builds', '20', '--idle-timeout', '10'],
      (lines) => lines.filter((l) => l.source === 'worker' && l.type === 'attached').length >= 2
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
