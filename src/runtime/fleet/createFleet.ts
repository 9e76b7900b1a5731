import { Subject, type Observable } from 'rxjs';
import type { Registry } from 'prom-client';
import { LatentWorkerConnectionLost, LatentWorkerError } from '../../errors.js';
import type { BuildResult } from '../../machines/latentWorker/types.js';
import type { LatentWorker } from '../createLatentWorker.js';
import type { WorkerEvent } from '../events.js';
import { WorkerRuntime } from '../workerRuntime.js';
import { chooseWorker, findRecyclable } from './dispatch.js';
import type { FleetEvent, RequestQueuedEvent } from './events.js';
import type { AbortCause, Attempt, Ending, Job } from './job.js';
import { createLease } from './lease.js';
import { FleetMetrics } from './metrics.js';
import { OrphanSweep } from './orphanSweep.js';
import { judgeBuild, judgeSubstantiation, reportedResult, toError } from './outcome.js';
import { needsStart, WorkerPool, type Category, type WorkerEntry } from './pool.js';
import { RequestQueue, type QueueNode } from './queue.js';
import type {
  BuildHandle,
  BuildOutcome,
  BuildRequest,
  Fleet,
  FleetOptions,
  QueuedRequest
} from './types.js';
import { resolveFleetOptions, resolveRequest } from './validate.js';

/**
 * Creates a fleet: an orchestrator core that queues build requests and runs each on one of
 * `workers`, starting instances on demand. Bad options throw a `TypeError`.
 *
 * @example
 * ```ts
 * const fleet = createFleet({ workers: [w1, w2] });
 * const { outcome } = fleet.submit({ props, run: async (lease) => { await build(lease); } });
 * console.log((await outcome).result); // 'success'
 * await fleet.shutdown();
 * ```
 */
export function createFleet<P = Record<string, unknown>>(options: FleetOptions<P>): Fleet<P> {
  return new FleetRuntime(options);
}

class FleetRuntime<P> implements Fleet<P> {
  readonly workers: readonly LatentWorker<P>[];
  readonly events$: Observable<FleetEvent>;
  readonly metrics: Registry;

  readonly #pool: WorkerPool<P>;
  readonly #queue = new RequestQueue<Job<P>>();
  /** Events are built only while someone watches (`observed`): three objects per request. */
  readonly #events = new Subject<FleetEvent>();
  readonly #stats: FleetMetrics;
  /** Every request not finished yet. */
  readonly #active = new Set<Job<P>>();
  readonly #maxAttempts: number;
  readonly #sweep: OrphanSweep | undefined;
  #nextId = 0;
  /** Something changed since the last dispatch pass began. */
  #dirty = false;
  #passing = false;
  #closing = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: FleetOptions<P>) {
    const { workers, maxConcurrentStarts, maxAttempts, sweep } = resolveFleetOptions(options);
    this.workers = workers;
    this.#maxAttempts = maxAttempts;
    this.#pool = new WorkerPool(workers, maxConcurrentStarts, (entry, event) =>
      this.#onWorkerEvent(entry, event)
    );
    this.#stats = new FleetMetrics(workers, () => this.#queue.size);
    this.metrics = this.#stats.registry;
    this.events$ = this.#events.asObservable();
    for (const entry of this.#pool.entries) watch(entry);
    if (sweep) {
      const orphans = new OrphanSweep(workers, sweep, (event) => {
        this.#stats.sweepEvent(event);
        if (this.#events.observed) this.#events.next(event);
      });
      if (orphans.active) (this.#sweep = orphans).start();
    }
  }

  get queueLength(): number {
    return this.#queue.size;
  }

  queued(limit = Infinity): QueuedRequest[] {
    const waiting: QueuedRequest[] = [];
    for (let node = this.#queue.first(); node && waiting.length < limit;) {
      const { id, attempts, queuedAt, request } = node.value;
      const entry: QueuedRequest = { id, attempts, queuedAt };
      if (request.workerNames) entry.workerNames = [...request.workerNames];
      waiting.push(entry);
      node = this.#queue.after(node);
    }
    return waiting;
  }

  sweep(): Promise<void> {
    return this.#sweep?.sweep() ?? Promise.resolve();
  }

  submit(request: BuildRequest<P>): BuildHandle {
    const { allowed, maxAttempts } = resolveRequest(request, this.#pool, this.#maxAttempts);
    let settle!: (outcome: BuildOutcome) => void;
    const outcome = new Promise<BuildOutcome>((resolve) => (settle = resolve));
    const job: Job<P> = {
      id: ++this.#nextId,
      request,
      allowed,
      maxAttempts,
      outcome,
      settle,
      attempts: 0,
      node: undefined,
      queuedAt: 0,
      current: undefined,
      worker: undefined,
      cancelled: false,
      finished: false
    };
    this.#active.add(job);
    if (this.#closing) this.#finish(job, { kind: 'finish', result: 'retry', reason: 'shutdown' });
    else this.#enqueue(job, 'submitted');
    return { id: job.id, outcome, cancel: () => this.#cancel(job) };
  }

  shutdown(options?: { fast?: boolean }): Promise<void> {
    if (this.#shutdown && options?.fast)
      for (const worker of this.workers) void worker.shutdown(options);
    this.#shutdown ??= this.#shutDown(options);
    return this.#shutdown;
  }

  async #shutDown(options: { fast?: boolean } | undefined): Promise<void> {
    this.#closing = true;
    const sweepStopped = this.#sweep?.stop();
    const stopping = new LatentWorkerError('the fleet is shutting down');
    for (const job of [...this.#active]) {
      if (job.current) this.#abort(job.current, 'shutdown', stopping);
      else this.#finish(job, { kind: 'finish', result: 'retry', reason: 'shutdown' });
    }
    await Promise.all([sweepStopped, ...this.workers.map((worker) => worker.shutdown(options))]);
    // A build that ignores its lease's signal cannot hold the fleet up: it ends `retry` now.
    for (const job of [...this.#active]) {
      this.#finish(job, { kind: 'finish', result: 'retry', reason: 'shutdown' });
    }
    for (const entry of this.#pool.entries) unwatch(entry);
    this.#events.complete();
  }

  #cancel(job: Job<P>): void {
    if (job.finished || job.cancelled) return;
    job.cancelled = true;
    if (!job.current) {
      this.#finish(job, { kind: 'finish', result: 'cancelled', reason: 'cancelled' });
      return;
    }
    // Substantiating: leaves the substantiation (cancelled only if nobody else waits on it).
    // Running: the build is asked to stop through its lease.
    this.#abort(job.current, 'cancel', new LatentWorkerError(`build ${job.id} was cancelled`));
  }

  #enqueue(job: Job<P>, reason: 'submitted' | 'retry', error?: Error): void {
    job.queuedAt = Date.now();
    job.node = reason === 'submitted' ? this.#queue.push(job) : this.#queue.insertInOrder(job);
    if (this.#events.observed) {
      const event: RequestQueuedEvent = { type: 'queued', id: job.id, reason };
      if (error) event.error = error;
      this.#events.next(event);
    }
    this.#schedule();
  }

  /** Runs a dispatch pass soon; changes made meanwhile run another one after it. */
  #schedule(): void {
    this.#dirty = true;
    if (this.#passing || this.#closing) return;
    this.#passing = true;
    void this.#dispatchLoop();
  }

  async #dispatchLoop(): Promise<void> {
    try {
      // Let the change that asked for this pass finish first.
      await Promise.resolve();
      while (this.#dirty && !this.#closing) {
        this.#dirty = false;
        await this.#pass();
      }
    } finally {
      this.#passing = false;
    }
  }

  /** Walks the waiting requests in order, stopping as soon as no worker could take any. */
  async #pass(): Promise<void> {
    const queue = this.#queue;
    for (let node = queue.first(); node && this.#pool.hasRoom(); node = queue.after(node)) {
      const job = node.value;
      const choice = await chooseWorker(job, this.#pool);
      if (node.removed || this.#closing) continue;
      // Workers may have changed while the answer travelled back: check the choice again
      // (whatever changed them has asked for another pass).
      if (choice) {
        if (this.#pool.stillFits(choice.entry, choice.via)) {
          this.#dispatch(job, choice.entry, choice.via);
        }
        continue;
      }
      const stale = await findRecyclable(job, this.#pool, () => this.#waitingAfter(node));
      if (!stale || node.removed || this.#closing) continue;
      const idle = this.#pool.stillFits(stale, 'substantiated') && stale.leases === 0;
      if (idle && this.#pool.canStart()) this.#recycle(job, stale);
    }
  }

  *#waitingAfter(node: QueueNode<Job<P>>): Iterable<Job<P>> {
    for (let next = this.#queue.after(node); next; next = this.#queue.after(next)) {
      yield next.value;
    }
  }

  #recycle(job: Job<P>, entry: WorkerEntry<P>): void {
    if (this.#events.observed) {
      this.#events.next({ type: 'recycled', id: job.id, worker: entry.worker.name });
    }
    void entry.worker.insubstantiate();
    this.#dispatch(job, entry, 'restarting');
  }

  #dispatch(job: Job<P>, entry: WorkerEntry<P>, via: Category): void {
    if (job.node) this.#queue.remove(job.node);
    job.node = undefined;
    job.attempts++;
    job.worker = entry.worker.name;
    const attempt: Attempt<P> = {
      job,
      entry,
      number: job.attempts,
      controller: new AbortController(),
      abortedFor: undefined,
      connection: undefined
    };
    job.current = attempt;
    entry.leases++;
    entry.substantiating++;
    // Counted before the provider is called, so that a burst never exceeds the cap.
    if (needsStart(via)) this.#pool.reserveStart(entry);
    this.#stats.dispatched(job.queuedAt);
    if (this.#events.observed) {
      this.#events.next({
        type: 'dispatched',
        id: job.id,
        worker: entry.worker.name,
        attempt: attempt.number,
        via
      });
    }
    this.#pool.classify(entry);
    entry.worker.substantiate(job.request.props, { signal: attempt.controller.signal }).then(
      (up) => this.#substantiated(attempt, up),
      (error: unknown) => this.#substantiationFailed(attempt, toError(error))
    );
  }

  #substantiated(attempt: Attempt<P>, up: boolean): void {
    const { job, entry } = attempt;
    this.#leaveSubstantiation(entry);
    if (job.cancelled || this.#closing || !up) {
      const error = new LatentWorkerError(`worker ${entry.worker.name} is shut down`);
      return this.#end(attempt, judgeSubstantiation(attempt, this.#closing, error));
    }
    if (!entry.worker.connection) {
      // Detached between the substantiation and now: the build would start without an agent.
      const error = new LatentWorkerConnectionLost(
        `worker ${entry.worker.name} lost its connection`
      );
      return this.#end(attempt, { kind: 'retry', error });
    }
    this.#startBuild(attempt);
  }

  #substantiationFailed(attempt: Attempt<P>, error: Error): void {
    this.#leaveSubstantiation(attempt.entry);
    this.#end(attempt, judgeSubstantiation(attempt, this.#closing, error));
  }

  #leaveSubstantiation(entry: WorkerEntry<P>): void {
    entry.substantiating--;
    this.#pool.substantiationSettled(entry);
  }

  #startBuild(attempt: Attempt<P>): void {
    const { job, entry } = attempt;
    const { worker } = entry;
    attempt.connection = worker.connection;
    entry.buildStarted(attempt);
    worker.buildStarted();
    this.#pool.classify(entry);
    const lease = createLease(worker, attempt.controller.signal, attempt.number);
    new Promise<BuildResult | void>((resolve) => resolve(job.request.run(lease))).then(
      (result) => this.#buildEnded(attempt, { result }),
      (error: unknown) => this.#buildEnded(attempt, { error: toError(error) })
    );
  }

  #buildEnded(attempt: Attempt<P>, end: { result?: unknown; error?: Error }): void {
    const { entry } = attempt;
    entry.buildEnded(attempt);
    const ending = judgeBuild(attempt, end);
    entry.worker.buildFinished(reportedResult(ending));
    this.#end(attempt, ending);
  }

  /** The attempt is over: free its room on the worker, then finish or requeue the request. */
  #end(attempt: Attempt<P>, ending: Ending): void {
    const { job, entry } = attempt;
    entry.leases--;
    job.current = undefined;
    this.#pool.classify(entry);
    if (ending.kind === 'finish') this.#finish(job, ending);
    else if (this.#closing)
      this.#finish(job, { ...ending, kind: 'finish', result: 'retry', reason: 'shutdown' });
    else if (job.attempts >= job.maxAttempts) {
      this.#finish(job, { ...ending, kind: 'finish', result: 'exception', reason: 'maxAttempts' });
    } else this.#enqueue(job, 'retry', ending.error);
    this.#schedule();
  }

  #finish(job: Job<P>, ending: Extract<Ending, { kind: 'finish' }>): void {
    if (job.finished) return;
    job.finished = true;
    if (job.node) this.#queue.remove(job.node);
    job.node = undefined;
    this.#active.delete(job);
    const { result, reason, error } = ending;
    const outcome: BuildOutcome = { result, attempts: job.attempts };
    if (job.worker !== undefined) outcome.worker = job.worker;
    if (error) outcome.error = error;
    this.#stats.finished(result);
    if (this.#events.observed) {
      this.#events.next({ type: 'finished', id: job.id, reason, ...outcome });
    }
    job.settle(outcome);
  }

  #abort(attempt: Attempt<P>, cause: AbortCause, reason: Error): void {
    if (attempt.abortedFor) return;
    attempt.abortedFor = cause;
    attempt.controller.abort(reason);
  }

  #onWorkerEvent(entry: WorkerEntry<P>, event: WorkerEvent): void {
    this.#stats.workerEvent(event);
    // Closing: nothing is dispatched again and every attempt is aborted already, so the
    // shutdown's own events (several per worker) need no bookkeeping.
    if (this.#closing) return;
    if (event.type === 'provider' && event.call === 'start') {
      if (event.phase === 'begin') this.#pool.startBegan(entry);
      else this.#pool.startEnded(entry);
    }
    if (entry.running) this.#abortLost(entry, entry.running);
    this.#pool.classify(entry);
    this.#schedule();
  }

  /** Aborts the builds that began on a connection the worker no longer has. */
  #abortLost(entry: WorkerEntry<P>, running: Set<Attempt<P>>): void {
    const connection = entry.worker.connection;
    for (const build of running) {
      if (build.connection === connection) continue;
      const lost = new LatentWorkerConnectionLost(
        `worker ${entry.worker.name} lost its connection`
      );
      this.#abort(build, 'connectionLost', lost);
    }
  }
}

/**
 * Makes `entry` hear its worker's events: directly from a worker of this library (an rxjs
 * subscription per worker costs ~600 B of a hundred thousand), through `events$` from any
 * other `LatentWorker`.
 */
function watch<P>(entry: WorkerEntry<P>): void {
  const { worker } = entry;
  if (worker instanceof WorkerRuntime) worker.listen(entry);
  else entry.subscription = worker.events$.subscribe(entry);
}

function unwatch<P>(entry: WorkerEntry<P>): void {
  const { worker } = entry;
  if (worker instanceof WorkerRuntime) worker.unlisten(entry);
  else entry.subscription?.unsubscribe();
}
