import {
  AnswerCursor,
  NEVER,
  UNTIL_ABORTED,
  type Answer,
  type AnswerScript,
  type CallKind
} from './answers.js';

/** Where the instance is; `starting`/`connecting`/`checking` are the public `substantiating`. */
export type Phase =
  | 'idle'
  | 'recovering'
  | 'starting'
  | 'connecting'
  | 'checking'
  | 'substantiated'
  | 'insubstantiating'
  | 'shutDown';
export type Availability = 'available' | 'quarantined' | 'paused';

/**
 * How a `substantiate()` promise ended: `pending`, `true`, `false`, or the error it was
 * rejected with: `cancelled:<by>` (caller, insubstantiate, shutdown), `failed:<reason>` (the
 * reasons of `LatentWorkerFailedToSubstantiate`), `cannotSubstantiate`, `unavailable:paused`
 * or `unavailable:quarantined:<ms left>`.
 */
export type Outcome = string;

export interface ModelSettings {
  buildWaitTimeout: number;
  missingTimeout: number;
  stopTimeout: number;
  checkInstanceInterval: number;
  healthCheck: boolean;
  pauseAfterFailures: number;
  quarantine: { initial: number; factor: number; max: number };
  /** The worker has a journal: it survives a crash, and a restarted worker recovers from it. */
  journal: boolean;
  adoptTimeout: number;
}

/** How far an instance the journal holds open got (instances.md, "Journal and recovery"). */
export type JournalState = 'starting' | 'started' | 'stopping';

/**
 * `deadline`: the open request's (missingTimeout from the call that opened it); `takedown`: that
 * of the provider call a takedown waits for (stopTimeout from the abort of a running start or
 * check, or from the beginning of the stop).
 */
type Timer = 'deadline' | 'takedown' | 'check' | 'idle' | 'quarantine' | 'adopt';

/**
 * How far a promise of `insubstantiate()` or `shutdown()` got; `abandoned`: its process crashed
 * while it was pending (it never matters again).
 */
export type Settling = 'pending' | 'resolved' | 'abandoned';

/** Start answers that do not return: they throw, or never come. */
const NO_RETURN: readonly Answer[] = [
  'throwsSync',
  'rejects',
  'cannotSubstantiate',
  'hangs',
  'hangsForever'
];

/**
 * The lifecycle of `lifecycle.md` and `instances.md` as a plain state machine over a flat
 * `phase`: no XState, no promises, no provider. Each method is one thing the outside world
 * does (an orchestrator call, a provider answering, time passing) and updates what must be
 * observable: the state, the provider calls made, and how every promise ended.
 *
 * Simplifications (each observably equivalent to the contract): timers are absolute
 * deadlines; a provider answer is applied only when the test says it arrived.
 *
 * With a journal, a `crash()` loses everything but the journal (and time, and the calls made):
 * the restarted worker recovers, as "Journal and recovery" in instances.md says. The calls of
 * the crashed process are no concern of the model any more: their answers reach nobody.
 */
export class LifecycleModel {
  now = 0;
  phase: Phase = 'idle';
  /** `starting`/`checking` only: cancelled or timed out, the stop follows the call's return. */
  cancelling = false;
  availability: Availability = 'available';
  /** Callers of the live substantiation, and of the one queued behind a stop. */
  waiters: number[] = [];
  queued: number[] | undefined;
  generation = 0;
  connection: { id: number; generation: number } | undefined;
  building = 0;
  failures = 0;
  nextQuarantine: number;
  quarantineEnds = 0;
  shuttingDown = false;
  /** The pending stop is fast: some `insubstantiate()` or `shutdown()` asked before it began. */
  fastStop = false;
  /**
   * The deadline of the call a takedown waits for: none, within it, or past it (the instance
   * may still run).
   */
  takedown: 'none' | 'pending' | 'overdue' = 'none';
  /** `stopTimedOut` events so far. */
  stopTimeouts = 0;
  /** Provider calls in the order they began; `fastStops` says for each stop whether it was fast. */
  readonly calls: CallKind[] = [];
  readonly fastStops: boolean[] = [];
  /** The provider call in flight; `arrived` once its answer may be delivered. */
  pending: { kind: CallKind; answer: Answer; arrived: boolean } | undefined;
  readonly outcomes = new Map<number, Outcome>();
  readonly stopRequests = new Map<number, Settling>();
  shutdownState: 'not called' | 'pending' | 'resolved' = 'not called';
  /**
   * The instances the journal holds open, by generation, as the documents say the worker
   * writes them (undefined without a journal): `starting` before the start is issued, `started`
   * once it returned, `stopping` before the stop; closed once a stop returned.
   */
  readonly journal: Map<number, JournalState> | undefined;
  /** `recovered` events so far: `<generation>:<outcome>`. */
  readonly recovered: string[] = [];
  /** `recovering` only: the instances still to stop or adopt, oldest first. */
  leftovers: Array<{ generation: number; started: boolean }> = [];
  /** `recovering` only: stopping the oldest leftover, or waiting for the newest's agent. */
  recovery: 'stopping' | 'adopting' | undefined;
  /** An `insubstantiate()` or `shutdown()` came during recovery: no leftover is adopted. */
  noAdoption = false;
  readonly #timers = new Map<Timer, number>();
  readonly #answers: AnswerCursor;

  constructor(
    readonly settings: ModelSettings,
    script: AnswerScript
  ) {
    this.nextQuarantine = settings.quarantine.initial;
    this.#answers = new AnswerCursor(script);
    // With a journal the worker recovers at creation; from an empty journal it is idle at once.
    this.journal = settings.journal ? new Map() : undefined;
  }

  get state():
    'idle' | 'recovering' | 'substantiating' | 'substantiated' | 'insubstantiating' | 'shutDown' {
    const p = this.phase;
    return p === 'starting' || p === 'connecting' || p === 'checking' ? 'substantiating' : p;
  }

  /** The generation of the instance `status.instance` names: the one that exists or may. */
  get instance(): number | undefined {
    if (this.phase === 'recovering') return this.leftovers[0]?.generation;
    return this.instanceExists ? this.generation : undefined;
  }

  /** A substantiation in progress that nobody has called off. */
  get live(): boolean {
    return ['starting', 'connecting', 'checking'].includes(this.phase) && !this.cancelling;
  }

  /** The instance exists or may exist: from its start until its stop returned. */
  get instanceExists(): boolean {
    return this.phase !== 'idle' && this.phase !== 'shutDown';
  }

  // ---- orchestrator calls ------------------------------------------------------------------

  substantiate(waiter: number): void {
    this.outcomes.set(waiter, 'pending');
    if (this.phase === 'shutDown' || this.shuttingDown) return this.#settle([waiter], 'false');
    if (this.availability === 'paused') return this.#settle([waiter], 'unavailable:paused');
    if (this.availability === 'quarantined') {
      return this.#settle([waiter], `unavailable:quarantined:${this.quarantineEnds - this.now}`);
    }
    if (this.phase === 'substantiated' && this.connection) return this.#settle([waiter], 'true');
    if (this.phase === 'idle') {
      this.#openRequest(() => (this.waiters = [waiter]));
      return this.#beginSubstantiation();
    }
    if (this.live) return void this.waiters.push(waiter);
    // Behind a stop or a cancelled start; a disconnected instance is restarted for it.
    this.#openRequest(() => (this.queued = [...(this.queued ?? []), waiter]));
    if (this.phase === 'substantiated') this.#beginStop();
  }

  /** The caller's signal aborted: it leaves; the substantiation ends with its last waiter. */
  withdraw(waiter: number): void {
    if (this.outcomes.get(waiter) !== 'pending') return;
    this.#settle([waiter], 'cancelled:caller');
    if (this.live && this.waiters.length === 1 && this.waiters[0] === waiter) {
      this.waiters = [];
      this.#closeRequest();
      return this.#callOff();
    }
    this.waiters = this.waiters.filter((w) => w !== waiter);
    const queued = this.queued?.filter((w) => w !== waiter);
    this.queued = queued?.length ? queued : undefined;
    this.#closeRequest();
  }

  insubstantiate(request: number, fast: boolean): void {
    if (this.phase === 'idle' || this.phase === 'shutDown') {
      return void this.stopRequests.set(request, 'resolved');
    }
    this.#cancelAll('insubstantiate');
    // Recovery's stops are never fast (instances.md); the wish ends with the recovery.
    if (fast && this.phase !== 'recovering') this.fastStop = true;
    // Past the deadline nothing more can be done until the late call returns: do not wait.
    this.stopRequests.set(request, this.takedown === 'overdue' ? 'resolved' : 'pending');
    if (this.phase === 'substantiated') this.#beginStop();
    else if (this.live) this.#callOff();
    else if (this.phase === 'recovering') this.#noMoreAdoption();
  }

  shutdown(fast: boolean): void {
    if (fast) this.fastStop = true;
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.shutdownState = 'pending';
    this.connection = undefined; // dropped at once, in every state
    if (this.phase === 'idle') return this.#enterShutDown();
    this.#cancelAll('shutdown');
    if (this.phase === 'substantiated') this.#beginStop();
    else if (this.live) this.#callOff();
    else if (this.phase === 'recovering') this.#noMoreAdoption();
    if (this.takedown === 'overdue') this.shutdownState = 'resolved';
  }

  /**
   * The orchestrator's process dies (with a journal; without one this model has nothing to
   * say). Everything in memory is lost: the substantiation, the queue, the connection, builds,
   * failures, timers, and the promises it returned (they never settle for anyone). The journal,
   * time and the calls made stay; a new worker of the same name is created on the same journal
   * and recovers.
   */
  crash(): void {
    if (!this.journal) return;
    this.pending = undefined; // its answer, when the backend gives it, reaches nobody
    for (const [waiter, outcome] of this.outcomes) {
      if (outcome === 'pending') this.outcomes.set(waiter, 'abandoned');
    }
    for (const [request, settling] of this.stopRequests) {
      if (settling === 'pending') this.stopRequests.set(request, 'abandoned');
    }
    this.cancelling = false;
    this.availability = 'available';
    this.waiters = [];
    this.queued = undefined;
    this.connection = undefined;
    this.building = 0;
    this.failures = 0;
    this.nextQuarantine = this.settings.quarantine.initial;
    this.quarantineEnds = 0;
    this.shuttingDown = false;
    this.fastStop = false;
    this.takedown = 'none';
    this.shutdownState = 'not called';
    this.noAdoption = false;
    this.#timers.clear();
    this.#recover();
  }

  /** The worker's connection `id` arrived; returns `accepted` or why it was refused. */
  attach(id: number): 'accepted' | 'shut down' | 'not substantiating' {
    if (this.phase === 'shutDown' || this.shuttingDown) return 'shut down';
    if (this.recovery === 'adopting') return this.#adopt(id);
    // Only a substantiation waits for a connection; a never-idle worker takes one any time.
    if (!this.live && this.settings.buildWaitTimeout >= 0) {
      return this.shuttingDown ? 'shut down' : 'not substantiating';
    }
    this.connection = { id, generation: this.generation };
    if (this.live && this.phase === 'connecting') this.#enterSubstantiated();
    // The attach cuts a running health check short: its signal aborts.
    if (this.live && this.phase === 'checking') this.#abortPending('check');
    return 'accepted';
  }

  detach(id: number | undefined): void {
    if (this.phase === 'shutDown') return;
    if (this.connection && (id === undefined || id === this.connection.id)) {
      this.connection = undefined;
    }
  }

  buildStarted(): void {
    if (this.shuttingDown) return; // a late call, ignored
    this.building++;
    if (this.phase === 'substantiated') this.#timers.delete('idle');
  }

  /** Returns false when no build runs and the call throws (before `shutdown()` only). */
  buildFinished(result: string): boolean {
    if (this.building === 0) return this.shuttingDown;
    if (this.phase === 'shutDown') return true;
    this.building--;
    if (this.phase === 'substantiated' && this.building === 0) this.#armIdleTimer();
    if (result === 'exception') this.#workerFailed();
    else if (result !== 'retry') {
      this.failures = 0;
      this.nextQuarantine = this.settings.quarantine.initial;
    }
    return true;
  }

  pause(): void {
    if (this.phase === 'shutDown') return;
    this.availability = 'paused';
    this.#timers.delete('quarantine');
  }

  unpause(): void {
    if (this.phase === 'shutDown' || this.availability === 'available') return;
    this.availability = 'available';
    this.failures = 0;
    this.#timers.delete('quarantine');
  }

  // ---- the provider and the clock ----------------------------------------------------------

  /** The answer of the call in flight arrived (the test released it). */
  answer(): void {
    const call = this.pending;
    if (!call?.arrived) throw new Error('model: no provider answer has arrived');
    this.pending = undefined;
    if (call.kind === 'start') this.#startAnswered(call.answer);
    else if (call.kind === 'check') this.#checkAnswered(call.answer);
    else if (this.phase === 'recovering') this.#leftoverStopped(call.answer);
    else this.#stopped(call.answer);
  }

  /** Answers delivered without the scheduler (synchronous throws), once the step is over. */
  settleSynchronous(): void {
    while (this.pending?.arrived && this.pending.answer === 'throwsSync') this.answer();
  }

  /** Time passes: each timer fires at its instant, in order, and may arm others. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, at]) => at <= until).sort((a, b) => a[1] - b[1]);
      const first = due[0];
      if (!first) break;
      if (due[1]?.[1] === first[1]) this.ties++;
      this.#timers.delete(first[0]);
      this.now = first[1];
      this.#fire(first[0]);
      this.settleSynchronous();
    }
    this.now = until;
  }

  /** Timers that fell due at the same instant (the generators' timer lengths should avoid it). */
  ties = 0;

  #fire(timer: Timer): void {
    switch (timer) {
      case 'deadline':
        // A live request times out like a missed attach; a queued one never got to start.
        if (this.live) {
          this.#fail('failed:timedOut');
          return this.#callOff();
        }
        this.#settle(this.queued ?? [], 'failed:stopping');
        this.queued = undefined;
        return;
      case 'takedown':
        return this.#overdue();
      case 'check':
        this.phase = 'checking';
        return this.#call('check');
      case 'idle':
        this.connection = undefined;
        return this.#beginStop();
      case 'quarantine':
        this.availability = 'available';
        return;
      case 'adopt':
        return this.#stopLeftover();
    }
  }

  // ---- transitions -------------------------------------------------------------------------

  /** `add` opens or joins the request; opening one arms its deadline, from this call. */
  #openRequest(add: () => void): void {
    const opens = this.waiters.length === 0 && this.queued === undefined;
    add();
    if (opens && this.settings.missingTimeout > 0) {
      this.#timers.set('deadline', this.now + this.settings.missingTimeout);
    }
  }

  /** Nobody waits any more: the request's deadline goes with it. */
  #closeRequest(): void {
    if (this.waiters.length === 0 && this.queued === undefined) this.#timers.delete('deadline');
  }

  #beginSubstantiation(): void {
    this.phase = 'starting';
    this.cancelling = false;
    this.generation++;
    this.journal?.set(this.generation, 'starting');
    this.#call('start');
  }

  #startAnswered(answer: Answer): void {
    if (this.journal && !NO_RETURN.includes(answer)) this.journal.set(this.generation, 'started');
    if (this.cancelling) return this.#beginStop();
    switch (answer) {
      case 'started':
      case 'startedUndefined':
      case 'startedStatuses':
      case 'startedWithId':
        return this.#connectedToInstance() ? this.#enterSubstantiated() : this.#enterConnecting();
      case 'cannotSubstantiate':
        this.#fail('cannotSubstantiate');
        return this.#beginStop();
      case 'refused':
        this.#fail('failed:refused');
        return this.#beginStop();
      case 'garbage':
      case 'garbageList':
        this.#fail('failed:invalidResult');
        return this.#beginStop();
      default:
        this.#fail('failed:threw');
        return this.#beginStop();
    }
  }

  #checkAnswered(answer: Answer): void {
    if (this.cancelling) return this.#beginStop();
    if (this.#connectedToInstance()) return this.#enterSubstantiated();
    if (answer === 'good' || answer === 'nothing') return this.#enterConnecting();
    this.#fail('failed:crashed');
    this.#beginStop();
  }

  #stopped(answer: Answer): void {
    // A stop that threw (or was given up at its deadline) stays open: recovery stops it again.
    if (answer === 'stopped') this.journal?.delete(this.generation);
    this.fastStop = false;
    this.#afterStop();
  }

  /** Nothing is left to stop: the callers waiting for that are released; what next. */
  #afterStop(): void {
    this.#releaseStopRequests();
    this.takedown = 'none';
    this.#timers.delete('takedown');
    if (this.shuttingDown) return this.#enterShutDown();
    if (!this.queued) return void (this.phase = 'idle');
    // The queued request starts now, on its own deadline (not restarted).
    this.waiters = this.queued;
    this.queued = undefined;
    this.#beginSubstantiation();
  }

  /** A connection of this instance counts; a never-idle worker takes any live one. */
  #connectedToInstance(): boolean {
    const c = this.connection;
    return !!c && (c.generation === this.generation || this.settings.buildWaitTimeout < 0);
  }

  #enterConnecting(): void {
    this.phase = 'connecting';
    if (this.settings.healthCheck) this.#arm('check', this.settings.checkInstanceInterval);
  }

  #enterSubstantiated(): void {
    this.phase = 'substantiated';
    this.#settle(this.waiters, 'true');
    this.waiters = [];
    this.#closeRequest();
    this.#timers.delete('check');
    if (this.building === 0) this.#armIdleTimer();
  }

  /** Ends a live substantiation: a running call is aborted and its return awaited. */
  #callOff(): void {
    if (this.phase === 'connecting') return this.#beginStop();
    this.cancelling = true;
    this.#awaitCall();
    this.#abortPending(this.phase === 'starting' ? 'start' : 'check');
  }

  #beginStop(): void {
    this.phase = 'insubstantiating';
    this.cancelling = false;
    for (const timer of ['check', 'idle'] as const) this.#timers.delete(timer);
    this.journal?.set(this.generation, 'stopping');
    this.#awaitCall();
    this.#call('stop');
  }

  // ---- recovery (instances.md, "Journal and recovery") ---------------------------------------

  /**
   * A worker created on a journal that holds instances open: it stops each, oldest first, one
   * call at a time, before any new start; generations continue after the highest recorded one
   * (this.generation: every start was recorded). Requests meanwhile queue.
   */
  #recover(): void {
    this.phase = 'recovering';
    this.leftovers = [...(this.journal ?? [])]
      .sort(([a], [b]) => a - b)
      .map(([generation, state]) => ({ generation, started: state === 'started' }));
    this.#nextLeftover();
  }

  /**
   * The newest leftover, if it was running (its start returned, its stop never began), waits
   * adoptTimeout for its agent; every other is stopped.
   */
  #nextLeftover(): void {
    const [oldest, ...rest] = this.leftovers;
    if (!oldest) return this.#endRecovery();
    const adoptable = rest.length === 0 && oldest.started && !this.noAdoption;
    if (adoptable && this.settings.adoptTimeout > 0) {
      this.recovery = 'adopting';
      return this.#arm('adopt', this.settings.adoptTimeout);
    }
    this.#stopLeftover();
  }

  /** One `stopInstance` for the oldest leftover, with its recorded identity, `fast: false`. */
  #stopLeftover(): void {
    const [oldest] = this.leftovers;
    if (!oldest) return;
    this.recovery = 'stopping';
    this.#timers.delete('adopt');
    this.journal?.set(oldest.generation, 'stopping');
    this.#awaitCall();
    this.#call('stop', false);
  }

  #leftoverStopped(answer: Answer): void {
    const [done, ...rest] = this.leftovers;
    this.leftovers = rest;
    if (!done) return;
    if (answer === 'stopped') this.journal?.delete(done.generation);
    this.recovered.push(`${done.generation}:${answer === 'stopped' ? 'stopped' : 'stopFailed'}`);
    this.takedown = 'none';
    this.#timers.delete('takedown');
    this.#nextLeftover();
  }

  /**
   * `insubstantiate()` or `shutdown()` during recovery: the caller wants no instance, so none
   * is adopted (adopting would resolve `insubstantiate()` with an instance running); a
   * leftover waiting for its agent is stopped at once.
   */
  #noMoreAdoption(): void {
    this.noAdoption = true;
    if (this.recovery === 'adopting') this.#stopLeftover();
  }

  /** Its agent came back: the leftover is the worker's instance again, with its password. */
  #adopt(id: number): 'accepted' {
    const [leftover] = this.leftovers;
    this.#timers.delete('adopt');
    this.leftovers = [];
    this.recovery = undefined;
    if (!leftover) throw new Error('model: adopting without a leftover');
    this.recovered.push(`${leftover.generation}:adopted`);
    this.connection = { id, generation: leftover.generation };
    // Recovery is over.
    this.#releaseStopRequests();
    // A request that queued meanwhile is served by the adopted instance.
    this.waiters = this.queued ?? [];
    this.queued = undefined;
    this.#enterSubstantiated();
    return 'accepted';
  }

  #endRecovery(): void {
    this.recovery = undefined;
    this.#afterStop();
  }

  /** The takedown waits for a call (the aborted one, or the stop): stopTimeout from now. */
  #awaitCall(): void {
    this.takedown = 'none';
    this.#timers.delete('takedown');
    if (this.settings.stopTimeout <= 0) return;
    this.takedown = 'pending';
    this.#arm('takedown', this.settings.stopTimeout);
  }

  /** The takedown's deadline passed: the callers stop waiting, the stop's signal aborts. */
  #overdue(): void {
    this.takedown = 'overdue';
    this.stopTimeouts++;
    this.#releaseStopRequests();
    if (this.shuttingDown) this.shutdownState = 'resolved';
    if (this.phase === 'insubstantiating' || this.phase === 'recovering') {
      this.#abortPending('stop');
    }
  }

  #enterShutDown(): void {
    this.phase = 'shutDown';
    this.shutdownState = 'resolved';
    this.#timers.clear();
    for (const [waiter, outcome] of this.outcomes) {
      if (outcome === 'pending') this.outcomes.set(waiter, 'false');
    }
    this.#releaseStopRequests();
  }

  /** The `insubstantiate()` callers still waiting get their answer. */
  #releaseStopRequests(): void {
    for (const [request, settling] of this.stopRequests) {
      if (settling === 'pending') this.stopRequests.set(request, 'resolved');
    }
  }

  #armIdleTimer(): void {
    if (this.settings.buildWaitTimeout >= 0) this.#arm('idle', this.settings.buildWaitTimeout);
  }

  #arm(timer: Timer, ms: number): void {
    this.#timers.set(timer, this.now + ms);
  }

  #call(kind: CallKind, fast = this.fastStop): void {
    const answer = this.#answers.next(kind);
    this.calls.push(kind);
    if (kind === 'stop') this.fastStops.push(fast);
    this.pending = {
      kind,
      answer,
      arrived: !UNTIL_ABORTED.includes(answer) && !NEVER.includes(answer)
    };
  }

  /** The signal of the call in flight aborts: an answer that waited for that arrives. */
  #abortPending(kind: CallKind): void {
    const call = this.pending;
    if (call?.kind === kind && UNTIL_ABORTED.includes(call.answer)) call.arrived = true;
  }

  // ---- outcomes and availability -----------------------------------------------------------

  #settle(waiters: number[], outcome: Outcome): void {
    for (const waiter of waiters) this.outcomes.set(waiter, outcome);
  }

  #cancelAll(by: string): void {
    this.#settle([...this.waiters, ...(this.queued ?? [])], `cancelled:${by}`);
    this.waiters = [];
    this.queued = undefined;
    this.#closeRequest();
  }

  #fail(outcome: Outcome): void {
    this.#settle(this.waiters, outcome);
    this.waiters = [];
    this.#closeRequest();
    if (outcome !== 'cannotSubstantiate') this.#workerFailed();
  }

  /**
   * A counted failure: it lengthens the back-off unless the worker is already quarantined
   * (also while paused), quarantines an available worker, and pauses at the limit.
   */
  #workerFailed(): void {
    const pauses = this.failures + 1 >= this.settings.pauseAfterFailures;
    this.failures++;
    if (this.availability === 'quarantined') {
      if (!pauses) return;
      this.availability = 'paused';
      return void this.#timers.delete('quarantine');
    }
    const duration = this.nextQuarantine;
    const { factor, max } = this.settings.quarantine;
    this.nextQuarantine = Math.min(duration * factor, max);
    if (this.availability === 'paused') return;
    if (pauses) return void (this.availability = 'paused');
    this.availability = 'quarantined';
    this.quarantineEnds = this.now + duration;
    this.#arm('quarantine', duration);
  }
}
