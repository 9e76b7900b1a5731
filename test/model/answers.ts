/**
 * What a provider call answers. The property tests draw these per run; the model and the
 * scripted provider consume them in the same order, one list per kind of call.
 */
export const START_ANSWERS = [
  'started',
  'startedUndefined',
  'startedStatuses',
  'refused',
  'garbage',
  'garbageList',
  'throwsSync',
  'rejects',
  'cannotSubstantiate',
  /** Never returns on its own; rejects once its signal is aborted. */
  'hangs'
] as const;
export const STOP_ANSWERS = ['stopped', 'throwsSync', 'rejects'] as const;
export const CHECK_ANSWERS = ['good', 'bad', 'throwsSync', 'rejects'] as const;

export type StartAnswer = (typeof START_ANSWERS)[number];
export type StopAnswer = (typeof STOP_ANSWERS)[number];
export type CheckAnswer = (typeof CHECK_ANSWERS)[number];
export type CallKind = 'start' | 'stop' | 'check';
export type Answer = StartAnswer | StopAnswer | CheckAnswer;

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
