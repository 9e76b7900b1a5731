import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness, track } from '../support/harness.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('smoke', () => {
  it('substantiates, builds, idles out', async () => {
    const { worker, provider, flush, advance } = harness({ buildWaitTimeout: 1000 });
    const up = track(worker.substantiate());
    expect(worker.status.state).toBe('substantiating');
    expect(provider.state).toBe('starting');
    provider.completeStart(true);
    await flush();
    expect(up.status).toBe('fulfilled');
    expect(up.value).toBe(true);
    expect(worker.status.state).toBe('substantiated');
    worker.buildStarted();
    worker.buildFinished('success');
    await advance(999);
    expect(provider.state).toBe('started');
    await advance(1);
    expect(provider.state).toBe('stopping');
    provider.completeStop();
    await flush();
    expect(worker.status.state).toBe('idle');
    await worker.shutdown();
    provider.assertPaired();
    expect(provider.violations).toEqual([]);
  });
});
