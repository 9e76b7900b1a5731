import { createActor } from 'xstate';
import { expect } from 'vitest';
import type { WorkerSettings } from '../../src/index.js';
import { transitionKey } from './chart.js';
import { serializeState, type ChartEvent, type Path } from './graphPaths.js';
import { ManualClock } from './manualClock.js';
import { ManualProvider } from './manualProvider.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What replaying paths exercised: transitions taken (by key) and state values entered. */
export interface Coverage {
  transitions: Set<string>;
  values: unknown[];
}

/**
 * Replays `path` on a real actor of the chart: provider answers settle real invoked calls,
 * timers fire on the clock, everything else is sent. After each step the actor must be where
 * the path says (state value and the context the guards read). Returns false for a path that
 * fires a timer twice in one state: the traversal does not know that a timer fires once.
 */
export async function replay(
  path: Path,
  settings: WorkerSettings,
  coverage: Coverage
): Promise<boolean> {
  const provider = new ManualProvider();
  const clock = new ManualClock();
  const actor = createActor(provider.machine, {
    input: { name: 'graph', settings },
    clock,
    inspect: (event) => {
      if (event.type !== '@xstate.microstep') return;
      for (const transition of event._transitions)
        coverage.transitions.add(transitionKey(transition as never));
    }
  });
  clock.system = actor.system;
  actor.start();
  for (const [index, { event, state }] of path.steps.entries()) {
    if (event.type === 'xstate.init') continue;
    if (!deliver(event, provider, clock, actor.send.bind(actor) as (event: ChartEvent) => void)) {
      actor.stop();
      return false;
    }
    await flush();
    const snapshot = actor.getSnapshot();
    coverage.values.push(snapshot.value);
    expect(serializeState(snapshot), `step ${index + 1}: ${event.type}`).toBe(
      serializeState(state)
    );
  }
  expect(provider.overlaps).toEqual([]);
  actor.stop();
  return true;
}

function deliver(
  event: ChartEvent,
  provider: ManualProvider,
  clock: ManualClock,
  send: (event: ChartEvent) => void
): boolean {
  const answer = /^xstate\.(done|error)\.actor\.(start|stop|check|journal)$/.exec(event.type);
  if (answer) {
    const kind = answer[2] as 'start' | 'stop' | 'check' | 'journal';
    provider.answer(kind, answer[1] === 'done' ? { output: event.output } : { error: event.error });
  } else if (event.type.startsWith('xstate.after.')) return clock.fire(event.type);
  else send(event);
  return true;
}
