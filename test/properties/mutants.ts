import { createMachine, type AnyStateMachine } from 'xstate';

type Config = Record<string, unknown>;

/** A copy of `machine` with the state node at `path` (state keys) replaced by `patch(node)`. */
export function mutate(
  machine: AnyStateMachine,
  path: string[],
  patch: (node: Config) => Config
): AnyStateMachine {
  const rewrite = (node: Config, rest: string[]): Config => {
    const [key, ...tail] = rest;
    if (key === undefined) return patch(node);
    const states = node.states as Record<string, Config>;
    return { ...node, states: { ...states, [key]: rewrite(states[key] ?? {}, tail) } };
  };
  const config = rewrite(machine.config as Config, path);
  return createMachine(config as never, machine.implementations as never) as AnyStateMachine;
}

const STARTING = ['instance', 'substantiating', 'starting'];

/** Buildbot's classic: a refused start is taken as "nothing to stop". */
export function skipStopAfterRefusedStart(machine: AnyStateMachine): AnyStateMachine {
  return mutate(machine, STARTING, (starting) => {
    const invoke = starting.invoke as Config;
    const onDone = [...(invoke.onDone as Config[])];
    onDone[1] = { ...onDone[1], target: '#latentWorker.instance.idle' };
    return { ...starting, invoke: { ...invoke, onDone } };
  });
}

/** "Abort and forget": insubstantiate leaves the start behind and stops at once. */
export function stopWithoutAwaitingStart(machine: AnyStateMachine): AnyStateMachine {
  return mutate(machine, [...STARTING, 'booting'], (booting) => {
    const on = booting.on as Config;
    const insubstantiate = on.insubstantiate as Config;
    return {
      ...booting,
      on: {
        ...on,
        insubstantiate: { ...insubstantiate, target: '#latentWorker.instance.insubstantiating' }
      }
    };
  });
}
