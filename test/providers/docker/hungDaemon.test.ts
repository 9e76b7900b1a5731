import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DockerProvider } from '../../../src/docker.js';
import { ref } from '../../support/instances.js';

// Every wait of the Docker provider ends, also on a daemon that takes each request and never
// answers it: a request under way may finish for 10 s after its call's signal aborts, no longer.

/** A unix socket that accepts requests and never answers; resolves `received` at each one. */
async function hungDaemon() {
  const dir = mkdtempSync(join(tmpdir(), 'hung-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let heard: () => void = () => undefined;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      requests.push(chunk.toString('latin1').split('\r\n', 1)[0]!);
      heard();
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    /** Resolves once the daemon has heard `count` requests in all. */
    heardAll: (count: number) =>
      new Promise<void>((resolve) => {
        heard = () => requests.length >= count && resolve();
        heard();
      }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('DockerProvider on a daemon that never answers', () => {
  let daemon: Awaited<ReturnType<typeof hungDaemon>>;
  beforeEach(async () => {
    daemon = await hungDaemon();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await daemon.close();
  });

  const provider = () =>
    new DockerProvider({
      image: 'busybox',
      hubUrl: 'ws://127.0.0.1:9/',
      socketPath: daemon.socketPath
    });
  /** Whether `promise` has settled yet, and how. */
  const track = (promise: Promise<unknown>) => {
    const state: { settled: boolean; error?: unknown } = { settled: false };
    promise.then(
      () => (state.settled = true),
      (error: unknown) => Object.assign(state, { settled: true, error })
    );
    return state;
  };

  it('a start ends 10 s after its signal aborts', async () => {
    const controller = new AbortController();
    const start = track(
      provider().startInstance({
        ...ref('w', 1),
        password: 'p',
        props: undefined,
        signal: controller.signal
      })
    );
    await daemon.heardAll(1);
    expect(daemon.requests[0]).toMatch(/^GET \/containers\/latent-workers-w-1\/json/);
    controller.abort(new Error('the substantiation timed out'));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(start.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(start.settled).toBe(true));
    expect(start.error).toBeInstanceOf(Error);
  });

  it('a stop ends 10 s after its deadline: the graceful stop is cut at once, the kill after', async () => {
    const controller = new AbortController();
    const stop = track(
      Promise.resolve(
        provider().stopInstance({ ...ref('w', 1), fast: false, signal: controller.signal })
      )
    );
    await daemon.heardAll(1);
    expect(daemon.requests[0]).toMatch(/^POST \/containers\/latent-workers-w-1\/stop\?t=5/);
    controller.abort(new Error('the stop timed out'));
    await daemon.heardAll(2); // the kill, without waiting for the graceful stop's answer
    expect(daemon.requests[1]).toMatch(/^DELETE \/containers\/latent-workers-w-1\?.*force=true/);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(stop.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(stop.settled).toBe(true));
    expect(String(stop.error)).toMatch(/cannot stop the container latent-workers-w-1/);
  });

  it('a check and a listing end when their signal aborts', async () => {
    const p = provider();
    const checking = new AbortController();
    const check = track(
      Promise.resolve(p.checkInstance({ ...ref('w', 1), signal: checking.signal }))
    );
    const listing = new AbortController();
    const list = track(p.listInstances({ labels: {}, signal: listing.signal }));
    await daemon.heardAll(2);
    checking.abort();
    listing.abort();
    await vi.waitFor(() => expect([check.settled, list.settled]).toEqual([true, true]));
    expect(check.error).toBeDefined();
    expect(list.error).toBeDefined();
  });
});
