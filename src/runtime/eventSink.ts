import { Subject, type Observable } from 'rxjs';

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

  get observable(): Observable<T> {
    return (this.#observable ??= this.#made().asObservable());
  }

  /** Whether anyone listens now; an event built while nobody does is thrown away. */
  get observed(): boolean {
    return this.#subject?.observed === true;
  }

  next(event: T): void {
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
