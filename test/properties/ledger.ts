import type { InstanceRef, StartResult } from '../../src/index.js';
import type { CallKind } from '../model/answers.js';
import type { MemoryJournal } from '../support/memoryJournal.js';

/** One provider call as the backend saw it. */
export interface Call {
  readonly kind: CallKind;
  readonly generation: number;
  /** The orchestrator process that issued it. */
  readonly by: Incarnation;
  /** `running` until the backend answers; `threw` also covers a rejection and an abort. */
  end: 'running' | 'returned' | 'threw';
  /**
   * Its process was alive when the answer came: the engine saw it (and recorded it). A call
   * abandoned by a crash may still end in the backend, unseen.
   */
  seen: boolean;
}

/** One instance (a generation) across every process. */
interface Instance {
  /** The identity its start was given. */
  readonly ref: InstanceRef;
  readonly start: Call;
  readonly stops: Call[];
  /** The `instanceId` its start returned, if a live process saw it (and so recorded it). */
  instanceId?: string;
}

/**
 * One orchestrator process (the first, then one per restart after a crash): what it owes the
 * backend, and whose password its worker must accept.
 */
export class Incarnation {
  alive = true;
  shutdownCalled = false;
  shutdownResolved = false;
  /** A takedown outlived stopTimeout: a late start's stop may come after shutdown resolved. */
  overdue = false;
  /** Scheduled answers of its calls not yet released, and released so far. */
  tasks = 0;
  released = 0;

  constructor(
    readonly number: number,
    /**
     * The stops it owes before its next start, oldest first: one for each instance the
     * journal held open when it was created, then one for each of its own starts.
     */
    readonly owed: number[],
    /**
     * The instance whose password its worker accepts, while `live`: its newest start's, or the
     * newest leftover's if that one was running (so that its agent can come back).
     */
    public password: { generation: number; live: boolean } | undefined
  ) {}
}

/**
 * The backend's record of every provider call of one worker name, across crashes and
 * restarts, and the invariants of `lifecycle.md` and `instances.md` that only the backend can
 * judge: one call at a time per process; one stop per start within a process, and recovery's
 * stops, oldest first, before a restarted process starts anything; no generation started
 * twice; every check and stop naming its instance as its start did; no stop of an instance
 * after a stop of it completed and was recorded; every call announced in the journal first;
 * nothing after shutdown (but the stop of a start that outlived its deadline).
 */
export class Ledger {
  /** Every process's calls, in the order they began. */
  readonly calls: CallKind[] = [];
  /** For each stop, whether it was fast. */
  readonly fastStops: boolean[] = [];
  readonly violations: string[] = [];
  /** The password handed to each generation's start. */
  readonly passwords = new Map<number, string>();
  readonly instances = new Map<number, Instance>();
  current = new Incarnation(1, [], undefined);
  /** Scheduled answers not yet released, of every process. */
  tasks = 0;
  /** Calls that began while a call abandoned by a crash still ran (allowed: see `begin`). */
  overlapsAcrossCrashes = 0;
  /** When the last provider call began, on the worker's clock. */
  lastBegan = 0;
  readonly #running = new Set<Call>();

  constructor(readonly journal?: MemoryJournal) {}

  /** Calls of process `by` that the backend is running. */
  inFlight(by: Incarnation): number {
    return [...this.#running].filter((call) => call.by === by).length;
  }

  count(kind: CallKind): number {
    return this.calls.filter((call) => call === kind).length;
  }

  /**
   * A new process after a crash (the old one is already dead): it owes a stop for every
   * instance the journal holds open, and accepts the newest one's password if it was running.
   */
  restart(): Incarnation {
    const open = this.openInJournal();
    const newest = open.at(-1);
    const password =
      newest?.state === 'started' ? { generation: newest.generation, live: true } : undefined;
    const owed = open.map((row) => row.generation);
    return (this.current = new Incarnation(this.current.number + 1, owed, password));
  }

  /** The journal's open instances, oldest first. */
  openInJournal(): Array<{ generation: number; state: string }> {
    return [...(this.journal?.rows.values() ?? [])]
      .filter((row) => row.stoppedAt === undefined)
      .map(({ generation, state }) => ({ generation, state }))
      .sort((a, b) => a.generation - b.generation);
  }

  /** A call begins at the backend, issued by process `by`. */
  begin(
    kind: CallKind,
    ctx: InstanceRef & { password?: string; fast?: boolean },
    now: number,
    by: Incarnation
  ): Call {
    this.lastBegan = now;
    if (!by.alive) this.violate(`${kind} issued by a process that crashed`);
    this.#overlaps(kind, ctx.generation, by);
    if (kind === 'start') this.#beginInstance(ctx, by);
    else this.#ofInstance(kind, ctx, by);
    if (by.shutdownResolved && !(kind === 'stop' && by.overdue)) {
      this.violate(`${kind} after shutdown() resolved`);
    }
    this.calls.push(kind);
    if (kind === 'stop') this.fastStops.push(ctx.fast === true);
    const call: Call = { kind, generation: ctx.generation, by, end: 'running', seen: false };
    if (kind === 'start') {
      this.instances.set(ctx.generation, { ref: identity(ctx), start: call, stops: [] });
    } else if (kind === 'stop') this.instances.get(ctx.generation)?.stops.push(call);
    this.#running.add(call);
    return call;
  }

  /** The start returned: a live process records the `instanceId`, later calls must carry it. */
  started(call: Call, result: StartResult): void {
    const id = (result as { instanceId?: string } | undefined)?.instanceId;
    const instance = this.instances.get(call.generation);
    if (instance && id !== undefined && call.by.alive) instance.instanceId = id;
  }

  /** The call runs until `answer` settles. */
  track<T>(call: Call, answer: Promise<T>): Promise<T> {
    const end = (how: 'returned' | 'threw') => () => {
      call.end = how;
      call.seen = call.by.alive;
      this.#running.delete(call);
      // A stop that returned, whatever it said, voids the password of its instance.
      const password = call.by.password;
      if (call.kind === 'stop' && call.seen && password?.generation === call.generation) {
        password.live = false;
      }
    };
    answer.then(end('returned'), end('threw'));
    return answer;
  }

  violate(message: string): void {
    this.violations.push(message);
  }

  /**
   * One call at a time per process. A call that a crash abandoned may still run when the next
   * process begins its own (it cannot know of it): allowed, but never for the same instance
   * unless the new call is a stop (recovery's stop of what the journal holds open).
   */
  #overlaps(kind: CallKind, generation: number, by: Incarnation): void {
    for (const other of this.#running) {
      if (other.by === by) {
        this.violate(`${kind} overlaps another provider call`);
        continue;
      }
      this.overlapsAcrossCrashes++;
      if (other.generation === generation && kind !== 'stop') {
        this.violate(
          `${kind} of generation ${generation} while the ${other.kind} of it abandoned by a crash still runs`
        );
      }
    }
  }

  #beginInstance(ctx: InstanceRef & { password?: string }, by: Incarnation): void {
    const { generation } = ctx;
    if (by.owed.length > 0) {
      this.violate(`start while generations ${by.owed.join(', ')} wait for their stop`);
    }
    if (by.shutdownCalled) this.violate('start after shutdown()');
    if (this.instances.has(generation)) this.violate(`generation ${generation} started twice`);
    // Generations continue after the highest recorded one: 1, 2, 3… across restarts.
    if (generation !== this.instances.size + 1) this.violate(`start of generation ${generation}`);
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(ctx.instanceName)) {
      this.violate(`instance name ${ctx.instanceName} is not a DNS label`);
    }
    if (ctx.labels['latent-workers.io/generation'] !== String(generation)) {
      this.violate('the generation label does not match');
    }
    if (this.journal) {
      if (this.#recorded(ctx.instanceName) !== 'starting') {
        this.violate(`start of ${ctx.instanceName} issued before its record was durable`);
      }
      if (ctx.password !== this.journal.password(ctx.instanceName)) {
        this.violate(`the password of ${ctx.instanceName} is not derived from the journal`);
      }
    }
    if (ctx.password !== undefined) this.passwords.set(generation, ctx.password);
    by.owed.push(generation);
    by.password = { generation, live: true };
  }

  /** A check or stop: of an instance this process owes a stop, named as its start named it. */
  #ofInstance(kind: CallKind, ctx: InstanceRef & { fast?: boolean }, by: Incarnation): void {
    const { generation } = ctx;
    const instance = this.instances.get(generation);
    if (!instance) return this.violate(`${kind} of generation ${generation}, never started`);
    const seen = identity(ctx);
    const expected = { ...instance.ref, instanceId: instance.instanceId };
    // In the process that started it, the very same labels object (made once per generation).
    const sameLabels = instance.start.by !== by || ctx.labels === instance.ref.labels;
    if (JSON.stringify(seen) !== JSON.stringify(expected) || !sameLabels) {
      this.violate(`${kind} of ${JSON.stringify(seen)}, started as ${JSON.stringify(expected)}`);
    }
    const oldest = by.owed[0];
    if (oldest !== generation) {
      this.violate(
        by.owed.includes(generation)
          ? `${kind} of generation ${generation} before that of ${oldest}: oldest first`
          : `${kind} of generation ${generation}, which this process does not hold`
      );
    }
    if (kind !== 'stop') return;
    if (oldest === generation) by.owed.shift();
    // A second stop only if no earlier one was seen to complete (it would have been recorded).
    if (instance.stops.some((stop) => stop.end === 'returned' && stop.seen)) {
      this.violate(`stop of generation ${generation} after a stop of it completed`);
    }
    if (this.journal && this.#recorded(ctx.instanceName) !== 'stopping') {
      this.violate(`stop of ${ctx.instanceName} issued before its record was durable`);
    }
  }

  /** The state of the journal's open record of `instanceName`, if any. */
  #recorded(instanceName: string): string | undefined {
    for (const row of this.journal?.rows.values() ?? []) {
      if (row.instanceName === instanceName && row.stoppedAt === undefined) return row.state;
    }
    return undefined;
  }
}

/** The identity of an instance as a call names it, in a fixed key order (for comparisons). */
function identity(ctx: InstanceRef) {
  const { workerName, generation, instanceName, labels, instanceId } = ctx;
  return { workerName, generation, instanceName, labels, instanceId };
}
