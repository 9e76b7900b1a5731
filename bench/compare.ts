/**
 * This build's engine against another build's, in one process: `node --expose-gc
 * dist/bench/compare.js <other>/dist` (e.g. the `dist` of a checkout of the commit before a
 * change). Cycles per CPU second interleaved round by round, and heap per idle worker, each
 * build next to its own no-op chart (the ceiling XState sets).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import {
  bareActor,
  ceilingCycle,
  cyclesPerCpuSecond,
  heapPerObject,
  idleWorker,
  workerCycle,
  figure,
  fmt,
  range,
  ratios,
  type Figure,
  type Library
} from './engine.js';

const [other] = process.argv.slice(2);
if (!other) {
  console.error('usage: node --expose-gc dist/bench/compare.js <other build>/dist');
  process.exit(2);
}
const before = (await import(pathToFileURL(resolve(other, 'src/index.js')).href)) as Library;
const cycles = Number(process.env.BENCH_CYCLES ?? 1_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 41);
const idle = Number(process.env.BENCH_IDLE_WORKERS ?? 10_000);
const times = ({ median, low, high }: Figure) =>
  `${median.toFixed(2)} (${low.toFixed(2)}–${high.toFixed(2)})`;

const rate = await cyclesPerCpuSecond(
  {
    other: workerCycle(before),
    this: workerCycle(),
    otherCeiling: ceilingCycle(before),
    thisCeiling: ceilingCycle()
  },
  { rounds, cycles }
);
console.log(`cycles per CPU second, median (range) of ${rounds} rounds of ${fmt(cycles)}:`);
console.log(
  `  other build  ${range(figure(rate.other))}  its no-op chart ${range(figure(rate.otherCeiling))}`
);
console.log(
  `  this build   ${range(figure(rate.this))}  its no-op chart ${range(figure(rate.thisCeiling))}`
);
console.log(`  this / other, round by round: ${times(ratios(rate.this, rate.other))}`);
console.log(
  `  share of its no-op chart: other ${times(ratios(rate.other, rate.otherCeiling))}, this ${times(ratios(rate.this, rate.thisCeiling))}`
);

const heap = {
  other: heapPerObject(idleWorker(before), idle),
  this: heapPerObject(idleWorker(), idle),
  otherActor: heapPerObject(bareActor(before), idle),
  thisActor: heapPerObject(bareActor(), idle)
};
console.log(`heap per idle worker, ${fmt(idle)} kept (bare actor of the no-op chart):`);
console.log(`  other build  ${fmt(heap.other)} B (${fmt(heap.otherActor)} B)`);
console.log(`  this build   ${fmt(heap.this)} B (${fmt(heap.thisActor)} B)`);
