import { vi, type Mock } from 'vitest';
import {
  ControllableProvider,
  createLatentWorker,
  type Connection,
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
  /** `worker.substantiate()`, observed without awaiting it. */
  substantiate(props?: Props, options?: { signal?: AbortSignal }): Tracked<boolean>;
  /** The provider calls made so far, in order ('start', 'stop', 'check'). */
  calls(): string[];
  /** The events of one type, narrowed. */
  eventsOf<T extends WorkerEvent['type']>(type: T): Extract<WorkerEvent, { type: T }>[];
}

/**
 * One worker on a controllable provider, under vitest fake timers (call `vi.useFakeTimers()`
 * in the test file). Mirrors Buildbot's `LatentController` defaults: start and stop are
 * completed by hand, the worker connects during the start and disconnects during the stop.
 * Unlike Buildbot's harness, nothing here advances time on its own (no +1 s per request).
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
    },
    substantiate: (props, substantiateOptions) =>
      track(worker.substantiate(props, substantiateOptions)),
    calls: () =>
      events.flatMap((e) => (e.type === 'provider' && e.phase === 'begin' ? [e.call] : [])),
    eventsOf: <T extends WorkerEvent['type']>(type: T) =>
      events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type)
  };
}

/** Substantiated: the start completed, and the worker connected during it (the defaults). */
export async function substantiated(h: Harness): Promise<void> {
  const up = h.substantiate();
  h.provider.completeStart(true);
  await h.flush();
  if (up.value !== true) throw new Error(`substantiated(): expected true, got ${up.status}`);
}

export interface Tracked<T> {
  status: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
}

/** Observes a promise without awaiting it: `status` says whether and how it ended. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { status: 'pending' };
  promise.then(
    (value) => Object.assign(state, { status: 'fulfilled', value }),
    (error: unknown) => Object.assign(state, { status: 'rejected', error })
  );
  return state;
}

/**
 * A connection whose `disconnect()` only records the request: the test reports the actual
 * close with `worker.detached(connection)`, as a slow network would, late.
 */
export function slowConnection(): Connection & { disconnect: Mock<() => void> } {
  return { disconnect: vi.fn<() => void>() };
}
