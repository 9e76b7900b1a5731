import { fc } from '@fast-check/vitest';
import type { AnswerScript } from '../model/answers.js';
import { LifecycleModel, type ModelSettings } from '../model/lifecycleModel.js';
import { finish } from './arbitraries.js';
import { Run } from './steps.js';
import { flush, World } from './world.js';

/** One run as `lifecycleArbitraries()` draws it. */
export interface Drawn {
  settings: ModelSettings;
  script: AnswerScript;
  s: fc.Scheduler;
  steps: Iterable<fc.AsyncCommand<LifecycleModel, Run>>;
}

/**
 * The lifecycle property: a real worker on a scheduled provider and the reference model go
 * through the same steps; after each one the invariants hold and both agree; at the end the
 * worker shuts down cleanly.
 */
export async function lifecycleProperty({ settings, script, s, steps }: Drawn): Promise<void> {
  // Arrange: the real worker on a scheduled provider, and the model, answering alike
  const run = new Run(new LifecycleModel(settings, script), new World(settings, script, s));
  await flush(); // a worker with a journal reads it first
  // Act + Assert: every step checks the invariants and compares worker and model
  await fc.asyncModelRun(() => ({ model: run.model, real: run }), steps);
  await finish(run);
}
