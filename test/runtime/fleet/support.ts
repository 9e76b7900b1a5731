import { vi } from 'vitest';
import {
  ControllableProvider,
  createFleet,
  createLatentWorker,
  type BuildResult,
  type ControllableProviderOptions,
  type Fleet,
  type FleetEvent,
  type FleetOptions,
  type LatentWorker,
  type LatentWorkerOptions,
  type Lease
} from '../../../src/index.js';
import { track, type Tracked } from '../../support/harness.js';

export type Props = Record<string, unknown>;

export interface FleetHarness {
  fleet: Fleet<Props>;
  workers: LatentWorker<Props>[];
  /** One controllable provider per worker, by worker name. */
  providers: Record<string, ControllableProvider<Props>>;
  events: FleetEvent[];
  flush(): Promise<void>;
  advance(ms: number): Promise<void>;
  /** Submits a build finished by hand (`builds[id].finish(result)`), observed without awaiting. */
  submit(request?: Partial<Parameters<Fleet<Props>['submit']>[0]>): SubmittedBuild;
}

export interface SubmittedBuild {
  id: number;
  outcome: Tracked<Awaited<ReturnType<Fleet<Props>['submit']>['outcome']>>;
  cancel(): void;
  /** The leases run() received, one per attempt that got a running instance. */
  leases: Lease<Props>[];
  /** Ends the latest attempt's build with `result` (or throws `error`). */
  finish(result?: BuildResult | Error): void;
}

/**
 * A fleet over `names` workers, each on its own controllable provider (Buildbot's
 * `LatentController` defaults: starts and stops completed by hand, connect during the start),
 * under vitest fake timers. Every build stays running until the test finishes it.
 */
export function fleetHarness(
  names: string[] = ['local'],
  options: {
    worker?: Partial<LatentWorkerOptions<Props>>;
    provider?: ControllableProviderOptions<Props>;
    fleet?: Omit<FleetOptions<Props>, 'workers'>;
  } = {}
): FleetHarness {
  const providers: Record<string, ControllableProvider<Props>> = {};
  const workers = names.map((name) => {
    const provider = new ControllableProvider<Props>(options.provider);
    const worker = createLatentWorker<Props>({ name, provider, ...options.worker });
    provider.bind(worker);
    providers[name] = provider;
    return worker;
  });
  const fleet = createFleet<Props>({ workers, ...options.fleet });
  const events: FleetEvent[] = [];
  fleet.events$.subscribe((event) => events.push(event));
  const flush = async () => {
    for (let i = 0; i < 30; i++) await Promise.resolve();
  };
  return {
    fleet,
    workers,
    providers,
    events,
    flush,
    advance: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
      await flush();
    },
    submit: (request = {}) => {
      const leases: Lease<Props>[] = [];
      const endings: Array<(result?: BuildResult | Error) => void> = [];
      const handle = fleet.submit({
        run: (lease) => {
          leases.push(lease);
          // A well-behaved build: it stops (throwing the abort reason) when its lease is aborted.
          return new Promise<BuildResult | void>((resolve, reject) => {
            lease.signal.addEventListener('abort', () => reject(lease.signal.reason as Error));
            endings.push((result) => (result instanceof Error ? reject(result) : resolve(result)));
          });
        },
        ...request
      });
      return {
        id: handle.id,
        outcome: track(handle.outcome),
        cancel: () => handle.cancel(),
        leases,
        finish: (result) => {
          const end = endings.at(-1);
          if (!end) throw new Error(`build ${handle.id} is not running`);
          end(result);
        }
      };
    }
  };
}
