import { describe, expect, it, test } from 'vitest';
import {
  cancel,
  createMachine,
  not,
  stateIn,
  type AnyStateMachine,
  type EventObject,
  type MachineConfig,
  type MachineContext
} from 'xstate';
import { latentWorkerMachine, toStatelyJson } from '../../src/index.js';
import { stateNodes, transitionsOf } from './chart.js';
import { expectGenerated } from './generatedFile.js';

const EXPORT = new URL('../../docs/lifecycle.stately.json', import.meta.url);

/**
 * An implementation as the machine holds it (a name, `{ type, params }`, or a function with its
 * data as properties), written the same way for the machine and for its copy made from JSON.
 */
function label(implementation: unknown): string {
  if (typeof implementation === 'string') return implementation;
  const { type, params, ...rest } = implementation as Record<string, unknown>;
  const name =
    typeof type === 'string' ? type : (implementation as { name: string }).name || 'inline';
  const data =
    typeof implementation === 'function'
      ? Object.fromEntries(
          Object.entries({ params, ...rest }).filter(
            ([, v]) => v !== undefined && typeof v !== 'function'
          )
        )
      : typeof params === 'object' && params !== null
        ? params
        : {}; // params computed at run time cannot be compared
  const nested = (_: string, v: unknown) =>
    typeof v === 'function' || (typeof (v as { type?: unknown })?.type === 'string' && v !== data)
      ? label(v)
      : v;
  return name + JSON.stringify(data, nested);
}

/** A machine config, as Stately Studio would import it. */
const fromJson = (json: string) => JSON.parse(json) as MachineConfig<MachineContext, EventObject>;

/** Everything of a machine's chart that Stately Studio shows. */
function chart(machine: AnyStateMachine) {
  return stateNodes(machine).map((node) => ({
    id: node.id,
    type: node.type,
    description: node.description,
    tags: node.tags,
    initial: node.initial?.target.map((target) => target.id),
    invoke: node.invoke.map((i) => `${i.id}: ${typeof i.src === 'string' ? i.src : 'inline'}`),
    entry: node.entry.map(label),
    exit: node.exit.map(label),
    transitions: transitionsOf(node).map((t) => ({
      event: t.eventType,
      guard: t.guard === undefined ? undefined : label(t.guard),
      targets: t.target?.map((target) => target.id),
      reenter: t.reenter,
      actions: t.actions.map(label)
    }))
  }));
}

describe('toStatelyJson', () => {
  it('makes a copy of latentWorkerMachine with the same states and transitions', () => {
    const copy = createMachine(fromJson(toStatelyJson(latentWorkerMachine)));
    expect(chart(copy)).toEqual(chart(latentWorkerMachine));
    // The comparison sees what matters: guards, targets and actions by name.
    const ours = chart(latentWorkerMachine).flatMap((node) => node.transitions);
    expect(ours.some((t) => t.guard?.startsWith('stateIn{"stateValue"'))).toBe(true);
    expect(ours.some((t) => t.actions.includes('cancelWaiters{"queued":true}'))).toBe(true);
  });

  it('keeps inline guards and actions by name and data, where JSON.stringify drops them', () => {
    const machine = createMachine({
      initial: 'a',
      states: {
        a: {
          exit: [cancel('timer'), () => undefined],
          on: { go: { guard: not(stateIn('#m.b')), target: 'b', actions: { type: 'named' } } }
        },
        b: {}
      },
      id: 'm'
    });
    const json = toStatelyJson(machine);
    expect(JSON.stringify(machine.config)).toContain('null');
    expect(json).not.toContain('null');
    expect(chart(createMachine(fromJson(json)))).toEqual(chart(machine));
    expect(JSON.parse(json)).toMatchObject({
      states: {
        a: {
          exit: [{ type: 'xstate.cancel', params: { sendId: 'timer' } }, { type: 'inline' }],
          on: { go: { guard: { type: 'not', params: { guards: [{ type: 'stateIn' }] } } } }
        }
      }
    });
  });
});

test('docs/lifecycle.stately.json is the export of the machine as it is', () => {
  expectGenerated(
    EXPORT,
    toStatelyJson(latentWorkerMachine) + '\n',
    'test/machines/stately.test.ts'
  );
});
