import { fc, test } from '@fast-check/vitest';
import { beforeAll } from 'vitest';
import type { AnswerScript, CheckAnswer, StartAnswer, StopAnswer } from '../model/answers.js';
import { LifecycleModel } from '../model/lifecycleModel.js';
import { lifecycleArbitraries, runs, settingsArb, timeoutFor } from './arbitraries.js';
import { Run, StepCommand } from './steps.js';
import { flush, hideStoppedActorWarnings, World } from './world.js';

beforeAll(hideStoppedActorWarnings);

/** Scripts where hangs are common: starts that ignore their signal, stops that never return. */
const hangingScript: fc.Arbitrary<AnswerScript> = fc.record({
  start: fc.array(fc.constantFrom<StartAnswer>('started', 'hangs', 'hangsForever', 'refused'), {
    minLength: 1,
    maxLength: 4
  }),
  stop: fc.array(fc.constantFrom<StopAnswer>('stopped', 'hangs', 'hangsForever'), {
    minLength: 1,
    maxLength: 3
  }),
  check: fc.array(fc.constantFrom<CheckAnswer>('good', 'hangs', 'hangsForever'), {
    minLength: 1,
    maxLength: 2
  })
});

/**
 * Every wait has a deadline (instances.md), checked on its own and without the model, so that
 * it judges any engine: after every step, no `substantiate()` is still pending
 * `missingTimeout` after its call, and no `insubstantiate()` or `shutdown()` `stopTimeout`
 * after its call, whatever the provider does.
 */
test.prop(
  {
    ...lifecycleArbitraries(60),
    settings: settingsArb.filter((s) => s.missingTimeout > 0 && s.stopTimeout > 0),
    script: hangingScript
  },
  runs(300)
)(
  'every substantiate(), insubstantiate() and shutdown() settles by its deadline, whatever the provider does',
  async ({ settings, script, s, steps }) => {
    // Arrange
    const run = new Run(
      new LifecycleModel(settings, script),
      new World(settings, script, s),
      'deadlines'
    );
    await flush(); // a worker with a journal reads it first
    const act = (step: ConstructorParameters<typeof StepCommand>[0]) =>
      new StepCommand(step).run(run.model, run);
    // Act + Assert: each step checks every pending promise against its deadline
    await fc.asyncModelRun(() => ({ model: run.model, real: run }), steps);
    await act({ call: 'shutdown', fast: false });
    for (let i = 0; i < 10; i++) {
      await act({ call: 'release' });
      await act({ call: 'advance', ms: 2_000 });
    }
  },
  timeoutFor(300)
);
