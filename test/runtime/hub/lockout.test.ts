import { describe, expect, it } from 'vitest';
import { Lockout } from '../../../src/runtime/hub/lockout.js';

/** A lock-out on a clock the test moves. */
function lockout(capacity?: number) {
  const clock = { now: 0 };
  const settings = { after: 3, base: 100, max: 1_000 };
  const lockout = new Lockout(settings, {
    now: () => clock.now,
    ...(capacity ? { capacity } : {})
  });
  return { lockout, clock };
}

describe('lock-out after failed authentications', () => {
  it('locks the address and the name from the after-th failure, doubling up to max', () => {
    const { lockout: l, clock } = lockout();
    expect(l.failed('10.0.0.1', 'w1')).toEqual([]);
    expect(l.failed('10.0.0.1', 'w1')).toEqual([]);
    expect(l.lockOf('10.0.0.1', 'w1')).toBeUndefined();
    expect(l.failed('10.0.0.1', 'w1')).toEqual([
      { scope: 'address', key: '10.0.0.1', failures: 3, duration: 100 },
      { scope: 'worker', key: 'w1', failures: 3, duration: 100 }
    ]);
    expect(l.lockOf('10.0.0.1', 'w1')).toMatchObject({ scope: 'address', duration: 100 });
    clock.now = 99;
    expect(l.lockOf('10.0.0.1', 'w1')).toMatchObject({ duration: 1 });
    clock.now = 100;
    expect(l.lockOf('10.0.0.1', 'w1')).toBeUndefined();
    const durations = [];
    for (let i = 0; i < 6; i++) {
      const [lock] = l.failed('10.0.0.1', 'w1');
      durations.push(lock!.duration);
      clock.now += lock!.duration;
    }
    expect(durations).toEqual([200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('an address and a name are locked apart: another address is held by the name', () => {
    const { lockout: l } = lockout();
    for (let i = 0; i < 3; i++) l.failed(`10.0.0.${i}`, 'w1');
    expect(l.lockOf('10.0.0.9', 'w1')).toMatchObject({ scope: 'worker', key: 'w1' });
    expect(l.lockOf('10.0.0.9', 'w2')).toBeUndefined();
    for (let i = 0; i < 3; i++) l.failed('10.0.0.7', `name${i}`);
    expect(l.lockOf('10.0.0.7', 'w2')).toMatchObject({ scope: 'address', key: '10.0.0.7' });
  });

  it('a success forgets the address and the name', () => {
    const { lockout: l } = lockout();
    l.failed('10.0.0.1', 'w1');
    l.failed('10.0.0.1', 'w1');
    l.succeeded('10.0.0.1', 'w1');
    expect(l.failed('10.0.0.1', 'w1')).toEqual([]);
    expect(l.size).toEqual({ address: 1, worker: 1 });
  });

  it('a key quiet for max after its last failure or lock is forgotten', () => {
    const { lockout: l, clock } = lockout();
    l.failed('10.0.0.1', 'w1');
    l.failed('10.0.0.1', 'w1');
    clock.now = 999;
    l.sweep();
    expect(l.size).toEqual({ address: 1, worker: 1 });
    clock.now = 1_000;
    l.sweep();
    expect(l.size).toEqual({ address: 0, worker: 0 });
    // Counting starts afresh.
    l.failed('10.0.0.1', 'w1');
    expect(l.failed('10.0.0.1', 'w1')).toEqual([]);
    // A lock's end starts its quiet time: failing at once after it locks again, longer.
    const [lock] = l.failed('10.0.0.1', 'w1');
    clock.now += lock!.duration + 999;
    expect(l.failed('10.0.0.1', 'w1')).toMatchObject([{ failures: 4, duration: 200 }, {}]);
  });

  it('keeps at most capacity keys per scope, forgetting the one that failed longest ago', () => {
    const { lockout: l } = lockout(2);
    l.failed('a', 'x');
    l.failed('a', 'x');
    l.failed('b', 'y');
    l.failed('a', 'x'); // a and x failed last: b and y are the oldest
    l.failed('c', 'z');
    expect(l.size).toEqual({ address: 2, worker: 2 });
    expect(l.failed('a', 'x')).toHaveLength(2); // a and x kept their count: now locked
    expect(l.failed('b', 'y')).toEqual([]); // b and y start again
  });
});
