import type { AnyStateMachine, StateNode } from 'xstate';

/** A state node of any machine, as the exporters walk them. */
export type AnyStateNode = StateNode<never, never>;
/** What the exporters read of a transition. */
export interface TransitionLike {
  eventType: string;
  target?: readonly AnyStateNode[] | undefined;
  guard?: unknown;
}

/** One state of a chart. `id` is the state's path joined with dots (`instance.idle`). */
export interface ChartState {
  id: string;
  /** The state's own name, the last part of its path. */
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The enclosing state's id; absent for the top-level states. */
  parent?: string;
  /** Whether it is the initial state of its parent. */
  initial: boolean;
  /** The actors it invokes while active (provider calls, the journal). */
  invokes: string[];
}

/** One transition that moves: from `source` to `target`, labelled `event [guard]`. */
export interface ChartTransition {
  id: string;
  source: string;
  target: string;
  label: string;
}

/** A statechart as a graph: its states (parents before children) and its transitions. */
export interface ChartGraph {
  /** The machine's id. */
  id: string;
  states: ChartState[];
  transitions: ChartTransition[];
}

/**
 * The graph of a machine, read from its definition, for drawing it: every nested or parallel
 * state, what each invokes, and every transition that moves (targetless ones only run actions
 * and are left out). Plain data, so that a page can lay it out and highlight active states.
 */
export function toChartGraph(machine: AnyStateMachine): ChartGraph {
  const graph: ChartGraph = { id: machine.id, states: [], transitions: [] };
  const visit = (node: AnyStateNode): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (node.path.length > 0) {
      const parent = node.parent;
      const state: ChartState = {
        id: stateId(node),
        key: node.key,
        type: node.type,
        initial: parent?.initial?.target[0] === node,
        invokes: node.invoke.map((i) => (typeof i.src === 'string' ? i.src : i.id))
      };
      if (parent && parent.path.length > 0) state.parent = stateId(parent);
      graph.states.push(state);
      const transitions = [...node.transitions.values()].flat() as TransitionLike[];
      for (const transition of [...transitions, ...((node.always ?? []) as TransitionLike[])]) {
        for (const target of transition.target ?? []) {
          graph.transitions.push({
            id: `t${graph.transitions.length}`,
            source: state.id,
            target: stateId(target),
            label: transitionLabel(transition)
          });
        }
      }
    }
    children.forEach(visit);
  };
  visit(machine.root as unknown as AnyStateNode);
  return graph;
}

/** The ids of the states a snapshot's `value` is in, ancestors first (`['instance', 'instance.idle']`). */
export function activeStates(value: unknown): string[] {
  const ids: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'string') ids.push(prefix + v);
    else
      for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
        ids.push(prefix + key);
        walk(`${prefix}${key}.`, child);
      }
  };
  walk('', value);
  return ids;
}

function stateId(node: AnyStateNode): string {
  return node.path.join('.');
}

/** `event [guard]`, with XState's internal event names shortened: `done(start)`, `after idleTimeout`. */
export function transitionLabel(transition: TransitionLike): string {
  const event = transition.eventType
    .replace(/^xstate\.done\.actor\.(.+)$/, 'done($1)')
    .replace(/^xstate\.error\.actor\.(.+)$/, 'error($1)')
    .replace(/^xstate\.after\.([^.]+)\..*$/, 'after $1');
  const guard = guardName(transition.guard);
  return `${event || 'always'}${guard ? ` [${guard}]` : ''}`;
}

function guardName(guard: unknown): string | undefined {
  if (!guard) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const { stateValue } = guard as { stateValue?: unknown };
    return stateValue ? `in ${activeStates(stateValue).at(-1)}` : guard.name;
  }
  return (guard as { type?: string }).type;
}
