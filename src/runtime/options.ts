import type { ActorOptions, AnyActorLogic } from 'xstate';
import type { WorkerSettings } from '../machines/latentWorker/types.js';
import type { Provider } from '../providers/provider.js';
import { DEFAULT_OWNER, OWNER_PATTERN } from './identity.js';
import type { Journal } from './journal/journal.js';
import type { PersistedWorkerSnapshot } from './persistence.js';

export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;
export type InspectionObserver = NonNullable<ActorOptions<AnyActorLogic>['inspect']>;

export interface LatentWorkerOptions<P = Record<string, unknown>> {
  /** Unique among the workers of one orchestrator; also the XState actor's id. */
  name: string;
  provider: Provider<P>;
  /** Idle time before the instance is stopped. 0: after each build; < 0: never. @default 600_000 */
  buildWaitTimeout?: number;
  /**
   * Deadline of each `substantiate()`, from its call: the instance must have attached by then,
   * also when the request waits behind a stop. 0: no deadline. @default 1_200_000
   */
  missingTimeout?: number;
  /**
   * Deadline of each provider call that taking an instance down waits for (a cancelled start or
   * check returning, then the stop), from the abort or the stop's beginning: the stop's signal
   * is aborted, `insubstantiate()` and `shutdown()` resolve, and the instance is reported as
   * possibly still running. 0: no deadline. @default 600_000
   */
  stopTimeout?: number;
  /**
   * The namespace of instance names and labels: a lowercase DNS label of at most 30
   * characters. Give each orchestrator sharing a backend its own. @default 'latent-workers'
   */
  owner?: string;
  /** Health poll while waiting for the attach. @default 10_000 */
  checkInstanceInterval?: number;
  /** Concurrent builds. @default Infinity */
  maxBuilds?: number;
  /** Back-off after failures: initial, ×factor, capped at max. @default 10_000, 2, 3_600_000 */
  quarantine?: { initial?: number; factor?: number; max?: number };
  /** Consecutive failures before the worker pauses itself. @default 5 */
  pauseAfterFailures?: number;
  /** Passed to XState's `createActor` (e.g. the Stately inspector). */
  inspect?: InspectionObserver;
  /** XState clock; default: the global timers at the moment of use. */
  clock?: Clock;
  /** Restore a worker persisted with `worker.persist()`. */
  snapshot?: PersistedWorkerSnapshot;
  /**
   * The durable record of this worker's starts and stops (`openJournal`). Each start is recorded
   * before its provider call, and on creation the worker recovers: it stops, oldest first, every
   * instance the journal holds open, before any new start, and generations continue after the
   * highest recorded one. Passwords are derived from the journal's secret, so a running
   * instance's agent can come back after a restart.
   */
  journal?: Journal;
  /**
   * During recovery, how long the newest leftover instance, if it was running, waits for its
   * agent to come back: if it does, the worker adopts the instance (no stop, no new start; its
   * idle timer runs as usual); if not, it is stopped. 0: stop every leftover at once.
   * @default 30_000
   */
  adoptTimeout?: number;
}

/** setTimeout silently turns longer delays into 1 ms, so no timer may exceed this. */
export const MAX_DELAY = 2 ** 31 - 1;

export interface ResolvedOptions<P> {
  name: string;
  owner: string;
  provider: Provider<P>;
  settings: WorkerSettings;
  inspect: InspectionObserver | undefined;
  clock: Clock | undefined;
  snapshot: PersistedWorkerSnapshot | undefined;
  journal: Journal | undefined;
}

/** Validates what the user wrote and fills in every default, in one place. */
export function resolveOptions<P>(options: LatentWorkerOptions<P>): ResolvedOptions<P> {
  const fail = (message: string): never => {
    throw new TypeError(`createLatentWorker: ${message}`);
  };
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const { name, provider } = options;
  if (typeof name !== 'string' || name.trim() === '') fail('name must be a non-empty string');
  if (
    typeof provider !== 'object' ||
    provider === null ||
    typeof provider.startInstance !== 'function' ||
    typeof provider.stopInstance !== 'function'
  ) {
    fail(`provider of ${name} must have startInstance() and stopInstance()`);
  }

  const number = (
    key: string,
    value: number | undefined,
    fallback: number,
    valid: (n: number) => boolean,
    expected: string
  ): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || Number.isNaN(value) || !valid(value)) {
      fail(`${key} of ${name} must be ${expected}, got ${String(value)}`);
    }
    return value;
  };
  const delay = (n: number) => Number.isFinite(n) && n <= MAX_DELAY;
  /** A deadline: 0 means none. */
  const deadline = (n: number) => n >= 0 && delay(n);
  const count = (n: number) => n === Infinity || (Number.isInteger(n) && n >= 1);
  const ms = `at most ${MAX_DELAY} ms`;

  const quarantine = options.quarantine ?? {};
  const initial = number(
    'quarantine.initial',
    quarantine.initial,
    10_000,
    (n) => n > 0 && delay(n),
    `> 0 and ${ms}`
  );
  const settings: WorkerSettings = {
    buildWaitTimeout: number(
      'buildWaitTimeout',
      options.buildWaitTimeout,
      600_000,
      delay,
      `a finite number ${ms}`
    ),
    missingTimeout: number(
      'missingTimeout',
      options.missingTimeout,
      1_200_000,
      deadline,
      `>= 0 and ${ms}`
    ),
    stopTimeout: number('stopTimeout', options.stopTimeout, 600_000, deadline, `>= 0 and ${ms}`),
    checkInstanceInterval: number(
      'checkInstanceInterval',
      options.checkInstanceInterval,
      10_000,
      (n) => n > 0 && delay(n),
      `> 0 and ${ms}`
    ),
    healthCheck: typeof provider.checkInstance === 'function',
    maxBuilds: number(
      'maxBuilds',
      options.maxBuilds,
      Infinity,
      count,
      'a whole number >= 1 or Infinity'
    ),
    quarantine: {
      initial,
      factor: number(
        'quarantine.factor',
        quarantine.factor,
        2,
        (n) => Number.isFinite(n) && n >= 1,
        'a finite number >= 1'
      ),
      max: number(
        'quarantine.max',
        quarantine.max,
        Math.max(3_600_000, initial),
        (n) => n >= initial && delay(n),
        `>= quarantine.initial and ${ms}`
      )
    },
    pauseAfterFailures: number(
      'pauseAfterFailures',
      options.pauseAfterFailures,
      5,
      count,
      'a whole number >= 1 or Infinity'
    ),
    adoptTimeout: number(
      'adoptTimeout',
      options.adoptTimeout,
      30_000,
      (n) => n >= 0 && delay(n),
      `>= 0 and ${ms}`
    )
  };
  if (options.clock !== undefined && typeof options.clock?.setTimeout !== 'function') {
    fail('clock must have setTimeout() and clearTimeout()');
  }
  const owner = options.owner ?? DEFAULT_OWNER;
  if (typeof owner !== 'string' || !OWNER_PATTERN.test(owner)) {
    fail(
      `owner of ${name} must be a lowercase DNS label of at most 30 characters (a-z, 0-9, single dashes), got ${JSON.stringify(owner)}`
    );
  }
  const { journal } = options;
  if (
    journal !== undefined &&
    (typeof journal?.record !== 'function' ||
      typeof journal.openInstances !== 'function' ||
      typeof journal.lastGeneration !== 'function' ||
      typeof journal.password !== 'function')
  ) {
    fail(
      `journal of ${name} must be a Journal (record, openInstances, lastGeneration, password), e.g. from openJournal()`
    );
  }
  return {
    name,
    owner,
    provider,
    settings: shared(settings),
    inspect: options.inspect,
    clock: options.clock,
    snapshot: options.snapshot,
    journal
  };
}

/** The settings resolved last: workers made alike, as a fleet's are, share one frozen object. */
let lastSettings: WorkerSettings | undefined;

function shared(settings: WorkerSettings): WorkerSettings {
  if (lastSettings && equalSettings(lastSettings, settings)) return lastSettings;
  Object.freeze(settings.quarantine);
  return (lastSettings = Object.freeze(settings));
}

function equalSettings(a: WorkerSettings, b: WorkerSettings): boolean {
  return (Object.keys(a) as (keyof WorkerSettings)[]).every((key) =>
    key === 'quarantine'
      ? a.quarantine.initial === b.quarantine.initial &&
        a.quarantine.factor === b.quarantine.factor &&
        a.quarantine.max === b.quarantine.max
      : a[key] === b[key]
  );
}
