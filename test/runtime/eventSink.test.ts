import { describe, expect, it } from 'vitest';
import { EventSink, type EventListener } from '../../src/runtime/eventSink.js';

describe('EventSink', () => {
  it('is observed only while a subscriber or listener is there', () => {
    const sink = new EventSink<number>();
    expect(sink.observed).toBe(false);
    const subscription = sink.observable.subscribe(() => undefined);
    expect(sink.observed).toBe(true);
    subscription.unsubscribe();
    expect(sink.observed).toBe(false);
    const listener = { next: () => undefined };
    sink.listen(listener);
    expect(sink.observed).toBe(true);
    sink.unlisten(listener);
    expect(sink.observed).toBe(false);
  });

  it('gives every event to listeners and subscribers; a listener may leave while called', () => {
    const sink = new EventSink<number>();
    const heard: string[] = [];
    const leaving: EventListener<number> = {
      next: (event) => {
        heard.push(`leaving ${event}`);
        sink.unlisten(leaving);
      }
    };
    sink.listen(leaving);
    sink.listen({ next: (event) => heard.push(`staying ${event}`) });
    sink.observable.subscribe((event) => heard.push(`subscriber ${event}`));
    sink.next(1);
    sink.next(2);
    expect(heard).toEqual(['leaving 1', 'staying 1', 'subscriber 1', 'staying 2', 'subscriber 2']);
  });

  it('ends the stream also for whoever subscribes after the end', () => {
    const completed = new EventSink<number>();
    completed.complete();
    let done = false;
    completed.observable.subscribe({ complete: () => (done = true) });
    expect(done).toBe(true);

    const failed = new EventSink<number>();
    const error = new Error('a bug');
    failed.error(error);
    let caught: unknown;
    failed.observable.subscribe({ error: (e: unknown) => (caught = e) });
    expect(caught).toBe(error);
  });
});
