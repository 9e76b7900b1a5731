import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness } from '../../support/harness.js';

// api.md WorkerEvent: what an observer of events$ sees during one cycle.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('events$', () => {
  it('reports one substantiate, build, idle-stop cycle in order', async () => {
    const h = harness({ buildWaitTimeout: 1000 }, { autoStop: true });
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    h.worker.buildStarted();
    h.worker.buildFinished('success');
    await h.advance(1000);
    expect(h.eventsOf('state').map((e) => `${e.from}→${e.to}`)).toEqual([
      'idle→substantiating',
      'substantiating→substantiated',
      'substantiated→insubstantiating',
      'insubstantiating→idle'
    ]);
    // The connection's arrival and its drop by the idle timer are both visible.
    const connection = ['attached', 'detached', 'substantiated'] as const;
    expect(h.events.flatMap((e) => (connection.some((t) => t === e.type) ? [e.type] : []))).toEqual(
      ['attached', 'substantiated', 'detached']
    );
    expect(h.eventsOf('provider').map((e) => `${e.call}:${e.phase}:${e.ok}`)).toEqual([
      'start:begin:true',
      'start:end:true',
      'stop:begin:true',
      'stop:end:true'
    ]);
    expect(h.events.every((e) => e.worker === 'local')).toBe(true);
  });

  it('reports failures, quarantine and pausing', async () => {
    const h = harness({ pauseAfterFailures: 1 }, { autoStop: true });
    h.substantiate();
    h.provider.completeStart(false);
    await h.flush();
    h.worker.unpause();
    expect(h.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['substantiationFailed', 'paused', 'availability', 'unpaused'])
    );
    expect(h.eventsOf('availability').map((e) => `${e.from}→${e.to}`)).toEqual([
      'available→paused',
      'paused→available'
    ]);
  });

  it('completes at shutdown', async () => {
    const h = harness();
    let completed = false;
    h.worker.events$.subscribe({ complete: () => (completed = true) });
    await h.worker.shutdown();
    expect(completed).toBe(true);
  });
});
