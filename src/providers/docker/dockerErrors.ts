import { LatentWorkerCannotSubstantiate } from '../../errors.js';

/** What dockerode rejects with: the daemon's HTTP answer, or a transport error. */
interface DockerError extends Error {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
}

/** The daemon's HTTP status, or undefined when it did not answer (a transport error). */
export function statusOf(error: unknown): number | undefined {
  return (error as DockerError | undefined)?.statusCode;
}

/** The daemon's "no such container" (or image), which a stop counts as done. */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** The daemon's own words, without dockerode's "(HTTP code 400) bad parameter -" prefix. */
export function reasonOf(error: unknown): string {
  const { json, message } = error as DockerError;
  return (json?.message ?? message).trim();
}

/**
 * Classifies a failed start step. A request the daemon refused (a 4xx: an unknown image or
 * network, an invalid reference, a bind source that does not exist, a limit it rejects), a
 * thing of the request it says it cannot find, or an image it could not pull (`pulling`), is
 * `LatentWorkerCannotSubstantiate`: the same build would fail the same way elsewhere. Anything
 * else (no daemon at the socket, a 5xx such as a full disk) is a plain `Error`, which the worker
 * reports as `LatentWorkerFailedToSubstantiate`: it is quarantined and the build may run
 * elsewhere.
 */
export function startError(
  error: unknown,
  what: string,
  { pulling = false }: { pulling?: boolean } = {}
): Error {
  if (error instanceof LatentWorkerCannotSubstantiate) return error;
  const status = statusOf(error);
  const message = `DockerProvider: ${what}: ${reasonOf(error)}`;
  if (status === undefined) {
    const { code } = error as DockerError;
    const unreachable = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES';
    return new Error(
      unreachable ? `${message} (is the Docker daemon running, and is this its socket?)` : message,
      { cause: error }
    );
  }
  // Podman's compatible API answers some bad requests (an unknown network) with a 500.
  const unknownThing = /\b(?:not found|no such)\b/i.test(reasonOf(error));
  if ((status >= 400 && status < 500) || pulling || unknownThing) {
    return new LatentWorkerCannotSubstantiate(message, { cause: error });
  }
  return new Error(message, { cause: error });
}
