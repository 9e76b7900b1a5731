import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as here from '../../src/index.js';
import { builtPackage } from '../support/builtPackage.js';

type Package = typeof here;

describe('X.is() names its own class only', () => {
  const error = new here.LatentWorkerError('plain');
  const failed = new here.LatentWorkerFailedToSubstantiate('w', 'no', { reason: 'refused' });
  const cannot = new here.LatentWorkerCannotSubstantiate('bad image');
  const unavailable = new here.LatentWorkerUnavailable('w', 'paused');

  it('is true for the class and its subclasses, false for siblings and strangers', () => {
    expect(here.LatentWorkerCannotSubstantiate.is(unavailable)).toBe(false);
    expect(here.LatentWorkerCannotSubstantiate.is(failed)).toBe(false);
    expect(here.LatentWorkerCannotSubstantiate.is(cannot)).toBe(true);
    expect(here.LatentWorkerFailedToSubstantiate.is(failed)).toBe(true);
    expect(here.LatentWorkerUnavailable.is(unavailable)).toBe(true);
    expect([error, failed, cannot, unavailable].every((e) => here.LatentWorkerError.is(e))).toBe(
      true
    );
    expect(here.LatentWorkerFailedToSubstantiate.is(error)).toBe(false);
    expect(here.LatentWorkerError.is(new Error('x'))).toBe(false);
    expect(here.LatentWorkerError.is('LatentWorkerError')).toBe(false);
    expect(here.LatentWorkerError.is(null)).toBe(false);
  });

  it("a user's subclass is recognised by its parents, and by itself through instanceof", () => {
    class QuotaExceeded extends here.LatentWorkerCannotSubstantiate {}
    const quota = new QuotaExceeded('no quota');
    expect(here.LatentWorkerCannotSubstantiate.is(quota)).toBe(true);
    expect(QuotaExceeded.is(quota)).toBe(true);
    expect(QuotaExceeded.is(cannot)).toBe(false);
    expect(quota.name).toBe('QuotaExceeded');
  });

  it('failures carry a reason, and timedOut follows from it', () => {
    const timedOut = new here.LatentWorkerFailedToSubstantiate('w', 'late', { reason: 'timedOut' });
    const stopping = new here.LatentWorkerFailedToSubstantiate('w', 'late', { reason: 'stopping' });
    expect([failed.timedOut, timedOut.timedOut, stopping.timedOut]).toEqual([false, true, true]);
    expect(new here.LatentWorkerFailedToSubstantiate('w', 'boom').reason).toBe('threw');
  });
});

describe('two copies of the package in one process', () => {
  let a: Package;
  let b: Package;

  beforeAll(async () => {
    const [first, second] = builtPackage(2).map((copy) => join(copy, 'dist/src/index.js'));
    [a, b] = (await Promise.all([import(first!), import(second!)])) as [Package, Package];
  }, 120_000);

  it('are really two copies', () => {
    expect(a.LatentWorkerError).not.toBe(b.LatentWorkerError);
    expect(new b.LatentWorkerCannotSubstantiate('x')).not.toBeInstanceOf(
      a.LatentWorkerCannotSubstantiate
    );
  });

  it("recognise each other's errors by class", () => {
    expect(a.LatentWorkerCannotSubstantiate.is(new b.LatentWorkerCannotSubstantiate('x'))).toBe(
      true
    );
    expect(a.LatentWorkerCannotSubstantiate.is(new b.LatentWorkerUnavailable('w', 'paused'))).toBe(
      false
    );
    expect(a.LatentWorkerError.is(new b.LatentWorkerConnectionLost('gone'))).toBe(true);
    const locked = new b.LatentWorkerJournalError('locked', 'held');
    expect(a.LatentWorkerJournalError.is(locked)).toBe(true);
    expect(a.LatentWorkerError.is(locked)).toBe(true);
    expect(a.LatentWorkerJournalError.is(new b.LatentWorkerConnectionLost('gone'))).toBe(false);
    expect(locked).toMatchObject({ name: 'LatentWorkerJournalError', code: 'locked' });
  });

  it("a provider throwing the other copy's CannotSubstantiate fails the build, not the worker", async () => {
    const provider: here.Provider = {
      startInstance: () => {
        throw new b.LatentWorkerCannotSubstantiate('unknown image');
      },
      stopInstance: () => undefined
    };
    const worker = a.createLatentWorker({ name: 'w', provider });
    const fleet = a.createFleet({ workers: [worker] });
    const { outcome } = fleet.submit({ run: async () => undefined });
    const { result, error } = await outcome;
    expect(result).toBe('exception');
    expect(b.LatentWorkerCannotSubstantiate.is(error)).toBe(true);
    expect(worker.status).toMatchObject({ availability: 'available', consecutiveFailures: 0 });
    const metrics = await fleet.metrics.metrics();
    expect(metrics).toContain(
      'latent_workers_substantiation_failures_total{reason="cannotSubstantiate"} 1'
    );
    await fleet.shutdown();
  });
});
