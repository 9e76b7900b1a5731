/**
 * The journal's cost per cycle: substantiate → attach → insubstantiate cycles per second of one
 * worker with an instant provider, with and without the SQLite journal (four durable writes
 * per cycle), interleaved in one process; wall and CPU time, since the journal waits on fsync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLatentWorker, openJournal, type Journal } from '../src/index.js';
import { cycleOf, cyclesPerSecond, instant } from './engine.js';

const cycles = Number(process.env.BENCH_JOURNAL_CYCLES ?? 5_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'latent-bench-journal-'));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function measure(journal: Journal | undefined, round: number) {
  const worker = createLatentWorker({
    name: `bench-${round}-${journal ? 'journal' : 'none'}`,
    provider: instant,
    ...(journal ? { journal } : {})
  });
  // Recovery reads the journal first; the cycles begin once the worker is idle.
  await new Promise<void>((resolve) => {
    if (worker.status.state === 'idle') return resolve();
    const subscription = worker.events$.subscribe((event) => {
      if (event.type === 'state' && event.to === 'idle') resolve(subscription.unsubscribe());
    });
  });
  const cpu = process.cpuUsage();
  const perSecond = await cyclesPerSecond(cycleOf(worker), cycles);
  const { user, system } = process.cpuUsage(cpu);
  return { perSecond, cpuPerCycle: (user + system) / cycles };
}

const journal = await openJournal({ path: join(dir, 'journal.db') });
try {
  for (let round = 1; round <= rounds; round++) {
    const without = await measure(undefined, round);
    const withJournal = await measure(journal, round);
    console.log(
      `journal round ${round}: cycles/s without ${fmt(without.perSecond)}, with ${fmt(withJournal.perSecond)} ` +
        `(${((1000 / withJournal.perSecond - 1000 / without.perSecond) * 1000).toFixed(0)} µs more per cycle); ` +
        `CPU per cycle ${without.cpuPerCycle.toFixed(0)} µs vs ${withJournal.cpuPerCycle.toFixed(0)} µs`
    );
  }
} finally {
  await journal.close();
  rmSync(dir, { recursive: true, force: true });
}
