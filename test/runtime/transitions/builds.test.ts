import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BuildResult } from '../../../src/index.js';
import { harness, type Harness } from '../../support/harness.js';

// lifecycle.md "Failures, quarantine and pausing": what each build result does.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Two failed builds: a back-off of 40 s next and a failure streak of 2. */
async function afterTwoFailures(): Promise<Harness> {
  const h = harness();
  for (const quarantine of [10_000, 20_000]) {
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    await h.advance(quarantine);
  }
  expect(h.worker.status).toMatchObject({ consecutiveFailures: 2, nextQuarantine: 40_000 });
  return h;
}

describe('build results', () => {
  it.each<BuildResult>(['success', 'warnings', 'failure', 'skipped', 'cancelled'])(
    '%s resets the back-off and the failure streak',
    async (result) => {
      const h = await afterTwoFailures();
      h.worker.buildStarted();
      h.worker.buildFinished(result);
      expect(h.worker.status).toMatchObject({
        availability: 'available',
        consecutiveFailures: 0,
        nextQuarantine: 10_000
      });
    }
  );

  it('retry neither quarantines nor resets', async () => {
    const h = await afterTwoFailures();
    h.worker.buildStarted();
    h.worker.buildFinished('retry');
    expect(h.worker.status).toMatchObject({
      availability: 'available',
      consecutiveFailures: 2,
      nextQuarantine: 40_000
    });
  });

  it('exception quarantines and counts toward pausing', async () => {
    const h = await afterTwoFailures();
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    expect(h.worker.status).toMatchObject({
      availability: 'quarantined',
      consecutiveFailures: 3,
      nextQuarantine: 80_000
    });
  });

  it('a good build does not end a running quarantine', async () => {
    const h = harness();
    h.worker.buildStarted();
    h.worker.buildStarted();
    h.worker.buildFinished('exception');
    h.worker.buildFinished('success');
    expect(h.worker.status).toMatchObject({ availability: 'quarantined', nextQuarantine: 10_000 });
  });
});
