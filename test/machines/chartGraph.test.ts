import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { activeStates, latentWorkerMachine, toChartGraph, toMermaid } from '../../src/index.js';
import { stateNodes, transitionsOf } from './chart.js';

describe('toChartGraph', () => {
  it('has every state of the machine, parents before children, with its invokes', () => {
    const graph = toChartGraph(latentWorkerMachine);
    const nodes = stateNodes(latentWorkerMachine).slice(1);
    expect(graph.states.map((s) => s.id)).toEqual(nodes.map((n) => n.path.join('.')));
    const seen = new Set<string>();
    for (const state of graph.states) {
      if (state.parent) expect(seen).toContain(state.parent);
      seen.add(state.id);
    }
    expect(graph.states.find((s) => s.id === 'instance.substantiating.starting')).toMatchObject({
      key: 'starting',
      type: 'compound',
      parent: 'instance.substantiating',
      initial: true,
      invokes: ['startInstance']
    });
    expect(graph.states.find((s) => s.id === 'instance')).not.toHaveProperty('parent');
  });

  it('has every transition that moves, labelled as the Mermaid diagram labels it', () => {
    const graph = toChartGraph(latentWorkerMachine);
    const moving = stateNodes(latentWorkerMachine).flatMap((node) =>
      transitionsOf(node).flatMap((t) => t.target ?? [])
    );
    expect(graph.transitions).toHaveLength(moving.length);
    const mermaid = toMermaid(latentWorkerMachine);
    for (const t of graph.transitions) {
      const edge = `${t.source.replace(/\./g, '__')} --> ${t.target.replace(/\./g, '__')} : ${t.label}`;
      expect(mermaid).toContain(edge);
    }
    expect(graph.transitions).toContainEqual(
      expect.objectContaining({
        source: 'instance.substantiating.starting',
        target: 'instance.insubstantiating',
        label: 'done(start) [in instance.substantiating.starting.aborting]'
      })
    );
  });

  it('reads any machine, and the active states of any value', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: 'b' } }, b: { initial: 'c', states: { c: {} } } }
    });
    expect(toChartGraph(machine)).toEqual({
      id: 'm',
      states: [
        { id: 'a', key: 'a', type: 'atomic', initial: true, invokes: [] },
        { id: 'b', key: 'b', type: 'compound', initial: false, invokes: [] },
        { id: 'b.c', key: 'c', type: 'atomic', parent: 'b', initial: true, invokes: [] }
      ],
      transitions: [{ id: 't0', source: 'a', target: 'b', label: 'GO' }]
    });
    expect(activeStates({ instance: { substantiated: 'idling' }, availability: 'paused' })).toEqual(
      [
        'instance',
        'instance.substantiated',
        'instance.substantiated.idling',
        'availability',
        'availability.paused'
      ]
    );
  });
});
