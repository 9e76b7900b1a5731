import { createActor } from 'xstate';
import { expect, test } from 'vitest';
import { latentWorkerMachine } from '../../src/index.js';
import { VARIANTS } from './graphPaths.js';

test('the chart without provided provider actors fails a substantiation, saying what is missing', async () => {
  // Arrange: the bare machine, as exported, with no .provide()
  const actor = createActor(latentWorkerMachine, {
    input: { name: 'bare', settings: VARIANTS.stopsWhenIdle! }
  }).start();
  const settled = new Promise<unknown>((resolve) =>
    actor.on('settle', (event) => resolve(event.outcome))
  );
  // Act
  actor.send({ type: 'substantiate', waiter: 1 });
  // Assert
  expect(await settled).toMatchObject({
    status: 'failed',
    error: {
      message: expect.stringContaining(
        'latentWorkerMachine: provide the startInstance actor with machine.provide()'
      ) as unknown
    }
  });
  actor.stop();
});
