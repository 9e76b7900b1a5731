import type Dockerode from 'dockerode';
import { LatentWorkerCannotSubstantiate } from '../../errors.js';
import { isNotFound, startError } from './dockerErrors.js';

/** Rejects with `signal`'s reason once it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

/** A line of the daemon's pull progress. */
interface PullProgress {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export interface PullPolicy {
  autopull: boolean;
  alwaysPull: boolean;
  /** The start's: it cuts a pull short. */
  signal: AbortSignal;
  /** Ends the other requests, a while after `signal`. */
  requests: AbortSignal;
  /** Called before and after a pull. */
  onPull?: (phase: 'pulling' | 'pulled') => void;
}

/**
 * Makes sure the daemon has `image`, as Buildbot's Docker worker does: pulled before every start
 * with `alwaysPull`, pulled when missing with `autopull`, and otherwise a missing image is a bad
 * request. A pull is the one step cut short by the start's signal: nothing is left to undo.
 */
export async function ensureImage(
  docker: Dockerode,
  image: string,
  { autopull, alwaysPull, signal, requests, onPull }: PullPolicy
): Promise<void> {
  if (!alwaysPull) {
    try {
      // dockerode's image inspect takes no signal: the wait ends with `requests`, the request
      // is left to the daemon.
      await Promise.race([docker.getImage(image).inspect(), aborted(requests)]);
      return;
    } catch (error) {
      if (!isNotFound(error)) throw startError(error, `cannot inspect the image ${image}`);
    }
    if (!autopull) {
      throw new LatentWorkerCannotSubstantiate(
        `DockerProvider: the image ${image} is not on the Docker daemon, and autopull is off`
      );
    }
  }
  onPull?.('pulling');
  let progress: PullProgress[];
  try {
    const stream = await docker.pull(image, { abortSignal: signal });
    progress = await new Promise<PullProgress[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: PullProgress[]) =>
        error ? reject(error) : resolve(output)
      )
    );
  } catch (error) {
    signal.throwIfAborted();
    throw startError(error, `cannot pull the image ${image}`, { pulling: true });
  }
  // A failure that began after the daemon's 200 comes as the stream's last line.
  const failed = progress.find((line) => line.error !== undefined);
  if (failed) {
    throw new LatentWorkerCannotSubstantiate(
      `DockerProvider: cannot pull the image ${image}: ${failed.errorDetail?.message ?? failed.error}`
    );
  }
  onPull?.('pulled');
}
