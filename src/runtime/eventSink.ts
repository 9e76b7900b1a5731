import { Subject, type Observable } from 'rxjs';

/** Hears every event directly, without an rxjs subscription (see `EventSink.listen`). */
export interface EventListener<T> {
  next(event: T): void;
}

/**
 * A worker's `events$`, made on first use: most workers of a large fleet are never watched
 * one by one, and a Subject with its observable costs more than the rest of the facade.
 * Producers ask `observed` before building an event, so that nobody pays for events nobody
 * reads.
 */
export class EventSink<T> {
  #subject: Subject<T> | undefined;
  #observable: Observable<T> | undefined;
  /** How the stream ended, for a subject made after the end. */
  #ended: { error: unknown } | true | undefined;
  /** Replaced, never changed in place, so that a listener may leave while being called. */
  #listeners: readonly EventListener<T>[] | undefined;

  get observable(): Observable<T> {
    return (this.#observable ??= this.#made().asObservable());
  }

  /** Whether anyone listens now; an event built while nobody does is thrown away. */
  get observed(): boolean {
    return this.#listeners !== undefined || this.#subject?.observed === true;
  }

  /**
   * Calls `listener` with every event from now on, until `unlisten`. Cheaper than a
   * subscription to `observable` (a Subject and its subscriber chain, ~600 B), which counts
   * when a Fleet listens to each of a hundred thousand workers; no end or error is delivered.
   */
  listen(listener: EventListener<T>): void {
    this.#listeners = [...(this.#listeners ?? []), listener];
  }

  unlisten(listener: EventListener<T>): void {
    const rest = this.#listeners?.filter((other) => other !== listener);
    this.#listeners = rest?.length ? rest : undefined;
  }

  next(event: T): void {
    const listeners = this.#listeners;
    if (listeners) for (const listener of listeners) listener.next(event);
    this.#subject?.next(event);
  }

  /** Ends the stream, also for whoever subscribes later. */
  complete(): void {
    this.#ended ??= true;
    this.#subject?.complete();
  }

  /** Fails the stream, also for whoever subscribes later. */
  error(error: unknown): void {
    this.#ended ??= { error };
    this.#subject?.error(error);
  }

  #made(): Subject<T> {
    if (this.#subject) return this.#subject;
    const subject = (this.#subject = new Subject<T>());
    if (this.#ended === true) subject.complete();
    else if (this.#ended) subject.error(this.#ended.error);
    return subject;
  }
}
