/** `npm run bench`: plain node on the production build (vitest would load XState's dev build). */
import { cyclesPerSecond, heapPerIdleWorker, subjects } from './engine.js';

const cycles = Number(process.env.BENCH_CYCLES ?? 50_000);
const idle = Number(process.env.BENCH_IDLE_WORKERS ?? 10_000);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const ours = await cyclesPerSecond(subjects.latentWorker, cycles);
const base = await cyclesPerSecond(subjects.switchBaseline, cycles);
console.log(
  `cycles/s  latentWorker ${fmt(ours)}  switch baseline ${fmt(base)}  ratio ${(base / ours).toFixed(1)}x`
);

const heapOurs = heapPerIdleWorker(subjects.latentWorker, idle);
const heapBase = heapPerIdleWorker(subjects.switchBaseline, idle);
console.log(
  `heap/idle worker (${fmt(idle)})  latentWorker ${fmt(heapOurs)} B  switch baseline ${fmt(heapBase)} B  ratio ${(heapOurs / heapBase).toFixed(1)}x`
);
