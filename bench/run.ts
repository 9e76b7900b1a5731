/** `npm run bench`: plain node on the production build (vitest would load XState's dev build). */
import {
  bareActor,
  ceilingCycle,
  cyclesPerCpuSecond,
  heapPerObject,
  idleWorker,
  switchCycle,
  switchWorker,
  watchedWorker,
  workerCycle,
  figure,
  fmt,
  range,
  ratios,
  type Figure
} from './engine.js';

const cycles = Number(process.env.BENCH_CYCLES ?? 1_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 31);
const idle = Number(process.env.BENCH_IDLE_WORKERS ?? 10_000);
const share = ({ median, low, high }: Figure) =>
  `${(median * 100).toFixed(0)} % (${(low * 100).toFixed(0)}–${(high * 100).toFixed(0)} %)`;

const rate = await cyclesPerCpuSecond(
  { worker: workerCycle(), ceiling: ceilingCycle(), baseline: switchCycle() },
  { rounds, cycles }
);
console.log(`engine cycles per CPU second, median (range) of ${rounds} rounds of ${fmt(cycles)}:`);
console.log(`  latentWorker          ${range(figure(rate.worker))}`);
console.log(
  `  no-op chart (ceiling) ${range(figure(rate.ceiling))}  latentWorker at ${share(ratios(rate.worker, rate.ceiling))} of it`
);
console.log(
  `  switch baseline       ${range(figure(rate.baseline))}  latentWorker ${ratios(rate.baseline, rate.worker).median.toFixed(1)}x slower`
);

const heap = {
  worker: heapPerObject(idleWorker(), idle),
  watched: heapPerObject(watchedWorker(), idle),
  actor: heapPerObject(bareActor(), idle),
  baseline: heapPerObject(switchWorker, idle)
};
console.log(`heap per idle worker, ${fmt(idle)} kept:`);
console.log(`  latentWorker                     ${fmt(heap.worker)} B`);
console.log(`  latentWorker, events$ subscribed ${fmt(heap.watched)} B`);
console.log(
  `  bare actor of the no-op chart    ${fmt(heap.actor)} B  latentWorker adds ${fmt(heap.worker - heap.actor)} B`
);
console.log(`  switch baseline                  ${fmt(heap.baseline)} B`);
