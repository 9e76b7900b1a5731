import type { fc } from '@fast-check/vitest';
import {
  LatentWorkerCannotSubstantiate,
  type CheckContext,
  type CheckResult,
  type InstanceRef,
  type Provider,
  type StartContext,
  type StartResult,
  type StopContext
} from '../../src/index.js';
import {
  AnswerCursor,
  type AnswerScript,
  type CallKind,
  type CheckAnswer,
  type StartAnswer,
  type StopAnswer
} from '../model/answers.js';

// The provider's real work, named so that a shrunk schedule reads `startInstance("refused")`.
async function startInstance(answer: StartAnswer, generation: number): Promise<StartResult> {
  switch (answer) {
    case 'startedWithId':
      return { instanceId: `i-${generation}` };
    case 'startedUndefined':
      return undefined;
    case 'startedStatuses':
      return ['booted', 'agent up'];
    case 'refused':
      return false;
    case 'garbage':
      return { pid: 42 } as unknown as StartResult;
    case 'garbageList':
      return ['booted', 3] as unknown as StartResult;
    case 'rejects':
      throw new Error('the cloud said no');
    case 'cannotSubstantiate':
      throw new LatentWorkerCannotSubstantiate('unknown image');
    default:
      return true;
  }
}
async function startInstanceAborted(): Promise<never> {
  throw new DOMException('the boot was aborted', 'AbortError');
}
async function stopInstance(answer: StopAnswer): Promise<void> {
  if (answer !== 'stopped') throw new Error('the instance would not stop');
}
async function stopInstanceAborted(): Promise<never> {
  throw new DOMException('the stop was given up at its deadline', 'AbortError');
}
async function checkInstance(answer: CheckAnswer): Promise<CheckResult> {
  if (answer === 'rejects') throw new Error('the health endpoint is down');
  if (answer === 'nothing') return undefined as unknown as CheckResult;
  return answer === 'good' ? { isGood: true } : { isGood: false, message: 'kernel panic' };
}
async function checkInstanceAborted(): Promise<never> {
  throw new DOMException('the check was cut short', 'AbortError');
}

/**
 * What the provider saw, and the invariants of `lifecycle.md` and `instances.md` that only
 * the provider can judge: one call at a time, one stop per start, nothing after shutdown
 * (but the stop of a start that outlived its deadline), fresh passwords, and every check and
 * stop of an instance naming it exactly as its start did.
 */
export class Ledger {
  readonly calls: CallKind[] = [];
  /** For each stop, whether it was fast. */
  readonly fastStops: boolean[] = [];
  readonly violations: string[] = [];
  readonly passwords: string[] = [];
  stopsSettled = 0;
  /** Scheduled answers not yet released by the scheduler. */
  tasks = 0;
  shutdownCalled = false;
  shutdownResolved = false;
  /** A takedown outlived stopTimeout: a late start's stop may come after shutdown resolved. */
  overdue = false;
  /** When the last provider call began, on the worker's clock. */
  lastBegan = 0;
  #inFlight = 0;
  /** The identity the last start was given, and the id it returned. */
  #instance: InstanceRef | undefined;

  count(kind: CallKind): number {
    return this.calls.filter((call) => call === kind).length;
  }

  /** An instance exists between its start call and the end of its stop. */
  get instanceLive(): boolean {
    return this.count('start') > this.stopsSettled;
  }

  begin(kind: CallKind, ctx: InstanceRef, now: number): void {
    this.lastBegan = now;
    const [starts, stops] = [this.count('start'), this.count('stop')];
    if (this.#inFlight > 0) this.violate(`${kind} overlaps another provider call`);
    if (kind === 'start' && stops < starts) this.violate('start before the last start was stopped');
    if (kind === 'start' && this.shutdownCalled) this.violate('start after shutdown()');
    if (kind === 'stop' && stops >= starts) this.violate('stop without a start');
    if (this.shutdownResolved && !(kind === 'stop' && this.overdue)) {
      this.violate(`${kind} after shutdown() resolved`);
    }
    if (kind === 'start') this.#beginInstance(ctx);
    else this.#sameInstance(kind, ctx);
    this.calls.push(kind);
    if (kind === 'stop') this.fastStops.push((ctx as StopContext).fast);
    this.#inFlight++;
  }

  /** The start returned `{ instanceId }`: later calls of the instance must carry it. */
  started(result: StartResult): void {
    const id = (result as { instanceId?: string } | undefined)?.instanceId;
    if (this.#instance && id !== undefined) this.#instance = { ...this.#instance, instanceId: id };
  }

  #beginInstance(ctx: InstanceRef): void {
    const generation = this.count('start') + 1;
    if (ctx.generation !== generation) this.violate(`start of generation ${ctx.generation}`);
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(ctx.instanceName)) {
      this.violate(`instance name ${ctx.instanceName} is not a DNS label`);
    }
    if (ctx.labels['latent-workers.io/generation'] !== String(generation)) {
      this.violate('the generation label does not match');
    }
    this.#instance = {
      workerName: ctx.workerName,
      generation: ctx.generation,
      instanceName: ctx.instanceName,
      labels: ctx.labels
    };
  }

  #sameInstance(kind: CallKind, ctx: InstanceRef): void {
    const { workerName, generation, instanceName, labels, instanceId } = ctx;
    const seen = { workerName, generation, instanceName, labels, instanceId };
    const expected = { ...this.#instance, instanceId: this.#instance?.instanceId };
    if (JSON.stringify(seen) !== JSON.stringify(expected) || labels !== this.#instance?.labels) {
      this.violate(`${kind} of ${JSON.stringify(seen)}, started as ${JSON.stringify(expected)}`);
    }
  }

  /** Counts the call as in flight until `answer` settles. */
  track<T>(kind: CallKind, answer: Promise<T>): Promise<T> {
    const end = () => {
      this.#inFlight--;
      if (kind === 'stop') this.stopsSettled++;
    };
    answer.then(end, end);
    return answer;
  }

  violate(message: string): void {
    this.violations.push(message);
  }
}

/**
 * A provider whose calls answer as `script` says, each answer released by the fast-check
 * scheduler `s` (a synchronous throw is not scheduled: it happens during the call).
 */
export function scriptedProvider(
  s: fc.Scheduler,
  script: AnswerScript,
  ledger: Ledger,
  healthCheck: boolean,
  now: () => number
): Provider {
  const answers = new AnswerCursor(script);
  const schedule = <A extends unknown[], T>(
    fn: (...args: A) => Promise<T>,
    ...args: A
  ): Promise<T> => {
    ledger.tasks++;
    // Same name (the scheduler's label), but its rejection counts as handled until released.
    const named = {
      [fn.name]: (...a: A) => {
        const answer = fn(...a);
        answer.catch(() => undefined);
        return answer;
      }
    }[fn.name]!;
    const answer = s.scheduleFunction(named)(...args);
    const released = () => void ledger.tasks--;
    answer.then(released, released);
    return answer;
  };
  const call = <T>(
    kind: CallKind,
    ctx: InstanceRef,
    run: (answer: string) => Promise<T>
  ): Promise<T> => {
    ledger.begin(kind, ctx, now());
    const answer = answers.next(kind);
    if (answer === 'throwsSync') {
      ledger.track(kind, Promise.resolve()).catch(() => undefined);
      throw new Error(`${kind}Instance threw synchronously`);
    }
    return ledger.track(kind, run(answer));
  };
  /** An answer that comes only once `signal` aborts (`hangs`), or never (`hangsForever`). */
  const hang = <T>(answer: string, signal: AbortSignal, aborted: () => Promise<T>) =>
    new Promise<T>((resolve) => {
      if (answer === 'hangs') signal.addEventListener('abort', () => resolve(aborted()));
    });
  const provider: Provider = {
    startInstance: (ctx: StartContext<Record<string, unknown>>) => {
      ledger.passwords.push(ctx.password);
      return call('start', ctx, async (answer) => {
        const result = answer.startsWith('hangs')
          ? await hang(answer, ctx.signal, () => schedule(startInstanceAborted))
          : await schedule(startInstance, answer as StartAnswer, ctx.generation);
        ledger.started(result);
        return result;
      });
    },
    stopInstance: (ctx: StopContext) =>
      call('stop', ctx, (answer) =>
        answer.startsWith('hangs')
          ? hang(answer, ctx.signal, () => schedule(stopInstanceAborted))
          : schedule(stopInstance, answer as StopAnswer)
      )
  };
  if (healthCheck) {
    provider.checkInstance = (ctx: CheckContext) =>
      call('check', ctx, (answer) =>
        answer.startsWith('hangs')
          ? hang(answer, ctx.signal, () => schedule(checkInstanceAborted))
          : schedule(checkInstance, answer as CheckAnswer)
      );
  }
  return provider;
}
