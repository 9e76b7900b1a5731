import type { fc } from '@fast-check/vitest';
import {
  LatentWorkerCannotSubstantiate,
  type CheckContext,
  type CheckResult,
  type Provider,
  type StartContext,
  type StartResult
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
async function startInstance(answer: StartAnswer): Promise<StartResult> {
  switch (answer) {
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
async function checkInstance(answer: CheckAnswer): Promise<CheckResult> {
  if (answer === 'rejects') throw new Error('the health endpoint is down');
  return answer === 'good' ? { isGood: true } : { isGood: false, message: 'kernel panic' };
}

/**
 * What the provider saw, and the invariants of `lifecycle.md` that only the provider can
 * judge: one call at a time, one stop per start, nothing after shutdown, fresh passwords.
 */
export class Ledger {
  readonly calls: CallKind[] = [];
  readonly violations: string[] = [];
  readonly passwords: string[] = [];
  stopsSettled = 0;
  /** Scheduled answers not yet released by the scheduler. */
  tasks = 0;
  shutdownCalled = false;
  shutdownResolved = false;
  #inFlight = 0;

  count(kind: CallKind): number {
    return this.calls.filter((call) => call === kind).length;
  }

  /** An instance exists between its start call and the end of its stop. */
  get instanceLive(): boolean {
    return this.count('start') > this.stopsSettled;
  }

  begin(kind: CallKind): void {
    const [starts, stops] = [this.count('start'), this.count('stop')];
    if (this.#inFlight > 0) this.violate(`${kind} overlaps another provider call`);
    if (kind === 'start' && stops < starts) this.violate('start before the last start was stopped');
    if (kind === 'start' && this.shutdownCalled) this.violate('start after shutdown()');
    if (kind === 'stop' && stops >= starts) this.violate('stop without a start');
    if (this.shutdownResolved) this.violate(`${kind} after shutdown() resolved`);
    this.calls.push(kind);
    this.#inFlight++;
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
  healthCheck: boolean
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
  const call = <T>(kind: CallKind, run: (answer: string) => Promise<T>): Promise<T> => {
    ledger.begin(kind);
    const answer = answers.next(kind);
    if (answer === 'throwsSync') {
      ledger.track(kind, Promise.resolve()).catch(() => undefined);
      throw new Error(`${kind}Instance threw synchronously`);
    }
    return ledger.track(kind, run(answer));
  };
  const provider: Provider = {
    startInstance: (ctx: StartContext<Record<string, unknown>>) => {
      ledger.passwords.push(ctx.password);
      return call('start', (answer) => {
        if (answer !== 'hangs') return schedule(startInstance, answer as StartAnswer);
        return new Promise<StartResult>((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(schedule(startInstanceAborted)))
        );
      });
    },
    stopInstance: () => call('stop', (answer) => schedule(stopInstance, answer as StopAnswer))
  };
  if (healthCheck) {
    provider.checkInstance = (_ctx: CheckContext) =>
      call('check', (answer) => schedule(checkInstance, answer as CheckAnswer));
  }
  return provider;
}
