import type { ListedInstance, Provider } from '../../providers/provider.js';
import type { LatentWorker } from '../createLatentWorker.js';
import { LABELS } from '../identity.js';
import { instancesInUse } from '../instancesInUse.js';
import type { Journal, JournalInstance } from '../journal/journal.js';
import { WorkerRuntime } from '../workerRuntime.js';
import type { OrphanReason, SweepEvent } from './events.js';

export interface SweepOptions {
  /** Time between two sweeps, ms. @default 300_000 */
  interval?: number;
  /**
   * Time an orphan must stay one before it is stopped, ms, so that a start still in flight
   * elsewhere (its record not yet visible) is not killed. @default 60_000
   */
  grace?: number;
}

/** The instances of one owner on one provider, and the journals that should hold them. */
interface Scope {
  owner: string;
  provider: Provider<never>;
  journals: Set<Journal>;
  /** The workers of this fleet in the scope, by name. */
  workers: Set<string>;
  stopTimeout: number;
}

/** An orphan found, waiting out its grace period. */
interface Mark {
  at: number;
  scope: Scope;
  reason: OrphanReason;
  instance: ListedInstance;
  /** The journal that holds it open (reason `workerGone`), to close it after the stop. */
  journal: Journal | undefined;
}

/**
 * Finds and stops the instances nobody owns: those that carry an owner's labels but that no
 * journal holds open, and (for providers that cannot list) those a journal holds open for a
 * worker this fleet does not have. Each is marked when first found, and stopped only if it is
 * still an orphan `grace` later. Instances that a live worker of this process owns are never
 * touched, whatever the listing or the journal says.
 */
export class OrphanSweep {
  readonly #scopes: Scope[];
  readonly #interval: number;
  readonly #grace: number;
  readonly #report: (event: SweepEvent) => void;
  readonly #marks = new Map<string, Mark>();
  readonly #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;

  constructor(
    workers: readonly LatentWorker<unknown>[],
    options: Required<SweepOptions>,
    report: (event: SweepEvent) => void
  ) {
    this.#scopes = scopesOf(workers);
    this.#interval = options.interval;
    this.#grace = options.grace;
    this.#report = report;
  }

  /** Whether any worker has a journal: only then is there anything to sweep against. */
  get active(): boolean {
    return this.#scopes.length > 0;
  }

  start(): void {
    if (this.active) this.#schedule(0);
  }

  /** Runs one sweep now (the fleet also runs them on its own schedule). */
  sweep(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** No more sweeps; a sweep under way has its calls aborted and is waited for. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#abort.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.sweep().then(() => this.#schedule(this.#nextDelay()));
    }, delay);
    // A sweep is housekeeping: it never keeps the process alive on its own.
    this.#timer.unref?.();
  }

  /** The next interval, or sooner when a mark's grace ends before it. */
  #nextDelay(): number {
    const now = Date.now();
    let delay = this.#interval;
    for (const mark of this.#marks.values()) {
      delay = Math.min(delay, Math.max(0, mark.at + this.#grace - now));
    }
    return delay;
  }

  async #pass(): Promise<void> {
    const found = new Map<string, Omit<Mark, 'at'>>();
    for (const [index, scope] of this.#scopes.entries()) {
      try {
        for (const orphan of await this.#orphansOf(scope)) {
          found.set(`${index}/${orphan.instance.instanceName}`, orphan);
        }
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        this.#report({ type: 'sweepFailed', owner: scope.owner, error });
      }
    }
    const now = Date.now();
    for (const key of this.#marks.keys()) if (!found.has(key)) this.#marks.delete(key);
    for (const [key, orphan] of found) {
      const mark = this.#marks.get(key);
      if (!mark) {
        this.#marks.set(key, { ...orphan, at: now });
        this.#report({ type: 'orphanFound', instance: orphan.instance, reason: orphan.reason });
      } else if (now - mark.at >= this.#grace) {
        this.#marks.delete(key);
        await this.#stop(mark);
      }
    }
  }

  /** The orphans of one scope right now. */
  async #orphansOf(scope: Scope): Promise<Array<Omit<Mark, 'at'>>> {
    const { owner, provider } = scope;
    // Listed first, journal second: a start is recorded before its provider call, so an
    // instance of a live start that the listing shows is open in the journal read after it.
    const listed = await this.#list(provider, owner);
    const open = new Set<string>();
    const gone: Array<{ journal: Journal; instance: JournalInstance }> = [];
    for (const journal of scope.journals) {
      for (const instance of await journal.openInstances({ owner })) {
        open.add(instance.instanceName);
        const unowned = !scope.workers.has(instance.workerName);
        if (unowned && !instancesInUse.has(owner, instance.instanceName)) {
          gone.push({ journal, instance });
        }
      }
    }
    const orphans: Array<Omit<Mark, 'at'>> = [];
    for (const instance of listed) {
      const name = instance.instanceName;
      if (open.has(name) || instancesInUse.has(owner, name)) continue;
      const workerName = instance.labels[LABELS.worker] ?? '';
      let recorded = 0;
      for (const journal of scope.journals) {
        recorded = Math.max(recorded, await journal.lastGeneration({ owner, workerName }));
      }
      const generation = Number(instance.labels[LABELS.generation]);
      const reason: OrphanReason = generation <= recorded ? 'closed' : 'unrecorded';
      orphans.push({ scope, reason, instance, journal: undefined });
    }
    for (const { journal, instance } of gone) {
      const { instanceName, labels, instanceId, startedAt } = instance;
      const listedInstance: ListedInstance = { instanceName, labels, createdAt: startedAt };
      if (instanceId !== undefined) listedInstance.instanceId = instanceId;
      orphans.push({ scope, reason: 'workerGone', instance: listedInstance, journal });
    }
    return orphans;
  }

  /**
   * What the provider lists of `owner`'s instances (none if it cannot list). A listing that
   * hangs is cut off after an interval, when the next sweep would list again.
   */
  async #list(provider: Provider<never>, owner: string): Promise<ListedInstance[]> {
    if (!provider.listInstances) return [];
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error('the listing took a whole sweep interval')),
      this.#interval
    );
    try {
      const signal = AbortSignal.any([this.#abort.signal, deadline.signal]);
      return await provider.listInstances({ labels: { [LABELS.owner]: owner }, signal });
    } finally {
      clearTimeout(timer);
    }
  }

  async #stop(mark: Mark): Promise<void> {
    const { scope, instance, reason, journal } = mark;
    const { owner } = scope;
    const { instanceName, labels } = instance;
    const signal = AbortSignal.any([
      this.#abort.signal,
      ...(scope.stopTimeout > 0 ? [AbortSignal.timeout(scope.stopTimeout)] : [])
    ]);
    try {
      await journal?.record({ type: 'stopping', owner, instanceName, at: Date.now() });
      await scope.provider.stopInstance({
        workerName: labels[LABELS.worker] ?? '',
        generation: Number(labels[LABELS.generation] ?? 0),
        instanceName,
        labels,
        ...(instance.instanceId === undefined ? {} : { instanceId: instance.instanceId }),
        fast: false,
        signal
      });
      await journal?.record({ type: 'stopped', owner, instanceName, at: Date.now() });
      this.#report({ type: 'orphanSwept', instance, reason, ok: true });
    } catch (error) {
      this.#report({ type: 'orphanSwept', instance, reason, ok: false, error });
    }
  }
}

/** Groups the journaled workers by provider and owner. */
function scopesOf(workers: readonly LatentWorker<unknown>[]): Scope[] {
  const scopes: Scope[] = [];
  for (const worker of workers) {
    // A worker this copy of the package did not make (a wrapper, a test double) is left out.
    if (!(worker instanceof WorkerRuntime)) continue;
    const { owner, provider, journal, settings } =
      worker.options as WorkerRuntime<never>['options'];
    if (!journal) continue;
    const { stopTimeout } = settings;
    let scope = scopes.find((s) => s.owner === owner && s.provider === provider);
    if (!scope) {
      scope = { owner, provider, journals: new Set(), workers: new Set(), stopTimeout };
      scopes.push(scope);
    }
    scope.journals.add(journal);
    scope.workers.add(worker.name);
  }
  return scopes;
}
