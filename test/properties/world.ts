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
import type { AnswerScript } from '../model/answers.js';
import type { ModelSettings, Outcome } from '../model/lifecycleModel.js';
import { Ledger, scriptedProvider } from './scriptedProvider.js';
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
 * driven one orchestrator call at a time, with every promise it returned observed.
 */
export class World {
  readonly clock = new StepClock();
  readonly ledger = new Ledger();
  readonly worker: LatentWorker<Record<string, unknown>>;
  readonly outcomes = new Map<number, Outcome>();
  readonly stopRequests = new Map<number, 'pending' | 'resolved'>();
  shutdown: 'not called' | 'pending' | 'resolved' = 'not called';
  stopTimeouts = 0;
  /** When each pending promise was asked for, to hold it to its deadline. */
  readonly #calledAt: Record<Wait, Map<number, number>> = {
    substantiate: new Map(),
    insubstantiate: new Map(),
    shutdown: new Map()
  };
  /** The signals of the callers that may leave, by waiter. */
  readonly #signals = new Map<number, AbortController>();
  readonly #connections = new Map<number, Connection>();

  constructor(
    settings: ModelSettings,
    script: AnswerScript,
    readonly scheduler: fc.Scheduler
  ) {
    const provider = scriptedProvider(scheduler, script, this.ledger, settings.healthCheck, () =>
      this.clock.now()
    );
    const { healthCheck: _, ...timing } = settings;
    this.worker = createLatentWorker({ name: 'w', provider, clock: this.clock, ...timing });
    this.worker.events$.subscribe((event) => {
      if (event.type !== 'stopTimedOut') return;
      this.stopTimeouts++;
      this.ledger.overdue = true;
    });
    this.settings = settings;
  }

  readonly settings: ModelSettings;

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
    this.worker.substantiate(undefined, options).then(
      (value) => this.outcomes.set(waiter, String(value)),
      (error: unknown) => this.outcomes.set(waiter, outcomeOf(error))
    );
  }

  /** The caller `waiter` leaves: its signal aborts. */
  withdraw(waiter: number): void {
    this.#signals.get(waiter)?.abort();
  }

  insubstantiate(request: number, fast: boolean): void {
    this.stopRequests.set(request, 'pending');
    this.#calledAt.insubstantiate.set(request, this.clock.now());
    void this.worker
      .insubstantiate({ fast })
      .then(() => this.stopRequests.set(request, 'resolved'));
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
    this.ledger.shutdownCalled = true;
    this.shutdown = 'pending';
    this.#calledAt.shutdown.set(0, this.clock.now());
    void this.worker.shutdown({ fast }).then(() => {
      this.shutdown = 'resolved';
      this.ledger.shutdownResolved = true;
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

  /** The scheduler releases one provider answer, if one is waiting. */
  async release(): Promise<void> {
    if (this.ledger.tasks > 0) await this.scheduler.waitNext(1);
  }
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
