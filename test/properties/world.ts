import type { fc } from '@fast-check/vitest';
import { vi } from 'vitest';
import {
  LatentWorkerCannotSubstantiate,
  LatentWorkerConnectionRejected,
  LatentWorkerError,
  LatentWorkerFailedToSubstantiate,
  LatentWorkerSubstantiationCancelled,
  LatentWorkerUnavailable,
  createLatentWorker,
  type BuildResult,
  type Connection,
  type LatentWorker
} from '../../src/index.js';
import type { Journal } from '../../src/runtime/journal/journal.js';
import { AnswerCursor, type AnswerScript } from '../model/answers.js';
import type { ModelSettings, Outcome, Settling } from '../model/lifecycleModel.js';
import { MemoryJournal } from '../support/memoryJournal.js';
import { Ledger, type Incarnation } from './ledger.js';
import { scriptedProvider } from './scriptedProvider.js';
import { StepClock } from './stepClock.js';

/** Lets every settled promise and the machine's reactions run: one macrotask. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How a rejected `substantiate()` is written in the model: by its class and typed fields. */
export function outcomeOf(error: unknown): Outcome {
  if (LatentWorkerSubstantiationCancelled.is(error)) return `cancelled:${error.by}`;
  if (LatentWorkerCannotSubstantiate.is(error)) return 'cannotSubstantiate';
  if (LatentWorkerFailedToSubstantiate.is(error)) return `failed:${error.reason}`;
  if (LatentWorkerUnavailable.is(error)) {
    const left = error.retryAfter === undefined ? '' : `:${error.retryAfter}`;
    return `unavailable:${error.reason}${left}`;
  }
  return `unexpected ${String(error)}`;
}

/** The calls whose promises have a deadline. */
type Wait = 'substantiate' | 'insubstantiate' | 'shutdown';

/**
 * The system under test: one real LatentWorker on a stepped clock and a scripted provider,
 * driven one orchestrator call at a time, with every promise it returned observed. With a
 * journal, `crash()` kills the orchestrator's process and starts a new one on the same journal;
 * the provider's backend (the ledger and the scheduler's pending answers) survives.
 */
export class World {
  clock = new StepClock();
  readonly ledger: Ledger;
  /** The durable store, shared by every process (undefined: the worker has no journal). */
  readonly journal: MemoryJournal | undefined;
  worker: LatentWorker<Record<string, unknown>>;
  readonly outcomes = new Map<number, Outcome>();
  readonly stopRequests = new Map<number, Settling>();
  shutdown: 'not called' | 'pending' | 'resolved' = 'not called';
  stopTimeouts = 0;
  /** `recovered` events of every process: `<generation>:<outcome>`. */
  readonly recovered: string[] = [];
  /** When each pending promise was asked for, to hold it to its deadline. */
  readonly #calledAt: Record<Wait, Map<number, number>> = {
    substantiate: new Map(),
    insubstantiate: new Map(),
    shutdown: new Map()
  };
  /** The signals of the callers that may leave, by waiter. */
  readonly #signals = new Map<number, AbortController>();
  readonly #connections = new Map<number, Connection>();
  /** The backend's behaviour: one script for every process. */
  readonly #answers: AnswerCursor;

  constructor(
    readonly settings: ModelSettings,
    script: AnswerScript,
    readonly scheduler: fc.Scheduler
  ) {
    this.journal = settings.journal ? new MemoryJournal() : undefined;
    this.ledger = new Ledger(this.journal);
    this.#answers = new AnswerCursor(script);
    this.worker = this.#spawn();
  }

  /** The current process's worker, on the current clock and the shared backend and journal. */
  #spawn(): LatentWorker<Record<string, unknown>> {
    const life = this.ledger.current;
    const { healthCheck, journal: _, ...timing } = this.settings;
    const provider = scriptedProvider(
      this.scheduler,
      this.#answers,
      this.ledger,
      life,
      healthCheck,
      () => this.clock.now()
    );
    const journal = this.journal && processJournal(this.journal, life);
    const worker = createLatentWorker({
      name: 'w',
      provider,
      clock: this.clock,
      ...timing,
      ...(journal ? { journal } : {})
    });
    worker.events$.subscribe((event) => {
      if (!life.alive) return;
      if (event.type === 'recovered') {
        this.recovered.push(`${event.instance.generation}:${event.outcome}`);
      }
      if (event.type !== 'stopTimedOut') return;
      this.stopTimeouts++;
      life.overdue = true;
    });
    return worker;
  }

  /**
   * The orchestrator's process dies (only with a journal: without one nothing could recover).
   * Its worker's actor is stopped without `shutdown()`; its timers never fire (the clock dies
   * with it); the promises it returned never matter again; it writes nothing more to the
   * journal and aborts nothing; the calls it had in flight go on in the backend, their answers
   * unseen. Then a new process creates the worker again, same name, same journal, a clock that
   * goes on from the same time.
   */
  crash(): void {
    if (!this.journal) return;
    const dead = this.ledger.current;
    dead.alive = false; // first: from now on nothing it does reaches the world
    this.worker.actor.stop();
    for (const [waiter, outcome] of this.outcomes) {
      if (outcome === 'pending') this.outcomes.set(waiter, 'abandoned');
    }
    for (const [request, settling] of this.stopRequests) {
      if (settling === 'pending') this.stopRequests.set(request, 'abandoned');
    }
    this.shutdown = 'not called';
    this.#signals.clear();
    for (const calls of Object.values(this.#calledAt)) calls.clear();
    this.ledger.restart();
    this.clock = new StepClock(this.clock.now());
    this.worker = this.#spawn();
  }

  /**
   * The journal holds open exactly the instances no stop of which was seen to complete
   * (instances.md: records before each call, closed once a stop returned), and nothing that
   * was never started.
   */
  journalDisagreements(): string[] {
    if (!this.journal) return [];
    const open = new Set(this.ledger.openInJournal().map((row) => row.generation));
    const wrong: string[] = [];
    for (const [generation, instance] of this.ledger.instances) {
      const closed = instance.stops.some((stop) => stop.end === 'returned' && stop.seen);
      if (closed === open.has(generation)) {
        wrong.push(`generation ${generation} is ${closed ? 'stopped but open' : 'closed'}`);
      }
    }
    for (const generation of open) {
      if (!this.ledger.instances.has(generation)) wrong.push(`generation ${generation} is open`);
    }
    return wrong;
  }

  /** The journal's open instances, as `<generation>:<state>`. */
  journalOpen(): string {
    return this.ledger
      .openInJournal()
      .map((row) => `${row.generation}:${row.state}`)
      .join(' ');
  }

  /**
   * Every wait has a deadline (instances.md): no `substantiate()` is pending `missingTimeout`
   * after its call, no `insubstantiate()` or `shutdown()` `stopTimeout` after its call or after
   * the beginning of the provider call it waits for, whichever is later (a start that returns
   * within its deadline hands over to a stop with a deadline of its own).
   */
  overdueWaits(): string[] {
    const now = this.clock.now();
    const late = (kind: Wait, limit: number, pending: (id: number) => boolean) => {
      const since = (at: number) =>
        kind === 'substantiate' ? at : Math.max(at, this.ledger.lastBegan);
      return limit <= 0
        ? []
        : [...this.#calledAt[kind]]
            .filter(([id, at]) => pending(id) && now - since(at) >= limit)
            .map(([id, at]) => `${kind}() #${id}, called at ${at}, still pending at ${now}`);
    };
    return [
      ...late(
        'substantiate',
        this.settings.missingTimeout,
        (id) => this.outcomes.get(id) === 'pending'
      ),
      ...late(
        'insubstantiate',
        this.settings.stopTimeout,
        (id) => this.stopRequests.get(id) === 'pending'
      ),
      ...late('shutdown', this.settings.stopTimeout, () => this.shutdown === 'pending')
    ];
  }

  substantiate(waiter: number, withdrawable: boolean): void {
    const controller = withdrawable ? new AbortController() : undefined;
    if (controller) this.#signals.set(waiter, controller);
    this.outcomes.set(waiter, 'pending');
    this.#calledAt.substantiate.set(waiter, this.clock.now());
    const options = controller ? { signal: controller.signal } : undefined;
    const life = this.ledger.current;
    this.worker.substantiate(undefined, options).then(
      (value) => life.alive && this.outcomes.set(waiter, String(value)),
      (error: unknown) => life.alive && this.outcomes.set(waiter, outcomeOf(error))
    );
  }

  /** The caller `waiter` leaves: its signal aborts. */
  withdraw(waiter: number): void {
    this.#signals.get(waiter)?.abort();
  }

  insubstantiate(request: number, fast: boolean): void {
    this.stopRequests.set(request, 'pending');
    this.#calledAt.insubstantiate.set(request, this.clock.now());
    const life = this.ledger.current;
    void this.worker
      .insubstantiate({ fast })
      .then(() => life.alive && this.stopRequests.set(request, 'resolved'));
  }

  /** Connection `id` arrives; returns `accepted` or why `attached()` refused it. */
  attach(id: number): string {
    const connection: Connection = { disconnect: () => undefined };
    this.#connections.set(id, connection);
    try {
      this.worker.attached(connection);
      return 'accepted';
    } catch (error) {
      if (!(error instanceof LatentWorkerConnectionRejected)) throw error;
      return /worker is shut down/.test(error.message) ? 'shut down' : 'not substantiating';
    }
  }

  /** `detached()` for connection `id`, or without naming one. */
  detach(id: number | undefined): void {
    const connection = id === undefined ? undefined : this.#connections.get(id);
    this.worker.detached(connection);
  }

  /** Returns false when `buildFinished` threw because no build runs. */
  buildFinished(result: BuildResult): boolean {
    try {
      this.worker.buildFinished(result);
      return true;
    } catch (error) {
      if (error instanceof LatentWorkerError) return false;
      throw error;
    }
  }

  callShutdown(fast: boolean): void {
    if (this.shutdown !== 'not called') return void this.worker.shutdown({ fast });
    const life = this.ledger.current;
    life.shutdownCalled = true;
    this.shutdown = 'pending';
    this.#calledAt.shutdown.set(0, this.clock.now());
    void this.worker.shutdown({ fast }).then(() => {
      if (!life.alive) return;
      this.shutdown = 'resolved';
      life.shutdownResolved = true;
    });
  }

  /**
   * Time passes, one due timer at a time, the engine reacting to each before the next fires;
   * the idle timer must not stop an instance that runs a build.
   */
  async advance(ms: number): Promise<void> {
    const { state, building } = this.worker.status;
    const stops = this.ledger.count('stop');
    const until = this.clock.now() + ms;
    while (this.clock.fireNext(until)) await flush();
    this.clock.set(until);
    if (state === 'substantiated' && building > 0 && this.ledger.count('stop') > stops) {
      this.ledger.violate('the idle timer stopped an instance that runs a build');
    }
  }

  /**
   * The scheduler releases one provider answer, if one is waiting: one of the current
   * process's calls (`current`), or one abandoned by a crash, which the worker never sees.
   */
  async release(): Promise<'current' | 'abandoned' | undefined> {
    if (this.ledger.tasks === 0) return undefined;
    const { current } = this.ledger;
    const before = current.released;
    await this.scheduler.waitNext(1);
    await flush(); // the released answer's bookkeeping ran
    return current.released > before ? 'current' : 'abandoned';
  }
}

/**
 * A process's handle on the durable journal: what it reads and writes while alive lands in the
 * shared store; once it is dead, nothing does (and nothing it waits for ever comes back).
 */
function processJournal(store: MemoryJournal, life: Incarnation): Journal {
  const dead = () => new Promise<never>(() => undefined);
  return {
    record: (change) => (life.alive ? store.record(change) : dead()),
    openInstances: (query) => (life.alive ? store.openInstances(query) : dead()),
    lastGeneration: (query) => (life.alive ? store.lastGeneration(query) : dead()),
    password: (instanceName) => store.password(instanceName),
    close: () => Promise.resolve()
  };
}

/**
 * Orchestrator calls after shutdown reach a stopped actor by design; XState's development
 * build warns about each one. Keep the property output readable; every other warning stays.
 */
export function hideStoppedActorWarnings(): void {
  const warn = console.warn.bind(console);
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).includes('was sent to stopped actor')) warn(...args);
  });
}
