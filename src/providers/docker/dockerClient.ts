import type Dockerode from 'dockerode';
import { LatentWorkerCannotSubstantiate } from '../../errors.js';

/**
 * A client for `socketPath`, or for what `DOCKER_HOST` names. dockerode is an optional peer
 * dependency, loaded on the first call so that the entry can be imported (and its types used)
 * without it. A missing install is a bad request (every start would fail alike), in words.
 */
export async function connectDocker(socketPath?: string): Promise<Dockerode> {
  let Docker: typeof Dockerode;
  try {
    // A CommonJS module: its `module.exports` is the namespace's default, whatever the typings say.
    ({ default: Docker } = (await import('dockerode')) as unknown as { default: typeof Dockerode });
  } catch (error) {
    throw new LatentWorkerCannotSubstantiate(
      'DockerProvider needs the dockerode package, an optional peer dependency of ' +
        'latent-workers: npm install dockerode@5',
      { cause: error }
    );
  }
  return socketPath !== undefined ? new Docker({ socketPath }) : new Docker();
}
