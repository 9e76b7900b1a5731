import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { merge, map, type Observable, type Subscription } from 'rxjs';
import {
  createDashboard,
  createFleet,
  createLatentWorker,
  type Dashboard,
  openJournal,
  type InspectionObserver,
  type Journal,
  type LatentWorker
} from '../index.js';
import { createAgentHub, type AgentHub } from '../process.js';
import { demoBuilds, runRecipe } from './builds.js';
import { DemoState } from './demoState.js';
import type { DemoEvent } from './events.js';
import { processInstances, type DemoInstances, type Props } from './providers.js';
import { summarize, type DemoSummary } from './summary.js';
import type { DemoView } from './views.js';

export interface DemoOptions {
  workers: number;
  builds: number;
  /** Idle time before an instance is stopped, ms. */
  idleTimeout: number;
  /** Where the instances run. @default processes of the package's built `latent-agent` */
  instances?: DemoInstances;
  inspect?: InspectionObserver;
  /**
   * Keep a journal and the instances' records here: a run after a crash stops (or, if their
   * agents come back, adopts) the instances the crashed one left running, and says so.
   */
  stateDir?: string;
  /** Aborting shuts the fleet down cleanly (Ctrl-C). */
  signal?: AbortSignal;
  /** Serve the live page (`createDashboard`) on this loopback port (0: a free one); `opened` gets its URL. */
  ui?: { port: number; opened(url: string): void };
  /**
   * Once every build is done and every instance stopped, keep the workers up until `signal`
   * aborts, which then is no interruption: for the inspector or the live page, which show them.
   */
  stayUntilAborted?: boolean;
  view: DemoView;
}

/** `--ui`'s page could not be served (its port is taken, say). */
export class UiUnavailable extends Error {
  override name = 'UiUnavailable';
}

/** How long a failed start keeps a worker out, ms: long enough to watch it. */
const QUARANTINE_MS = 3_000;

/**
 * The embedded default end to end: an agent hub on loopback, a provider (of processes, or of
 * containers), a fleet of workers taking a queue of builds that run real commands on their
 * agents. One worker's first start fails (its instance exits at once), so quarantine and retry
 * show. Resolves after every instance has been stopped.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { view, signal, instances = processInstances() } = options;
  const names = Array.from({ length: options.workers }, (_, i) => `w${i + 1}`);
  const recipes = demoBuilds(options.builds, instances.node);
  const state = new DemoState(names, recipes.length, options.idleTimeout, instances.kind);
  const report = (event: DemoEvent) => {
    state.apply(event);
    view.event(event, state);
  };

  const { stateDir } = options;
  const journal = stateDir ? await openStateDir(stateDir, state, view) : undefined;
  // The same port as last time, if it is free: agents left running can find the hub again.
  const hub = await hubOn(stateDir ? lastPort(stateDir) : 0);
  if (stateDir) writeFileSync(join(stateDir, 'hub.json'), JSON.stringify({ port: hub.port }));
  const { provider, events$ } = instances.provider({
    hubUrl: hub.url,
    failing: names[Math.min(2, names.length - 1)]!,
    ...(stateDir ? { stateDir } : {})
  });
  const workers: LatentWorker<Props>[] = names.map((name) =>
    createLatentWorker<Props>({
      name,
      provider,
      buildWaitTimeout: options.idleTimeout,
      checkInstanceInterval: 250,
      missingTimeout: 30_000,
      maxBuilds: 1,
      quarantine: { initial: QUARANTINE_MS },
      // A live agent of a crashed run dials again within a few seconds (its backoff's cap).
      ...(journal ? { journal, adoptTimeout: 8_000 } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {})
    })
  );
  for (const worker of workers) hub.add(worker);
  const fleet = createFleet<Props>({ workers });
  let dashboard: Dashboard | undefined;
  const takeDown = async () => {
    await fleet.shutdown();
    await dashboard?.close();
    await hub.close();
    await journal?.close();
  };
  if (options.ui) {
    try {
      dashboard = await createDashboard({
        fleet,
        port: options.ui.port,
        title: 'latent-workers demo'
      });
    } catch (error) {
      // Nothing has started yet: take down what has been set up, then say why.
      await takeDown();
      throw new UiUnavailable((error as Error).message, { cause: error });
    }
    options.ui.opened(dashboard.url);
  }
  const tagged = <T>(source: DemoEvent['source'], events$: Observable<T>) =>
    events$.pipe(map((event) => ({ source, event }) as DemoEvent));
  const subscription: Subscription = merge(
    ...workers.map((worker) => tagged('worker', worker.events$)),
    tagged('fleet', fleet.events$),
    tagged('hub', hub.events$),
    events$
  ).subscribe(report);

  const interrupted = new Promise<true>((resolve) => {
    if (signal?.aborted) resolve(true);
    signal?.addEventListener('abort', () => resolve(true), { once: true });
  });
  const outcomes = recipes.map(
    (recipe) =>
      fleet.submit({
        props: { project: recipe.project },
        run: (lease) => runRecipe(recipe, lease, (event) => report({ source: 'build', event }))
      }).outcome
  );
  let stopped = await Promise.race([Promise.all(outcomes).then(() => false), interrupted]);
  // Let the idle timers stop the instances: the end of the story a new user should see.
  if (!stopped) stopped = await Promise.race([allIdle(workers).then(() => false), interrupted]);
  if (stopped) {
    const reason = typeof signal?.reason === 'string' ? ` (${signal.reason})` : '';
    view.notice(`interrupted${reason}: shutting down, stopping every instance...`, state);
  } else if (options.stayUntilAborted && signal) {
    view.notice('every build is done: the workers stay up until Ctrl-C', state);
    await interrupted;
  }
  await takeDown();
  subscription.unsubscribe();
  const summary = summarize(state, stopped);
  view.end(summary, state);
  return summary;
}

/** Opens the journal in `dir` and tells what an earlier run left open in it. */
async function openStateDir(dir: string, state: DemoState, view: DemoView): Promise<Journal> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const journal = await openJournal({ path: join(dir, 'journal.db') });
  const open = await journal.openInstances();
  if (open.length > 0) {
    const names = open.map((instance) => instance.instanceName).join(', ');
    view.notice(
      `${open.length} instance${open.length > 1 ? 's' : ''} left running by an earlier run (${names}): each is stopped, or adopted if its agent comes back, before anything new starts`,
      state
    );
  }
  return journal;
}

function lastPort(dir: string): number {
  try {
    const { port } = JSON.parse(readFileSync(join(dir, 'hub.json'), 'utf8')) as { port?: unknown };
    return typeof port === 'number' ? port : 0;
  } catch {
    return 0;
  }
}

/** A hub on `port`, or on any free port if that one is taken. */
async function hubOn(port: number): Promise<AgentHub> {
  const options = { heartbeatInterval: 2_000 };
  if (port === 0) return createAgentHub(options);
  try {
    return await createAgentHub({ ...options, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return createAgentHub(options);
  }
}

function allIdle(workers: readonly LatentWorker<Props>[]): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!workers.every((worker) => worker.status.state === 'idle')) return;
      subscriptions.forEach((s) => s.unsubscribe());
      resolve();
    };
    const subscriptions = workers.map((worker) => worker.events$.subscribe(check));
    check();
  });
}
