import { AnswerCursor, type Answer, type AnswerScript, type CallKind } from './answers.js';

/** Where the instance is; `starting`/`connecting`/`checking` are the public `substantiating`. */
export type Phase =
  | 'idle'
  | 'starting'
  | 'connecting'
  | 'checking'
  | 'substantiated'
  | 'insubstantiating'
  | 'shutDown';
export type Availability = 'available' | 'quarantined' | 'paused';

/**
 * How a `substantiate()` promise ended: `pending`, `true`, `false`, or the error it was
 * rejected with: `cancelled:<by whom>`, `failed:<why>`, `timedOut:<missingTimeout>`,
 * `cannotSubstantiate`, `unavailable:paused` or `unavailable:quarantined:<ms left>`.
 */
export type Outcome = string;

export interface ModelSettings {
  buildWaitTimeout: number;
  missingTimeout: number;
  checkInstanceInterval: number;
  healthCheck: boolean;
  pauseAfterFailures: number;
  quarantine: { initial: number; factor: number; max: number };
}

type Timer = 'missing' | 'queue' | 'check' | 'idle' | 'quarantine';

/** What the scripted provider's failing answers say (see test/properties/scriptedProvider.ts). */
const REASONS: Record<'start' | 'check', Partial<Record<Answer, string>>> = {
  start: { rejects: 'the cloud said no', throwsSync: 'startInstance threw synchronously' },
  check: {
    bad: 'kernel panic',
    rejects: 'the health endpoint is down',
    throwsSync: 'checkInstance threw synchronously'
  }
};

/**
 * The lifecycle of `lifecycle.md` as a plain state machine over a flat `phase`: no XState, no
 * promises, no provider. Each method is one thing the outside world does (an orchestrator
 * call, a provider answering, time passing) and updates what must be observable: the state,
 * the provider calls made, and how every `substantiate()`/`insubstantiate()` ended.
 *
 * Simplifications (each observably equivalent to the contract): timers are absolute
 * deadlines; the attach deadline stops mattering once a substantiation is being cancelled;
 * a provider answer is applied only when the test says it arrived.
 */
export class LifecycleModel {
  now = 0;
  phase: Phase = 'idle';
  /** `starting`/`checking` only: cancelled or timed out, the stop follows the call's return. */
  cancelling = false;
  availability: Availability = 'available';
  waiters: number[] = [];
  queued: number[] | undefined;
  generation = 0;
  connection: { id: number; generation: number } | undefined;
  building = 0;
  failures = 0;
  nextQuarantine: number;
  quarantineEnds = 0;
  shuttingDown = false;
  /** Provider calls in the order they began. */
  readonly calls: CallKind[] = [];
  /** The provider call in flight; `arrived` once its answer may be delivered. */
  pending: { kind: CallKind; answer: Answer; arrived: boolean } | undefined;
  readonly outcomes = new Map<number, Outcome>();
  readonly stopRequests = new Map<number, 'pending' | 'resolved'>();
  readonly #timers = new Map<Timer, number>();
  readonly #answers: AnswerCursor;

  constructor(
    readonly settings: ModelSettings,
    script: AnswerScript
  ) {
    this.nextQuarantine = settings.quarantine.initial;
    this.#answers = new AnswerCursor(script);
  }

  get state(): 'idle' | 'substantiating' | 'substantiated' | 'insubstantiating' | 'shutDown' {
    const p = this.phase;
    return p === 'starting' || p === 'connecting' || p === 'checking' ? 'substantiating' : p;
  }

  get live(): boolean {
    return ['starting', 'connecting', 'checking'].includes(this.phase) && !this.cancelling;
  }

  // ---- orchestrator calls ------------------------------------------------------------------

  substantiate(waiter: number): void {
    this.outcomes.set(waiter, 'pending');
    if (this.phase === 'shutDown' || this.shuttingDown) return this.#settle([waiter], 'false');
    if (this.availability === 'paused') return this.#settle([waiter], 'unavailable:paused');
    if (this.availability === 'quarantined') {
      return this.#settle([waiter], `unavailable:quarantined:${this.quarantineEnds - this.now}`);
    }
    if (this.phase === 'idle') {
      this.waiters = [waiter];
      return this.#beginSubstantiation();
    }
    if (this.live) return void this.waiters.push(waiter);
    if (this.phase === 'substantiated' && this.connection) return this.#settle([waiter], 'true');
    this.queued = [...(this.queued ?? []), waiter];
    // Substantiated but disconnected: restart the instance for this request.
    if (this.phase === 'substantiated') this.#beginStop();
  }

  /** The caller's signal aborted: it leaves; the substantiation ends with its last waiter. */
  withdraw(waiter: number): void {
    if (this.outcomes.get(waiter) !== 'pending') return;
    if (this.live && this.waiters.length === 1 && this.waiters[0] === waiter) {
      this.#settle(this.waiters, 'cancelled:its last caller');
      this.waiters = [];
      return this.#callOff();
    }
    this.waiters = this.waiters.filter((w) => w !== waiter);
    const queued = this.queued?.filter((w) => w !== waiter);
    this.queued = queued?.length ? queued : undefined;
    this.#settle([waiter], 'cancelled:its caller');
  }

  insubstantiate(request: number): void {
    if (this.phase === 'idle' || this.phase === 'shutDown') {
      return void this.stopRequests.set(request, 'resolved');
    }
    this.stopRequests.set(request, 'pending');
    this.#cancelAll('insubstantiate()');
    if (this.phase === 'substantiated') this.#beginStop();
    else if (this.live) this.#callOff();
  }

  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.phase === 'idle') return this.#enterShutDown();
    this.#cancelAll('shutdown()');
    if (this.phase === 'substantiated') {
      this.connection = undefined;
      this.#beginStop();
    } else if (this.live) this.#callOff();
  }

  /** The worker's connection `id` arrived; returns `accepted` or why it was refused. */
  attach(id: number): 'accepted' | 'shut down' | 'not substantiating' {
    if (this.phase === 'shutDown') return 'shut down';
    // Only a substantiation waits for a connection; a never-idle worker takes one any time.
    if (!this.live && this.settings.buildWaitTimeout >= 0) {
      return this.shuttingDown ? 'shut down' : 'not substantiating';
    }
    this.connection = { id, generation: this.generation };
    if (this.live && this.phase === 'connecting') this.#enterSubstantiated();
    return 'accepted';
  }

  detach(id: number | undefined): void {
    if (this.phase === 'shutDown') return;
    if (this.connection && (id === undefined || id === this.connection.id)) {
      this.connection = undefined;
    }
  }

  buildStarted(): void {
    if (this.phase === 'shutDown') return;
    this.building++;
    if (this.phase === 'substantiated') this.#timers.delete('idle');
  }

  /** Returns false when no build runs (the call throws). */
  buildFinished(result: string): boolean {
    if (this.building === 0) return false;
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
    else this.#stopped();
  }

  /** Answers delivered without the scheduler (synchronous throws), once the step is over. */
  settleSynchronous(): void {
    while (this.pending?.arrived && this.pending.answer === 'throwsSync') this.answer();
  }

  advance(ms: number): void {
    this.now += ms;
    for (;;) {
      const due = [...this.#timers].filter(([, at]) => at <= this.now).sort((a, b) => a[1] - b[1]);
      const first = due[0];
      if (!first) break;
      this.#timers.delete(first[0]);
      this.#fire(first[0]);
    }
    this.settleSynchronous();
  }

  #fire(timer: Timer): void {
    switch (timer) {
      case 'missing':
        this.#fail(`timedOut:${this.settings.missingTimeout}`);
        return this.#callOff();
      case 'queue':
        if (!this.queued) return;
        this.#settle(this.queued, `timedOut:${this.settings.missingTimeout}`);
        this.queued = undefined;
        return this.#workerFailed();
      case 'check':
        this.phase = 'checking';
        return this.#call('check');
      case 'idle':
        this.connection = undefined;
        return this.#beginStop();
      case 'quarantine':
        this.availability = 'available';
    }
  }

  // ---- transitions -------------------------------------------------------------------------

  #beginSubstantiation(): void {
    this.phase = 'starting';
    this.cancelling = false;
    this.generation++;
    this.#arm('missing', this.settings.missingTimeout);
    this.#call('start');
  }

  #startAnswered(answer: Answer): void {
    if (this.cancelling) return this.#beginStop();
    switch (answer) {
      case 'started':
      case 'startedUndefined':
      case 'startedStatuses':
        return this.#connectedToInstance() ? this.#enterSubstantiated() : this.#enterConnecting();
      case 'cannotSubstantiate':
        this.#fail('cannotSubstantiate');
        return this.#beginStop();
      case 'refused':
        this.#fail('failed:refused');
        return this.#beginStop();
      case 'garbage':
      case 'garbageList':
        this.#fail('failed:garbage');
        return this.#beginStop();
      default:
        this.#fail(`failed:startInstance failed: ${REASONS.start[answer]}`);
        return this.#beginStop();
    }
  }

  #checkAnswered(answer: Answer): void {
    if (this.cancelling) return this.#beginStop();
    if (this.#connectedToInstance()) return this.#enterSubstantiated();
    if (answer === 'good') return this.#enterConnecting();
    this.#fail(`failed:latent worker crashed before connecting: ${REASONS.check[answer]}`);
    this.#beginStop();
  }

  #stopped(): void {
    for (const [request] of this.stopRequests) this.stopRequests.set(request, 'resolved');
    this.#timers.delete('queue');
    if (this.shuttingDown) return this.#enterShutDown();
    if (!this.queued) return void (this.phase = 'idle');
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
    this.#timers.delete('missing');
    this.#timers.delete('check');
    if (this.building === 0) this.#armIdleTimer();
  }

  /** Ends a live substantiation: a running call is aborted and its return awaited. */
  #callOff(): void {
    if (this.phase === 'connecting') return this.#beginStop();
    this.cancelling = true;
    this.#timers.delete('missing');
    this.#arm('queue', this.settings.missingTimeout);
    if (this.pending?.answer === 'hangs') this.pending.arrived = true;
  }

  #beginStop(): void {
    this.phase = 'insubstantiating';
    this.cancelling = false;
    for (const timer of ['missing', 'check', 'idle'] as const) this.#timers.delete(timer);
    this.#arm('queue', this.settings.missingTimeout);
    this.#call('stop');
  }

  #enterShutDown(): void {
    this.phase = 'shutDown';
    this.#timers.clear();
    for (const [waiter, outcome] of this.outcomes) {
      if (outcome === 'pending') this.outcomes.set(waiter, 'false');
    }
    for (const [request] of this.stopRequests) this.stopRequests.set(request, 'resolved');
  }

  #armIdleTimer(): void {
    if (this.settings.buildWaitTimeout >= 0) this.#arm('idle', this.settings.buildWaitTimeout);
  }

  #arm(timer: Timer, ms: number): void {
    if (timer === 'missing' || timer === 'queue') {
      if (ms > 0) this.#timers.set(timer, this.now + ms);
      else this.#timers.delete(timer);
    } else this.#timers.set(timer, this.now + ms);
  }

  #call(kind: CallKind): void {
    const answer = this.#answers.next(kind);
    this.calls.push(kind);
    this.pending = { kind, answer, arrived: answer !== 'hangs' };
  }

  // ---- outcomes and availability -----------------------------------------------------------

  #settle(waiters: number[], outcome: Outcome): void {
    for (const waiter of waiters) this.outcomes.set(waiter, outcome);
  }

  #cancelAll(by: string): void {
    this.#settle([...this.waiters, ...(this.queued ?? [])], `cancelled:${by}`);
    this.waiters = [];
    this.queued = undefined;
  }

  #fail(outcome: Outcome): void {
    this.#settle(this.waiters, outcome);
    this.waiters = [];
    if (outcome !== 'cannotSubstantiate') this.#workerFailed();
  }

  #workerFailed(): void {
    const pauses = this.failures + 1 >= this.settings.pauseAfterFailures;
    this.failures++;
    if (this.availability === 'paused') return;
    if (pauses) {
      this.availability = 'paused';
      return void this.#timers.delete('quarantine');
    }
    if (this.availability === 'quarantined') return;
    const { factor, max } = this.settings.quarantine;
    this.availability = 'quarantined';
    this.quarantineEnds = this.now + this.nextQuarantine;
    this.#arm('quarantine', this.nextQuarantine);
    this.nextQuarantine = Math.min(this.nextQuarantine * factor, max);
  }
}
