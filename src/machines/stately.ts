import type { AnyStateMachine } from 'xstate';

type AnyFunction = (...args: never[]) => unknown;

/** What computes data at run time, which JSON cannot hold and Stately Studio does not show. */
const COMPUTED = new Set(['context', 'input', 'output', 'params']);

/**
 * A machine's config as JSON, for Stately Studio: its "Import from code" takes
 * `createMachine(<this JSON>)`, and `createMachine(JSON.parse(json))` has the same states and
 * transitions. Named guards, actions, actors and delays are strings already. An inline one
 * (`stateIn(…)`, `cancel(…)`, any function) is written as `{ type, params }` with its name and
 * its data, where plain `JSON.stringify` would drop it, or write `null` in an array.
 */
export function toStatelyJson(machine: AnyStateMachine): string {
  return JSON.stringify(
    machine.config,
    (key, value: unknown) => {
      if (typeof value !== 'function') return value;
      return COMPUTED.has(key) ? undefined : inline(value as AnyFunction);
    },
    2
  );
}

/** An inline implementation by name: XState's built-ins carry their type and data as properties. */
function inline(implementation: AnyFunction): { type: string; params?: Record<string, unknown> } {
  const { type, ...data } = Object.fromEntries(
    Object.entries(implementation).filter(([, value]) => typeof value !== 'function')
  );
  const name = typeof type === 'string' ? type : implementation.name || 'inline';
  return Object.keys(data).length ? { type: name, params: data } : { type: name };
}
