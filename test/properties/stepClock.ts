/**
 * A clock for XState (the interface of its `SimulatedClock`) on which time moves one due timer
 * at a time: `fireNext` fires the earliest timer due by a given time, so that the test can let
 * the engine's asynchronous reactions run before the next one fires (with a journal, a stop
 * that a timer causes is issued only once its record is written, a few microtasks later;
 * `SimulatedClock.increment` would fire every later timer first, the stop's deadline included).
 */
export class StepClock {
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  #now: number;
  #nextId = 0;

  /** `now`: the time a restarted process's clock begins at (time goes on across a crash). */
  constructor(now = 0) {
    this.#now = now;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(id: number): void {
    this.#timers.delete(id);
  }

  /** Fires the earliest timer due by `until` (the first armed among equals); false if none. */
  fireNext(until: number): boolean {
    let first: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.#timers) {
      if (entry[1].at <= until && (!first || entry[1].at < first[1].at)) first = entry;
    }
    if (!first) return false;
    this.#timers.delete(first[0]);
    this.#now = Math.max(this.#now, first[1].at);
    first[1].fn();
    return true;
  }

  /** Moves time to `time`; call `fireNext(time)` until it returns false first. */
  set(time: number): void {
    this.#now = Math.max(this.#now, time);
  }
}
