import { fc } from '@fast-check/vitest';
import { expect, test } from 'vitest';
import { LifecycleModel } from '../model/lifecycleModel.js';
import { lifecycleArbitraries } from './arbitraries.js';
import { CORNERS, Run } from './steps.js';

test('the generated runs reach every corner of issues 5 and 8, and of crashes, often', async () => {
  // Arrange: runs as the lifecycle property draws them, played on the model alone
  const samples = fc.sample(fc.record(lifecycleArbitraries()), { numRuns: 1000, seed: 5 });
  const hits = new Map<string, number>(CORNERS.map((corner) => [corner, 0]));
  let ties = 0;
  // Act
  for (const { settings, script, steps } of samples) {
    const run = new Run(new LifecycleModel(settings, script));
    await fc.asyncModelRun(() => ({ model: run.model, real: run }), steps);
    for (const corner of run.corners) hits.set(corner, (hits.get(corner) ?? 0) + 1);
    ties += run.model.ties;
  }
  // Assert: each corner in at least 1 % of the runs, so 1,000 runs meet each one 10+ times
  console.log('runs reaching each corner, of 1000:', Object.fromEntries(hits));
  for (const [corner, count] of hits) expect(count, corner).toBeGreaterThanOrEqual(10);
  // and the timer lengths keep their promise: no two timers ever fell due at the same instant
  expect(ties, 'timers due at the same instant').toBe(0);
});
