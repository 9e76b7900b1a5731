/**
 * The lifecycle engine's cost: substantiate → attach → insubstantiate cycles per second of one
 * worker with an instant provider, and heap bytes per idle worker, each next to the
 * switch-based baseline measured in the same process.
 */
import { createLatentWorker, type Connection, type Provider } from '../src/index.js';
import { SwitchWorker } from './baseline.js';

export interface CycleSubject {
  substantiate(): Promise<boolean>;
  attached(connection: Connection): void;
  insubstantiate(): Promise<void>;
}

export const instant: Provider = { startInstance() {}, stopInstance() {} };
const connection: Connection = { disconnect() {} };

export const subjects = {
  latentWorker: (name: string): CycleSubject => createLatentWorker({ name, provider: instant }),
  switchBaseline: (name: string): CycleSubject => new SwitchWorker(name, instant)
};

/** Cycles per second of one worker over `cycles` cycles (after a warm-up). */
export async function cyclesPerSecond(make: (name: string) => CycleSubject, cycles: number) {
  const worker = make('bench');
  const cycle = async () => {
    const up = worker.substantiate();
    worker.attached(connection); // during the start: remembered until it returns
    if (!(await up)) throw new Error('substantiation failed');
    await worker.insubstantiate();
  };
  for (let i = 0; i < Math.min(1000, cycles / 10); i++) await cycle();
  const started = performance.now();
  for (let i = 0; i < cycles; i++) await cycle();
  return (cycles / (performance.now() - started)) * 1000;
}

/** Heap bytes per idle worker, from `count` workers kept alive at once. */
export function heapPerIdleWorker(make: (name: string) => CycleSubject, count: number) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const workers = Array.from({ length: count }, (_, i) => make(`w${i}`));
  gc();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / count;
  if (workers.length !== count) throw new Error('unreachable');
  return bytes;
}
