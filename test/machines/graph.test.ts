import { expect, test } from 'vitest';
import { latentWorkerMachine } from '../../src/index.js';
import { activeNodeIds, stateNodes, transitionKey, transitionsOf } from './chart.js';
import { adjacency, serializeState, shortestPaths, VARIANTS, type Path } from './graphPaths.js';
import { replay, type Coverage } from './replay.js';

/** Guard branches the chart defines but no event sequence can take: none. */
const UNREACHABLE: string[] = [];

/** A path's identity: the states it goes through. */
const trail = (path: Path) => path.steps.map((step) => serializeState(step.state)).join(' > ');

test('every state and transition of the chart is reachable and replays on a real actor', async () => {
  // Arrange: the chart's definition, and its reachable graph under each configuration
  const allNodes = stateNodes(latentWorkerMachine).map((node) => node.path.join('.'));
  const allTransitions = stateNodes(latentWorkerMachine).flatMap(transitionsOf).map(transitionKey);
  const coverage: Coverage = { transitions: new Set(), values: [] };
  const counts = { states: 0, transitions: 0, paths: 0, infeasible: 0 };

  // Act: replay the shortest path to every state (the longest ones only: they pass through the
  // others), then, for each transition that takes a new branch or lands somewhere new, the
  // shortest path to its source followed by that transition
  for (const settings of Object.values(VARIANTS)) {
    const graph = adjacency(settings);
    const paths = shortestPaths(settings);
    const toState = new Map(paths.map((path) => [serializeState(path.state), path]));
    const inner = new Set(paths.map((path) => trail({ ...path, steps: path.steps.slice(0, -1) })));
    for (const path of paths.filter((p) => !inner.has(trail(p)))) {
      expect(await replay(path, settings, coverage), trail(path)).toBe(true);
      counts.paths++;
    }
    const replayed = new Set<string>();
    for (const [source, { state, transitions }] of Object.entries(graph)) {
      counts.states++;
      for (const { event, state: target } of Object.values(transitions)) {
        counts.transitions++;
        const taken = latentWorkerMachine
          .getTransitionData(state, event as never)
          .map((t) => transitionKey(t as never));
        const signature = [
          JSON.stringify(state.value),
          ...taken,
          JSON.stringify(target.value)
        ].join(' ');
        if (taken.every((key) => coverage.transitions.has(key)) && replayed.has(signature))
          continue;
        replayed.add(signature);
        const head = toState.get(source) as Path;
        const path = { ...head, state: target, steps: [...head.steps, { event, state: target }] };
        if (await replay(path, settings, coverage)) counts.paths++;
        else counts.infeasible++;
      }
    }
  }

  // Assert: nothing of the definition is unreachable or untested
  // A transient state (only `always` transitions) is never a resting value: it was entered
  // when one of its transitions was taken.
  const entered = new Set(
    [
      ...coverage.values.flatMap((value) => activeNodeIds(latentWorkerMachine.id, value)),
      ...[...coverage.transitions].map((key) => key.split(' ')[0]!)
    ].map((id) => id.split('.').slice(1).join('.'))
  );
  const neverTaken = allTransitions.filter((key) => !coverage.transitions.has(key));
  console.log(
    `xstate/graph: ${counts.states} states, ${counts.transitions} transitions, ${counts.paths} paths replayed; ` +
      `definition: ${allNodes.length} state nodes, ${allTransitions.length} transitions ` +
      `(${allTransitions.length - neverTaken.length} taken); ${counts.infeasible} transitions ` +
      'fire a timer a second time in one state and cannot happen'
  );
  expect(
    allNodes.filter((path) => !entered.has(path)),
    'state nodes never entered'
  ).toEqual([]);
  expect(neverTaken, 'transitions never taken').toEqual(UNREACHABLE);
});
