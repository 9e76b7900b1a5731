import type { AnyActorRef } from 'xstate';

type System = AnyActorRef['system'];
interface Scheduled {
  event: { type: string };
}

/**
 * An XState clock on which no time passes: a test fires one pending timer by the event it
 * will send (`xstate.after.<delay>.<state>`), whatever the delays, so that a graph path that
 * fires a timer replays exactly that timer.
 */
export class ManualClock {
  system: System | undefined;
  readonly #timers = new Map<number, { type: string; fire(): void }>();
  #nextId = 0;

  setTimeout(fire: () => void, _ms: number): number {
    const id = ++this.#nextId;
    // XState registers the scheduled event right before it asks the clock for a timer.
    const scheduled = Object.values(
      this.system?.getSnapshot()._scheduledEvents ?? {}
    ) as Scheduled[];
    this.#timers.set(id, { type: scheduled.at(-1)?.event.type ?? 'unknown', fire });
    return id;
  }

  clearTimeout(id: number): void {
    this.#timers.delete(id);
  }

  /** Fires the timer that sends `type`; false when none is armed (it already fired). */
  fire(type: string): boolean {
    const entry = [...this.#timers].find(([, timer]) => timer.type === type);
    if (!entry) return false;
    this.#timers.delete(entry[0]);
    entry[1].fire();
    return true;
  }
}
