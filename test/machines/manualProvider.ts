import { fromProviderCall, latentWorkerMachine, type CheckResult } from '../../src/index.js';
import type {
  CheckInput,
  Recovery,
  StartInput,
  StopInput
} from '../../src/machines/latentWorker/index.js';

type Kind = 'start' | 'stop' | 'check' | 'journal';

/**
 * The provider calls of the chart as real invoked actors whose promises the test settles by
 * hand: `answer('start', { output: true })` resolves the start in flight (the journal's read
 * counts as a call too: it is one of the worker's invoked actors).
 */
export class ManualProvider {
  readonly calls: Kind[] = [];
  /** Calls that began while another was in flight (the chart must make none). */
  readonly overlaps: string[] = [];
  #pending: { kind: Kind; resolve(value: unknown): void; reject(error: unknown): void } | undefined;

  /** The chart with its provider actors bound to this provider. */
  readonly machine = latentWorkerMachine.provide({
    actors: {
      startInstance: fromProviderCall<unknown, StartInput>(() => this.#call('start')),
      stopInstance: fromProviderCall<void, StopInput>(() => this.#call('stop') as Promise<void>),
      checkInstance: fromProviderCall<CheckResult, CheckInput>(
        () => this.#call('check') as Promise<CheckResult>
      ),
      readJournal: fromProviderCall<Recovery, void>(
        () => this.#call('journal') as Promise<Recovery>
      )
    }
  });

  get pending(): Kind | undefined {
    return this.#pending?.kind;
  }

  answer(kind: Kind, answer: { output?: unknown; error?: unknown }): void {
    const call = this.#pending;
    if (call?.kind !== kind) throw new Error(`no ${kind} call in flight (${call?.kind ?? 'none'})`);
    this.#pending = undefined;
    if ('error' in answer) call.reject(answer.error);
    else call.resolve(answer.output);
  }

  #call(kind: Kind): Promise<unknown> {
    if (this.#pending) this.overlaps.push(`${kind} overlaps ${this.#pending.kind}`);
    this.calls.push(kind);
    return new Promise((resolve, reject) => (this.#pending = { kind, resolve, reject }));
  }
}
