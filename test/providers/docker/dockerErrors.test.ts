import { describe, expect, it } from 'vitest';
import { LatentWorkerCannotSubstantiate } from '../../../src/index.js';
import { startError } from '../../../src/providers/docker/dockerErrors.js';

/** An error as dockerode rejects with when the daemon answered `statusCode`. */
const answered = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) - ${message}`), {
    statusCode,
    json: { message }
  });
const transport = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('how a failed start step is classified', () => {
  it.each([
    ['a refused request (400)', answered(400, 'invalid reference format'), {}],
    ['a missing image (404)', answered(404, 'No such image: x:1'), {}],
    [
      'a failed pull (500)',
      answered(500, 'dial tcp: lookup registry: no such host'),
      { pulling: true }
    ],
    [
      "Podman's 500 for an unknown network",
      answered(500, 'unable to find network: network not found'),
      {}
    ]
  ])('%s is a bad request', (_, error, options) => {
    const classified = startError(error, 'cannot create the container w-1', options);
    expect(classified).toBeInstanceOf(LatentWorkerCannotSubstantiate);
    expect(classified.message).toBe(
      `DockerProvider: cannot create the container w-1: ${error.json.message}`
    );
    expect(classified.cause).toBe(error);
  });

  it.each([
    ['out of space (500)', answered(500, 'write /var/lib/docker: no space left on device')],
    ['a daemon that failed (503)', answered(503, 'service unavailable')],
    ['a connection reset', transport('ECONNRESET')]
  ])('%s is an infrastructure failure', (_, error) => {
    const classified = startError(error, 'cannot start the container w-1');
    expect(LatentWorkerCannotSubstantiate.is(classified)).toBe(false);
    expect(classified.cause).toBe(error);
  });

  it('a pull cut off by the transport is an infrastructure failure, not a bad image', () => {
    const classified = startError(transport('ECONNRESET'), 'cannot pull', { pulling: true });
    expect(LatentWorkerCannotSubstantiate.is(classified)).toBe(false);
  });

  it.each(['ENOENT', 'ECONNREFUSED', 'EACCES'])(
    'no daemon at the socket (%s) says what to check',
    (code) => {
      const classified = startError(transport(code), 'cannot inspect the container w-1');
      expect(LatentWorkerCannotSubstantiate.is(classified)).toBe(false);
      expect(classified.message).toMatch(/is the Docker daemon running, and is this its socket\?/);
    }
  );

  it('passes a bad request through unchanged', () => {
    const bad = new LatentWorkerCannotSubstantiate('no such image');
    expect(startError(bad, 'anything')).toBe(bad);
  });
});
