import { describe, expect, it } from 'vitest';
import {
  classifyCheckResult,
  classifyStartResult,
  instanceIdOf,
  missingTimedOut,
  startRefused,
  startReturnedGarbage,
  stillStopping
} from '../../src/machines/latentWorker/failures.js';

// How the chart reads what a provider answered, and what it tells the waiters when it fails.
describe('classifyStartResult', () => {
  it.each<[unknown, string]>([
    [undefined, 'started'],
    [true, 'started'],
    [['booted'], 'started'],
    [{ instanceId: 'i-1' }, 'started'],
    [{ instanceId: 'i-1', status: ['booted'] }, 'started'],
    [{}, 'started'],
    [false, 'refused'],
    [{ instanceId: 42 }, 'invalid'],
    [{ instanceId: '' }, 'invalid'],
    [{ status: [1] }, 'invalid'],
    [{ instanceId: 'i-1', pid: 42 }, 'invalid'],
    [null, 'invalid'],
    ['ok', 'invalid']
  ])('%j is %s', (output, kind) => {
    expect(classifyStartResult(output)).toBe(kind);
  });
});

describe('instanceIdOf', () => {
  it.each<[unknown, string | undefined]>([
    [{ instanceId: 'i-1' }, 'i-1'],
    [{ instanceId: '' }, undefined],
    [{ instanceId: 7 }, undefined],
    [null, undefined],
    ['i-1', undefined],
    [true, undefined]
  ])('%j gives %j', (output, id) => {
    expect(instanceIdOf(output)).toBe(id);
  });
});

describe('classifyCheckResult', () => {
  it.each<[unknown, boolean, string]>([
    [undefined, true, ''],
    [null, true, ''],
    [{ isGood: true }, true, 'unhealthy'],
    [{ isGood: false, message: 'kernel panic' }, false, 'kernel panic'],
    [{ isGood: false, message: 7 }, false, 'unhealthy'],
    [
      { isGood: 'yes' },
      false,
      'checkInstance returned {"isGood":"yes"}; expected { isGood } or nothing'
    ]
  ])('%j: good %s, message %j', (output, good, message) => {
    expect(classifyCheckResult(output)).toEqual({ good, message });
  });
});

describe('failure messages say what happened, in words', () => {
  it.each([
    [
      startRefused('w1'),
      'latent worker w1 failed to substantiate: startInstance refused (returned false): worker does not want to substantiate at this time'
    ],
    [
      startReturnedGarbage('w1', 42),
      'latent worker w1 failed to substantiate: startInstance returned 42; expected undefined, a boolean, a list of strings or { instanceId, status }'
    ],
    [
      missingTimedOut('w1', 1500),
      'latent worker w1 failed to substantiate: the worker did not connect within missingTimeout (1500 ms)'
    ],
    [
      stillStopping('w1', 1500),
      "latent worker w1 failed to substantiate: the previous instance was still being stopped at the request's deadline (missingTimeout 1500 ms)"
    ]
  ])('%s', (error, message) => {
    expect(error.message).toBe(message);
  });
});
