import { vi } from 'vitest';
import {
  ControllableProvider,
  createLatentWorker,
  type ControllableProviderOptions,
  type LatentWorker,
  type LatentWorkerOptions,
  type WorkerEvent
} from '../../src/index.js';

export type Props = Record<string, unknown>;

export interface Harness {
  worker: LatentWorker<Props>;
  provider: ControllableProvider<Props>;
  events: WorkerEvent[];
  /** Let every settled promise and the machine's reactions run. */
  flush(): Promise<void>;
  /** Advance fake time by `ms`, running timers and the reactions they cause. */
  advance(ms: number): Promise<void>;
}

/**
 * One worker on a controllable provider, under vitest fake timers (call `vi.useFakeTimers()`
 * in the test file). Mirrors Buildbot's `LatentController` defaults: start and stop are
 * completed by hand, the worker connects during the start and disconnects during the stop.
 */
export function harness(
  options: Partial<LatentWorkerOptions<Props>> = {},
  providerOptions: ControllableProviderOptions<Props> = {}
): Harness {
  const provider = new ControllableProvider<Props>(providerOptions);
  const worker = createLatentWorker<Props>({ name: 'local', provider, ...options });
  provider.bind(worker);
  const events: WorkerEvent[] = [];
  worker.events$.subscribe((event) => events.push(event));
  const flush = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return {
    worker,
    provider,
    events,
    flush,
    advance: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
      await flush();
    }
  };
}

/** Observes a promise without awaiting it: `settled()` says whether and how it ended. */
export function track<T>(promise: Promise<T>) {
  const state: { status: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = {
    status: 'pending'
  };
  promise.then(
    (value) => Object.assign(state, { status: 'fulfilled', value }),
    (error: unknown) => Object.assign(state, { status: 'rejected', error })
  );
  return state;
}
