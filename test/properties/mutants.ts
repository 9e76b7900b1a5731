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

const RECOVERING = ['instance', 'recovering'];

/** Recovery that reads the journal but stops nothing it holds open (nor waits to adopt). */
export function recoverySkipsLeftovers(machine: AnyStateMachine): AnyStateMachine {
  return mutate(machine, [...RECOVERING, 'next'], (next) => {
    const always = next.always as Config[];
    return {
      ...next,
      always: always.filter(
        (branch) => branch.target !== 'stopping' && branch.target !== 'adopting'
      )
    };
  });
}

/** A request that arrives during recovery starts at once, leaving the leftovers behind. */
export function startDuringRecovery(machine: AnyStateMachine): AnyStateMachine {
  return mutate(machine, RECOVERING, (recovering) => {
    const on = recovering.on as Config;
    const substantiate = [...(on.substantiate as Config[])];
    substantiate[substantiate.length - 1] = {
      target: '#latentWorker.instance.substantiating',
      actions: 'takeRequest'
    };
    return { ...recovering, on: { ...on, substantiate } };
  });
}
