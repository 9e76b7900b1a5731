// What docs/lifecycle.md says that the machine itself cannot: the invariants of
// shared/design/lifecycle.md with the tests that check them, and what each call of the
// LatentWorker API sends to the machine. lifecycleDoc.test.ts checks both tables.

/** A test, by its file (from the repository's root) and its title as written there. */
export interface TestRef {
  file: string;
  title: string;
}

export interface Invariant {
  name: string;
  statement: string;
  tests: TestRef[];
}

const PROPERTY: TestRef = {
  file: 'test/properties/lifecycle.test.ts',
  title: 'the worker keeps the invariants of lifecycle.md and behaves like the reference model'
};
const MUTANTS = 'test/properties/mutants.test.ts';

export const INVARIANTS: Invariant[] = [
  {
    name: 'One provider call at a time per worker',
    statement:
      'start, stop and check never overlap for one worker; different workers run fully in parallel.',
    tests: [
      PROPERTY,
      { file: MUTANTS, title: 'a stop that does not wait for the start (overlap)' },
      {
        file: 'test/runtime/transitions/cancel.test.ts',
        title: 'during a check cancels at once and stops after the check ends'
      },
      {
        file: 'test/runtime/buildbot/pairing.test.ts',
        title: 'latent workers start in parallel (test_latent_workers_start_in_parallel)'
      }
    ]
  },
  {
    name: 'Exactly one stop per start',
    statement:
      'every start, whatever its outcome, is followed by exactly one stop before the next start; a substantiation cancelled before its start calls neither; after shutdown() no provider call happens again.',
    tests: [
      PROPERTY,
      { file: MUTANTS, title: 'a stop skipped after a refused start' },
      {
        file: 'test/runtime/improvements.test.ts',
        title:
          '2. a cancel aborts a long boot through its signal, still followed by exactly one stop'
      },
      {
        file: 'test/runtime/transitions/cancel.test.ts',
        title: 'an already aborted signal leaves at once, without touching the provider'
      },
      {
        file: 'test/runtime/transitions/cancel.test.ts',
        title: 'makes no provider call afterwards, even when time passes'
      }
    ]
  },
  {
    name: 'Every substantiate() promise settles',
    statement:
      'with true, false (shut down) or a typed error; a start that never returns is bounded by missingTimeout for the waiters.',
    tests: [
      PROPERTY,
      {
        file: 'test/runtime/transitions/settles.test.ts',
        title: 'within missingTimeout when the start never returns, although the stop must wait'
      },
      {
        file: 'test/runtime/transitions/settles.test.ts',
        title: 'at once when shutdown() must wait for a start that never returns'
      }
    ]
  },
  {
    name: 'The idle timer never stops an instance that is running a build',
    statement: 'a build that starts cancels it, also one that starts in the same tick with 0.',
    tests: [
      PROPERTY,
      {
        file: 'test/runtime/buildbot/timers.test.ts',
        title: 'is cancelled by a build that starts, and re-armed from its full value'
      },
      {
        file: 'test/runtime/improvements.test.ts',
        title:
          '1c. with buildWaitTimeout 0, a build starting in the same tick is not stopped under (hazard 7.3.4)'
      }
    ]
  },
  {
    name: 'Credentials are stable',
    statement:
      'the password handed to a start stays the same until that instance has been stopped; a new start gets a new one.',
    tests: [
      PROPERTY,
      {
        file: 'test/runtime/credentials.test.ts',
        title: 'is stable for one instance and new for each start'
      },
      {
        file: 'test/runtime/credentials.test.ts',
        title: 'is kept while a start is cancelled and until its stop'
      }
    ]
  }
];

/** One call of the `LatentWorker` API and the machine events it sends. */
export interface ApiCall {
  call: string;
  events: string[];
  note: string;
}

export const API_CALLS: ApiCall[] = [
  {
    call: 'substantiate(props, { signal })',
    events: ['substantiate', 'withdraw'],
    note: '`withdraw` when the signal aborts: this caller leaves. Nothing after shutdown(), which resolves it `false`.'
  },
  {
    call: 'insubstantiate({ fast })',
    events: ['insubstantiate'],
    note: 'Nothing in `idle` or after shutdown(): it resolves at once.'
  },
  {
    call: 'attached(connection)',
    events: ['attach'],
    note: 'Nothing when it is the live connection of this instance again.'
  },
  { call: 'detached(connection?)', events: ['detach'], note: '' },
  { call: 'buildStarted()', events: ['build.started'], note: 'Nothing after shutdown().' },
  {
    call: 'buildFinished(result)',
    events: ['build.finished'],
    note: 'Nothing after shutdown(); throws when no build runs.'
  },
  { call: 'pause(reason?)', events: ['pause'], note: '' },
  { call: 'unpause()', events: ['unpause'], note: '' },
  {
    call: 'shutdown({ fast })',
    events: ['shutdown'],
    note: 'A second call sends it again only when it asks for fast.'
  },
  {
    call: 'createLatentWorker({ snapshot })',
    events: ['restore'],
    note: 'Once, after the restored machine starts.'
  },
  {
    call: 'createLatentWorker({ journal })',
    events: ['recover'],
    note: 'Once, at creation: recovery reads the journal.'
  }
];
