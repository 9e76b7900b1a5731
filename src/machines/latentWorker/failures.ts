import {
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate,
  type LatentWorkerError
} from '../../errors.js';

/**
 * How `startInstance` answered: `undefined`, `true`, a list of status strings or
 * `{ instanceId?, status? }` mean started, `false` is a refusal, and anything else is a
 * provider bug reported as such.
 */
export function classifyStartResult(output: unknown): 'started' | 'refused' | 'invalid' {
  if (output === undefined || output === true) return 'started';
  if (output === false) return 'refused';
  if (isStatusList(output)) return 'started';
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return 'invalid';
  const { instanceId, status, ...rest } = output as Record<string, unknown>;
  const valid =
    Object.keys(rest).length === 0 &&
    (instanceId === undefined || (typeof instanceId === 'string' && instanceId !== '')) &&
    (status === undefined || isStatusList(status));
  return valid ? 'started' : 'invalid';
}

/** The `instanceId` a start returned, if it returned one. */
export function instanceIdOf(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const { instanceId } = output as { instanceId?: unknown };
  return typeof instanceId === 'string' && instanceId !== '' ? instanceId : undefined;
}

/**
 * How `checkInstance` answered. A nullish result is good (nothing to report, whether returned
 * or resolved); otherwise `isGood` decides, and a result without a boolean `isGood` is bad.
 */
export function classifyCheckResult(output: unknown): { good: boolean; message: string } {
  if (output === undefined || output === null) return { good: true, message: '' };
  const { isGood, message } = output as { isGood?: unknown; message?: unknown };
  if (typeof isGood !== 'boolean') {
    return {
      good: false,
      message: `checkInstance returned ${describe(output)}; expected { isGood } or nothing`
    };
  }
  return { good: isGood, message: typeof message === 'string' ? message : 'unhealthy' };
}

export function startRefused(workerName: string): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    'startInstance refused (returned false): worker does not want to substantiate at this time',
    { reason: 'refused' }
  );
}

export function startReturnedGarbage(workerName: string, output: unknown): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `startInstance returned ${describe(output)}; expected undefined, a boolean, a list of strings or { instanceId, status }`,
    { reason: 'invalidResult' }
  );
}

/** `LatentWorkerCannotSubstantiate` (from any copy of the package) passes through; anything else is wrapped. */
export function startThrew(workerName: string, error: unknown): LatentWorkerError {
  if (LatentWorkerCannotSubstantiate.is(error)) return error;
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `startInstance failed: ${message(error)}`,
    { cause: error, reason: 'threw' }
  );
}

export function crashedBeforeConnecting(workerName: string, reason: unknown): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `latent worker crashed before connecting: ${message(reason)}`,
    reason instanceof Error ? { cause: reason, reason: 'crashed' } : { reason: 'crashed' }
  );
}

export function missingTimedOut(workerName: string, missingTimeout: number): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `the worker did not connect within missingTimeout (${missingTimeout} ms)`,
    { reason: 'timedOut' }
  );
}

/** A request whose deadline passed before its start was issued: the previous instance was still stopping. */
export function stillStopping(workerName: string, missingTimeout: number): LatentWorkerError {
  return new LatentWorkerFailedToSubstantiate(
    workerName,
    `the previous instance was still being stopped at the request's deadline (missingTimeout ${missingTimeout} ms)`,
    { reason: 'stopping' }
  );
}

/** Provider errors of the request-is-bad kind neither quarantine nor count toward pausing. */
export function isCountedFailure(error: LatentWorkerError): boolean {
  return !LatentWorkerCannotSubstantiate.is(error);
}

function isStatusList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
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
