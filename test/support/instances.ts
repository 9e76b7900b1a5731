import { DEFAULT_OWNER, instanceName, LABELS, type InstanceRef } from '../../src/index.js';

/** The `InstanceRef` of `workerName`'s `generation`-th start, as the engine names it. */
export function ref(
  workerName: string,
  generation: number,
  options: { owner?: string; instanceId?: string } = {}
): InstanceRef {
  const { owner = DEFAULT_OWNER, instanceId } = options;
  return {
    workerName,
    generation,
    instanceName: instanceName(owner, workerName, generation),
    labels: {
      [LABELS.owner]: owner,
      [LABELS.worker]: workerName,
      [LABELS.generation]: String(generation)
    },
    ...(instanceId === undefined ? {} : { instanceId })
  };
}
