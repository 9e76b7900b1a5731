import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { harness } from '../support/harness.js';

// lifecycle.md invariant 5: the password handed to a start stays the same until that instance
// has been stopped; a new start gets a new random one.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('credentials (invariant 5)', () => {
  it('is stable for one instance and new for each start', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate();
    const first = h.provider.starts[0]!;
    const password = first.password;
    expect(password).toMatch(/^[\w-]{20,}$/);
    h.provider.completeStart(true);
    await h.flush();
    await h.advance(60_000);
    expect(first.password).toBe(password);
    expect(h.worker.checkPassword(password)).toBe(true);
    await h.worker.insubstantiate();
    // A stopped instance's password no longer opens anything.
    expect(h.worker.checkPassword(password)).toBe(false);

    h.substantiate();
    const second = h.provider.starts[1]!;
    expect(second.password).not.toBe(password);
    expect(h.worker.checkPassword(second.password)).toBe(true);
  });

  it('reading an old start context again changes neither it nor the live password', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate();
    const old = h.provider.starts[0]!.password;
    h.provider.completeStart(true);
    await h.flush();
    await h.worker.insubstantiate();
    h.substantiate();
    const live = h.provider.starts[1]!.password;
    expect(h.provider.starts[0]!.password).toBe(old);
    expect(h.worker.checkPassword(live)).toBe(true);
    expect(h.worker.checkPassword(old)).toBe(false);
  });

  it('a password first read after its instance stopped is not accepted', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate();
    const ctx = h.provider.starts[0]!;
    h.provider.completeStart(true);
    await h.flush();
    await h.worker.insubstantiate();
    expect(h.worker.checkPassword(ctx.password)).toBe(false);
    expect(ctx.password).toBe(ctx.password);
  });

  it('is kept while a start is cancelled and until its stop', async () => {
    const h = harness();
    h.substantiate();
    const password = h.provider.starts[0]!.password;
    void h.worker.insubstantiate();
    await h.flush();
    expect(h.worker.checkPassword(password)).toBe(true);
    h.provider.completeStart(true);
    await h.flush();
    expect(h.provider.stopPending).toBe(true);
    expect(h.worker.checkPassword(password)).toBe(true);
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.checkPassword(password)).toBe(false);
  });
});
