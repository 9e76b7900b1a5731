import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, expect, test } from 'vitest';
import type * as LatentWorkers from '../../src/index.js';
import { builtPackage } from '../support/builtPackage.js';
import { freePort } from '../support/ports.js';

// Crash points (instances.md, "What is measured"): an orchestrator with a real process
// provider, agent hub, journal and Fleet is killed with SIGKILL at random moments, mid-start,
// mid-build, mid-stop and mid-recovery, and started again, several times in a row; after its
// final clean shutdown nothing of any of its runs is alive, the journal holds nothing open,
// and every journaled start got exactly one completed stop.
//   CRASH_POINTS=1000 CRASH_SEED=42 npx vitest run test/crash   (npm run test:crash)

const POINTS = Number(process.env.CRASH_POINTS ?? 50);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SEQUENCES = Math.min(POINTS, 5);
/** Sequences run two at a time: each already keeps several processes busy. */
const PARALLEL = 2;
const MOMENTS = ['start', 'build', 'stop', 'recovery'] as const;
type Moment = (typeof MOMENTS)[number];

let pkg: string;
beforeAll(() => void ([pkg] = builtPackage() as [string]), 120_000);

/** mulberry32: a small seeded generator, so that a printed seed replays the same kills. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Sequence {
  owner: string;
  dir: string;
  port: number;
  runs: number;
}

/** Runs the orchestrator; `until` sees each moment it announces and says when to kill it. */
function orchestrate(
  sequence: Sequence,
  mode: 'work' | 'shutdown',
  adopt: boolean,
  until: (moment: string) => boolean
): Promise<{ killedAt?: string; code: number | null; stderr: string }> {
  const { dir } = sequence;
  const settings = {
    run: ++sequence.runs,
    mode,
    adopt,
    port: sequence.port,
    owner: sequence.owner,
    stateDir: join(dir, 'state'),
    journal: join(dir, 'journal.db'),
    log: join(dir, 'calls.log'),
    agent: [process.execPath, join(pkg, 'dist/agent/latent-agent.mjs')]
  };
  const child = spawn(
    process.execPath,
    [new URL('orchestrator.js', import.meta.url).pathname, pkg, JSON.stringify(settings)],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killedAt: string | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const { at } = JSON.parse(line) as { at: string };
    if (killedAt === undefined && until(at)) {
      killedAt = at;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => resolve({ ...(killedAt ? { killedAt } : {}), code, stderr }))
  );
}

/** One kill: at the `count`-th announcement of `moment`, or mid-build if it does not come. */
function crashPoint(next: () => number): (at: string) => boolean {
  const moment: Moment = MOMENTS[Math.floor(next() * MOMENTS.length)]!;
  const count = moment === 'recovery' ? 1 : 1 + Math.floor(next() * 3);
  let seen = 0;
  let builds = 0;
  return (at) => {
    if (at === moment) seen++;
    if (at === 'build') builds++;
    return seen >= count || builds >= count + 12;
  };
}

/** This owner's processes still alive: agents and the commands they ran carry the name. */
function survivors(owner: string): number[] {
  const alive: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (env.includes(`LATENT_INSTANCE_NAME=${owner}-`)) alive.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return alive;
}

interface LogEntry {
  run: number;
  call?: 'start' | 'stop';
  phase?: 'begin' | 'end';
  journal?: string;
  recovered?: string;
  name: string;
}

/**
 * What the log says went wrong: a generation started twice, a start without a completed stop,
 * or a stop completed more than once where no crash fell between the earlier completed stop
 * and its record (the one re-stop the design accepts).
 */
function breaches(log: LogEntry[]): string[] {
  const problems: string[] = [];
  const names = new Set(log.filter((e) => e.call === 'start').map((e) => e.name));
  for (const name of names) {
    const of = log.filter((e) => e.name === name);
    const starts = of.filter((e) => e.call === 'start' && e.phase === 'begin');
    if (starts.length > 1) problems.push(`${name} started ${starts.length} times`);
    const stops = of.flatMap((e, i) => (e.call === 'stop' && e.phase === 'end' ? [i] : []));
    if (stops.length === 0) problems.push(`${name} never stopped`);
    for (const i of stops.slice(0, -1)) {
      const { run } = of[i]!;
      const recorded = of.slice(i).some((e) => e.run === run && e.journal === 'stopped');
      if (recorded) problems.push(`${name} stopped again after its stop was recorded`);
    }
  }
  return problems;
}

test(
  `${POINTS} crash points leak nothing (seed ${SEED})`,
  { timeout: 60_000 + POINTS * 4_000 },
  async () => {
    console.log(`crash test: ${POINTS} crash points, seed ${SEED} (CRASH_SEED=${SEED} replays)`);
    const next = random(SEED);
    const plan = Array.from(
      { length: SEQUENCES },
      (_, i) => Math.floor(POINTS / SEQUENCES) + (i < POINTS % SEQUENCES ? 1 : 0)
    );
    const kills: Record<string, number> = {};
    const report: string[] = [];
    let restartToClean = 0;

    const runSequence = async (index: number, crashes: number) => {
      const sequence: Sequence = {
        owner: `crash-${index}-${SEED.toString(36).slice(-6)}`,
        dir: mkdtempSync(join(tmpdir(), 'latent-crash-')),
        port: await freePort(),
        runs: 0
      };
      try {
        for (let i = 0; i < crashes; i++) {
          const run = await orchestrate(sequence, 'work', next() < 0.5, crashPoint(next));
          if (run.killedAt === undefined) {
            throw new Error(`run ${sequence.runs} ended by itself (${run.code}): ${run.stderr}`);
          }
          kills[run.killedAt] = (kills[run.killedAt] ?? 0) + 1;
        }
        const began = Date.now();
        const last = await orchestrate(sequence, 'shutdown', false, () => false);
        restartToClean = Math.max(restartToClean, Date.now() - began);
        expect(last, last.stderr).toMatchObject({ code: 0 });
        const log = readFileSync(join(sequence.dir, 'calls.log'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as LogEntry);
        const { openJournal } = (await import(`${pkg}/dist/src/index.js`)) as typeof LatentWorkers;
        const journal = await openJournal({ path: join(sequence.dir, 'journal.db') });
        const open = await journal.openInstances();
        await journal.close();
        const alive = survivors(sequence.owner);
        report.push(
          `${sequence.owner}: ${crashes} kills, ${log.filter((e) => e.call === 'start' && e.phase === 'begin').length} starts, ` +
            `${log.filter((e) => e.recovered === 'adopted').length} adopted, ${log.filter((e) => e.recovered === 'stopped').length} stopped by recovery`
        );
        expect({ alive, open, breaches: breaches(log) }).toEqual({
          alive: [],
          open: [],
          breaches: []
        });
      } finally {
        for (const pid of survivors(sequence.owner)) process.kill(pid, 'SIGKILL');
        rmSync(sequence.dir, { recursive: true, force: true });
      }
    };

    const queue = plan.map((crashes, index) => () => runSequence(index, crashes));
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await job();
      })
    );
    console.log(
      `crash test: kills by moment ${JSON.stringify(kills)}; longest final restart to clean shutdown ${restartToClean} ms\n${report.join('\n')}`
    );
    if (POINTS >= 20) {
      for (const moment of MOMENTS)
        expect(kills[moment] ?? 0, `kills ${moment}`).toBeGreaterThan(0);
    }
  }
);
