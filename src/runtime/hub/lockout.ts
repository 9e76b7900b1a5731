/** The lock-out's back-off (see `LockoutOptions`), resolved. */
export interface LockoutSettings {
  after: number;
  base: number;
  max: number;
}

/** What a lock holds: a remote address (its IP, whatever the port) or a claimed worker name. */
export type LockScope = 'address' | 'worker';

export interface Lock {
  scope: LockScope;
  key: string;
  /** Consecutive failures of the key so far. */
  failures: number;
  /** Time until the lock ends, ms. */
  duration: number;
}

interface FailureRecord {
  failures: number;
  /** The end of the lock, or of the last failure when there is no lock. */
  until: number;
}

/** Records kept per scope; the one that failed longest ago is forgotten first. */
const CAPACITY = 10_000;

/**
 * Consecutive failed authentications per remote address and per claimed worker name, and the
 * locks they earn: from the `after`-th failure on, the key is locked for
 * `min(base * 2^(failures - after), max)` ms. The hub refuses a locked key's hellos without
 * checking their password, and does not count them. Names are tracked whether a worker has
 * them or not, so that the lock-out tells a scanner no more than the refusals do.
 *
 * A success forgets the address and the name. A key quiet for `max` after its last failure
 * or lock is forgotten too, and each scope keeps at most 10,000 keys: memory stays bounded
 * whatever the number of addresses and names tried.
 */
export class Lockout {
  readonly #settings: LockoutSettings;
  readonly #now: () => number;
  readonly #capacity: number;
  readonly #records: Record<LockScope, Map<string, FailureRecord>> = {
    address: new Map(),
    worker: new Map()
  };

  constructor(
    settings: LockoutSettings,
    { now = () => performance.now(), capacity = CAPACITY } = {}
  ) {
    this.#settings = settings;
    this.#now = now;
    this.#capacity = capacity;
  }

  /** The lock that holds `address` or `worker` now, if any. */
  lockOf(address: string, worker: string): Lock | undefined {
    return this.#lock('address', address) ?? this.#lock('worker', worker);
  }

  /** Counts a failed authentication; returns the locks it set. */
  failed(address: string, worker: string): Lock[] {
    const locks: Lock[] = [];
    for (const [scope, key] of [
      ['address', address],
      ['worker', worker]
    ] as const) {
      const lock = this.#fail(scope, key);
      if (lock) locks.push(lock);
    }
    return locks;
  }

  /** A successful authentication: the address and the worker start afresh. */
  succeeded(address: string, worker: string): void {
    this.#records.address.delete(address);
    this.#records.worker.delete(worker);
  }

  /** Forgets the keys that have been quiet long enough. */
  sweep(): void {
    const now = this.#now();
    for (const records of Object.values(this.#records)) {
      for (const [key, record] of records) if (this.#expired(record, now)) records.delete(key);
    }
  }

  /** The number of keys remembered in each scope. */
  get size(): Record<LockScope, number> {
    return { address: this.#records.address.size, worker: this.#records.worker.size };
  }

  #lock(scope: LockScope, key: string): Lock | undefined {
    const records = this.#records[scope];
    const record = records.get(key);
    if (!record) return undefined;
    const now = this.#now();
    if (this.#expired(record, now)) records.delete(key);
    else if (record.until > now && record.failures >= this.#settings.after) {
      return { scope, key, failures: record.failures, duration: record.until - now };
    }
    return undefined;
  }

  #fail(scope: LockScope, key: string): Lock | undefined {
    const records = this.#records[scope];
    const now = this.#now();
    const previous = records.get(key);
    const failures = previous && !this.#expired(previous, now) ? previous.failures + 1 : 1;
    // Re-inserted, so that the map's order is the order of the last failures.
    records.delete(key);
    if (records.size >= this.#capacity) records.delete(records.keys().next().value!);
    const { after, base, max } = this.#settings;
    const duration = failures >= after ? Math.min(base * 2 ** (failures - after), max) : 0;
    records.set(key, { failures, until: now + duration });
    return duration > 0 ? { scope, key, failures, duration } : undefined;
  }

  #expired(record: FailureRecord, now: number): boolean {
    return now - record.until >= this.#settings.max;
  }
}
