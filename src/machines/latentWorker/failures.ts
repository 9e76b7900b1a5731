import {
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate,
  type LatentWorkerError
} from '../../errors.js';

/**
 * How `startInstance` answered: `undefined`, `true` or a list of status strings mean started,
 * `false` is a refusal, and anything else is a provider bug reported as such.
 */
export function classifyStartResult(output: unknown): 'started' | 'refused' | 'invalid' {
  if (output === undefined || output === true) return 'started';
  if (output === false) return 'refused';
  if (Array.isArray(output) && output.every((item) => typeof item === 'string')) return 'started';
  return 'invalid';
}

export function startRefused(workerName: string): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    'startInstance refused (returned false): worker does not want to substantiate at this time'
  );
}

export function startReturnedGarbage(workerName: string, output: unknown): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `startInstance returned ${describe(output)}; expected undefined, a boolean or a list of strings`
  );
}

/** `LatentWorkerCannotSubstantiate` passes through unchanged; anything else is wrapped. */
export function startThrew(workerName: string, error: unknown): LatentWorkerError {
  if (error instanceof LatentWorkerCannotSubstantiate) return error;
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `startInstance failed: ${message(error)}`,
    {
      cause: error
    }
  );
}

export function crashedBeforeConnecting(workerName: string, reason: unknown): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `latent worker crashed before connecting: ${message(reason)}`,
    reason instanceof Error ? { cause: reason } : undefined
  );
}

export function missingTimedOut(workerName: string, missingTimeout: number): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `the worker did not connect within missingTimeout (${missingTimeout} ms)`,
    { timedOut: true }
  );
}

/** Provider errors of the request-is-bad kind neither quarantine nor count toward pausing. */
export function isCountedFailure(error: LatentWorkerError): boolean {
  return !(error instanceof LatentWorkerCannotSubstantiate);
}

function message(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === 'string') return reason;
  return describe(reason);
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
