import type { AnyStateMachine, StateNode, TransitionDefinition } from 'xstate';
import { activeStates } from '../../src/index.js';

type AnyStateNode = StateNode<never, never>;
type AnyTransition = TransitionDefinition<never, never>;

/** Every state node of a machine, the root first, in document order. */
export function stateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const walk = (node: AnyStateNode): AnyStateNode[] => [
    node,
    ...Object.values(node.states).flatMap((child) => walk(child))
  ];
  return walk(machine.root as unknown as AnyStateNode);
}

/** The transitions a node defines, per event, each alternative (guarded branch) on its own. */
export function transitionsOf(node: AnyStateNode): AnyTransition[] {
  return [...node.transitions.values(), node.always ?? []].flat();
}

/** A name for one transition alternative that is the same in every copy of the machine. */
export function transitionKey(transition: AnyTransition): string {
  const source = transition.source as AnyStateNode;
  const always = (transition.eventType as string) === '';
  const siblings = always
    ? (source.always ?? [])
    : (source.transitions.get(transition.eventType) ?? []);
  const branch = (siblings as AnyTransition[]).indexOf(transition);
  return `${source.id} ${always ? 'always' : transition.eventType} #${branch}`;
}

/** The ids of the state nodes a state value is in, ancestors included (the root first). */
export function activeNodeIds(machineId: string, value: unknown): string[] {
  return [machineId, ...activeStates(value).map((id) => `${machineId}.${id}`)];
}
