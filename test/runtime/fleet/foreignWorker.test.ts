import { describe, expect, it } from 'vitest';
import {
  createFleet,
  createLatentWorker,
  type Connection,
  type LatentWorker
} from '../../../src/index.js';

const connection: Connection = { disconnect() {} };

/** A worker whose agent attaches during its start. */
function instant(name: string): LatentWorker {
  const worker: LatentWorker = createLatentWorker({
    name,
    provider: { startInstance: () => worker.attached(connection), stopInstance() {} }
  });
  return worker;
}

/** A LatentWorker this library did not make: every call goes to `real`. */
function foreign(real: LatentWorker): LatentWorker {
  return new Proxy(real, {
    getPrototypeOf: () => Object.prototype,
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    }
  });
}

const sample = (text: string, line: string) =>
  text
    .split('\n')
    .find((l) => l.startsWith(`${line} `))
    ?.slice(line.length + 1);

describe('what a fleet hears of its workers', () => {
  it.each([
    ['its own workers, directly', instant('own')],
    ['any other LatentWorker, through events$', foreign(instant('foreign'))]
  ])('%s: every start and stop reaches its metrics', async (_, worker) => {
    const fleet = createFleet({ workers: [worker] });
    const { outcome } = fleet.submit({ run: async () => 'success' });
    expect((await outcome).result).toBe('success');
    const before = await fleet.metrics.metrics();
    expect(sample(before, 'latent_workers_starts_total{outcome="started"}')).toBe('1');
    await fleet.shutdown();
    const after = await fleet.metrics.metrics();
    expect(sample(after, 'latent_workers_stops_total{outcome="stopped"}')).toBe('1');
  });
});
