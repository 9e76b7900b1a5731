import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { ControllableProvider, createLatentWorker } from '../../src/index.js';
import { track } from '../support/harness.js';

// api.md "Timing": a SimulatedClock passed as `clock` drives every timer, without fake timers.
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('clock option', () => {
  it('a SimulatedClock drives the idle timer, the quarantine and retryAfter', async () => {
    const clock = new SimulatedClock();
    const provider = new ControllableProvider({ autoStart: true, autoStop: true });
    const worker = createLatentWorker({ name: 'sim', provider, clock, buildWaitTimeout: 5000 });
    provider.bind(worker);

    expect(await worker.substantiate()).toBe(true);
    clock.increment(4999);
    await settle();
    expect(worker.status.state).toBe('substantiated');
    clock.increment(1);
    await settle();
    expect(worker.status.state).toBe('idle');

    provider.setAuto({ autoStart: false });
    const failed = track(worker.substantiate());
    provider.completeStart(false);
    await settle();
    expect(failed.status).toBe('rejected');
    clock.increment(4000);
    const refused = track(worker.substantiate());
    await settle();
    expect(refused.error).toMatchObject({ reason: 'quarantined', retryAfter: 6000 });
    clock.increment(6000);
    expect(worker.status.availability).toBe('available');
    await worker.shutdown();
  });
});
