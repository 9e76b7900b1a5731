import { filter, firstValueFrom, type Observable } from 'rxjs';
import { createAgentHub, type AgentHub } from '../../../src/runtime/hub/createAgentHub.js';
import { ProcessProvider } from '../../../src/providers/process/processProvider.js';
import type { ProcessProviderOptions } from '../../../src/providers/process/processProviderOptions.js';
import {
  createLatentWorker,
  type LatentWorker,
  type LatentWorkerOptions,
  type WorkerEvent
} from '../../../src/index.js';
import { builtAgent } from '../../runtime/hub/builtAgent.js';

export { isAlive } from '../../runtime/hub/processes.js';

type Props = Record<string, unknown>;

export interface ProcessWorld {
  hub: AgentHub;
  provider: ProcessProvider<Props>;
  worker: LatentWorker<Props>;
  events: WorkerEvent[];
  /** Every pid the provider spawned. */
  pids: number[];
  close(): Promise<void>;
}

/** A hub on a free loopback port, a process provider running the real agent, one worker. */
export async function processWorld(
  options: {
    worker?: Partial<LatentWorkerOptions<Props>>;
    provider?: Partial<ProcessProviderOptions<Props>>;
    heartbeatInterval?: number;
  } = {}
): Promise<ProcessWorld> {
  const hub = await createAgentHub({ heartbeatInterval: options.heartbeatInterval ?? 10_000 });
  const provider = new ProcessProvider<Props>({
    hubUrl: hub.url,
    command: builtAgent(),
    stopGracePeriod: 2_000,
    ...options.provider
  });
  const pids: number[] = [];
  provider.events$.subscribe((event) => event.type === 'spawned' && pids.push(event.pid));
  const worker = createLatentWorker<Props>({
    name: 'w1',
    provider,
    checkInstanceInterval: 100,
    missingTimeout: 20_000,
    ...options.worker
  });
  hub.add(worker);
  const events: WorkerEvent[] = [];
  worker.events$.subscribe((event) => events.push(event));
  return {
    hub,
    provider,
    worker,
    events,
    pids,
    async close() {
      await worker.shutdown();
      await hub.close();
    }
  };
}

/** The next event of `events$` that matches. */
export function next<T>(events$: Observable<T>, match: (event: T) => boolean): Promise<T> {
  return firstValueFrom(events$.pipe(filter(match)));
}
