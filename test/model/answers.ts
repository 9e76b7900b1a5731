/**
 * What a provider call answers. The property tests draw these per run; the model and the
 * scripted provider consume them in the same order, one list per kind of call.
 */
export const START_ANSWERS = [
  'started',
  'startedUndefined',
  'startedStatuses',
  /** `{ instanceId }`: every later call of this instance must get the id. */
  'startedWithId',
  'refused',
  'garbage',
  'garbageList',
  'throwsSync',
  'rejects',
  'cannotSubstantiate',
  /** Never returns on its own; rejects once its signal is aborted. */
  'hangs',
  /** Ignores its signal and never returns. */
  'hangsForever'
] as const;
export const STOP_ANSWERS = [
  'stopped',
  'throwsSync',
  'rejects',
  /** Never returns on its own; rejects once its signal is aborted (the stop's deadline). */
  'hangs',
  /** Ignores its signal and never returns. */
  'hangsForever'
] as const;
export const CHECK_ANSWERS = [
  'good',
  'bad',
  /** Resolves with nothing: counts as good. */
  'nothing',
  'throwsSync',
  'rejects',
  /** Never returns on its own; rejects once its signal is aborted (attach or cancel). */
  'hangs',
  /** Ignores its signal and never returns. */
  'hangsForever'
] as const;

export type StartAnswer = (typeof START_ANSWERS)[number];
export type StopAnswer = (typeof STOP_ANSWERS)[number];
export type CheckAnswer = (typeof CHECK_ANSWERS)[number];
export type CallKind = 'start' | 'stop' | 'check';
export type Answer = StartAnswer | StopAnswer | CheckAnswer;

/** Answers that arrive only once the call's signal has been aborted. */
export const UNTIL_ABORTED: readonly Answer[] = ['hangs'];
/** Answers that never arrive. */
export const NEVER: readonly Answer[] = ['hangsForever'];

export interface AnswerScript {
  start: readonly StartAnswer[];
  stop: readonly StopAnswer[];
  check: readonly CheckAnswer[];
}

/** Hands out the scripted answers of each kind in order, cycling through the list. */
export class AnswerCursor {
  readonly #used = { start: 0, stop: 0, check: 0 };

  constructor(readonly script: AnswerScript) {}

  next(kind: CallKind): Answer {
    const list = this.script[kind];
    const answer = list[this.#used[kind]++ % list.length];
    if (answer === undefined) throw new Error(`no ${kind} answers scripted`);
    return answer;
  }
}
