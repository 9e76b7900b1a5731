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
import type {
  AnswerCursor,
  CallKind,
  CheckAnswer,
  StartAnswer,
  StopAnswer
} from '../model/answers.js';
import type { Call, Incarnation, Ledger } from './ledger.js';

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
 * A provider whose calls answer as the script says (`answers`, shared by every process: it is
 * the backend's behaviour), each answer released by the fast-check scheduler `s` (a
 * synchronous throw is not scheduled: it happens during the call). `by` is the orchestrator
 * process using it: once it has crashed, the backend goes on with its calls, but nothing aborts
 * them any more and their answers reach no one that matters.
 */
export function scriptedProvider(
  s: fc.Scheduler,
  answers: AnswerCursor,
  ledger: Ledger,
  by: Incarnation,
  healthCheck: boolean,
  now: () => number
): Provider {
  const schedule = <A extends unknown[], T>(
    fn: (...args: A) => Promise<T>,
    ...args: A
  ): Promise<T> => {
    ledger.tasks++;
    by.tasks++;
    // Same name (the scheduler's label), but its rejection counts as handled until released.
    const named = {
      [fn.name]: (...a: A) => {
        const answer = fn(...a);
        answer.catch(() => undefined);
        return answer;
      }
    }[fn.name]!;
    const answer = s.scheduleFunction(named)(...args);
    const released = () => {
      ledger.tasks--;
      by.tasks--;
      by.released++;
    };
    answer.then(released, released);
    return answer;
  };
  const call = <T>(
    kind: CallKind,
    ctx: InstanceRef & { password?: string; fast?: boolean },
    run: (answer: string, call: Call) => Promise<T>
  ): Promise<T> => {
    const record = ledger.begin(kind, ctx, now(), by);
    const answer = answers.next(kind);
    if (answer === 'throwsSync') {
      const error = new Error(`${kind}Instance threw synchronously`);
      ledger.track(record, Promise.reject(error)).catch(() => undefined);
      throw error;
    }
    return ledger.track(record, run(answer, record));
  };
  /** An answer that comes only once `signal` aborts (`hangs`), or never (`hangsForever`). */
  const hang = <T>(answer: string, signal: AbortSignal, aborted: () => Promise<T>) =>
    new Promise<T>((resolve) => {
      if (answer !== 'hangs') return;
      // A dead process aborts nothing: its actor's teardown is not a signal the backend gets.
      signal.addEventListener('abort', () => by.alive && resolve(aborted()));
    });
  const provider: Provider = {
    startInstance: (ctx: StartContext<Record<string, unknown>>) =>
      call('start', ctx, async (answer, record) => {
        const result = answer.startsWith('hangs')
          ? await hang(answer, ctx.signal, () => schedule(startInstanceAborted))
          : await schedule(startInstance, answer as StartAnswer, ctx.generation);
        ledger.started(record, result);
        return result;
      }),
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
