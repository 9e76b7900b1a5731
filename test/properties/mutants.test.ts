import { fc } from '@fast-check/vitest';
import type { AnyStateMachine } from 'xstate';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type * as ProviderActors from '../../src/runtime/providerActors.js';
import { lifecycleArbitraries } from './arbitraries.js';
import { lifecycleProperty } from './lifecycleProperty.js';
import {
  recoverySkipsLeftovers,
  skipStopAfterRefusedStart,
  startDuringRecovery,
  stopWithoutAwaitingStart
} from './mutants.js';
import { hideStoppedActorWarnings } from './world.js';

// Every worker created in this file runs `mutant.machine` instead of the real chart.
const mutant = vi.hoisted(() => ({ machine: undefined as AnyStateMachine | undefined }));
vi.mock('../../src/runtime/providerActors.js', async (importOriginal) => {
  const original = await importOriginal<typeof ProviderActors>();
  return {
    ...original,
    get providedWorkerMachine() {
      return mutant.machine ?? original.providedWorkerMachine;
    }
  };
});
const { providedWorkerMachine } = await import('../../src/runtime/providerActors.js');

beforeAll(hideStoppedActorWarnings);

describe.each([
  ['a stop skipped after a refused start', skipStopAfterRefusedStart],
  ['a stop that does not wait for the start (overlap)', stopWithoutAwaitingStart],
  ['a recovery that stops nothing the journal holds open', recoverySkipsLeftovers],
  ['a request during recovery that starts before the leftovers are stopped', startDuringRecovery]
])('the lifecycle property catches %s', (_, breakEngine) => {
  it('in under 100 runs', async () => {
    // Arrange
    mutant.machine = breakEngine(providedWorkerMachine as AnyStateMachine);
    // Act
    const out = await fc.check(
      fc.asyncProperty(fc.record(lifecycleArbitraries()), lifecycleProperty),
      {
        numRuns: 99
      }
    );
    mutant.machine = undefined;
    // Assert
    console.log(fc.defaultReportMessage(out));
    expect(out.failed).toBe(true);
  });
});
