import {
  LatentWorkerCannotSubstantiate,
  LatentWorkerConnectionLost,
  LatentWorkerError
} from '../../errors.js';
import { isBuildResult, type BuildResult } from '../../machines/latentWorker/types.js';
import type { Attempt, Ending } from './job.js';

/**
 * A substantiation that did not give a running instance: a cancel wins, then shutdown; a bad
 * request (`LatentWorkerCannotSubstantiate`) fails for good; anything else is the worker's
 * fault and the request is retried (the engine quarantined the worker).
 */
export function judgeSubstantiation<P>(
  attempt: Attempt<P>,
  closing: boolean,
  error: Error
): Ending {
  if (attempt.job.cancelled) return { kind: 'finish', result: 'cancelled', reason: 'cancelled' };
  if (closing) return { kind: 'finish', result: 'retry', reason: 'shutdown', error };
  if (LatentWorkerCannotSubstantiate.is(error)) {
    return { kind: 'finish', result: 'exception', reason: 'cannotSubstantiate', error };
  }
  return { kind: 'retry', error };
}

/**
 * A build that returned or threw. An abort by the fleet decides the result whatever `run()`
 * made of it (as Buildbot's stopBuild does): cancel → 'cancelled', shutdown → 'retry', lost
 * connection → retried.
 */
export function judgeBuild<P>(
  attempt: Attempt<P>,
  end: { result?: unknown; error?: Error }
): Ending {
  const { job, abortedFor } = attempt;
  const lost = () =>
    new LatentWorkerConnectionLost(
      `worker ${attempt.entry.worker.name} lost its connection during the build`
    );
  if (job.cancelled) return { kind: 'finish', result: 'cancelled', reason: 'cancelled' };
  if (abortedFor === 'shutdown') {
    return {
      kind: 'finish',
      result: 'retry',
      reason: 'shutdown',
      ...(end.error ? { error: end.error } : {})
    };
  }
  if (abortedFor === 'connectionLost') {
    return {
      kind: 'retry',
      error: LatentWorkerConnectionLost.is(end.error) ? end.error : lost()
    };
  }
  if (LatentWorkerConnectionLost.is(end.error)) return { kind: 'retry', error: end.error };
  if (end.error) return { kind: 'finish', result: 'exception', reason: 'threw', error: end.error };
  const result = end.result === undefined ? 'success' : end.result;
  if (!isBuildResult(result)) {
    const error = new TypeError(
      `run() returned ${JSON.stringify(result) ?? typeof result}; expected a BuildResult or nothing`
    );
    return { kind: 'finish', result: 'exception', reason: 'threw', error };
  }
  if (result === 'retry') {
    return { kind: 'retry', error: new LatentWorkerError(`build ${job.id} asked for a retry`) };
  }
  return { kind: 'finish', result, reason: 'completed' };
}

/** What the worker is told when an attempt's build ends. */
export function reportedResult(ending: Ending): BuildResult {
  return ending.kind === 'retry' ? 'retry' : ending.result;
}

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
