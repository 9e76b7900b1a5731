/**
 * Heap bytes allocated per substantiate → attach → insubstantiate cycle (what the garbage
 * collector later pays for), of this build, its no-op chart and the switch baseline, and of
 * another build if one is named: `node --expose-gc --min-semi-space-size=128
 * --max-semi-space-size=128 dist/bench/allocation.js [<other>/dist]`. The young generation is
 * made large enough that no collection runs while the cycles are counted.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import {
  allocatedPerCycle,
  ceilingCycle,
  switchCycle,
  workerCycle,
  type Library
} from './engine.js';

const cycles = Number(process.env.BENCH_ALLOCATION_CYCLES ?? 300);
const [other] = process.argv.slice(2);
const subjects: [string, () => Promise<void>][] = [
  ['latentWorker', workerCycle()],
  ['no-op chart', ceilingCycle()],
  ['switch baseline', switchCycle()]
];
if (other) {
  const lib = (await import(pathToFileURL(resolve(other, 'src/index.js')).href)) as Library;
  subjects.push(
    ['other build', workerCycle(lib)],
    ["other build's no-op chart", ceilingCycle(lib)]
  );
}
console.log(`allocated per cycle, over ${cycles} cycles without a collection:`);
for (const [name, cycle] of subjects) {
  const bytes = await allocatedPerCycle(cycle, cycles);
  const shown = bytes === undefined ? 'n/a (a collection ran)' : `${(bytes / 1000).toFixed(1)} KB`;
  console.log(`  ${name.padEnd(26)} ${shown}`);
}
