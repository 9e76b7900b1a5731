import { EMPTY, of } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LatentWorkerConnectionLost,
  type CommandRunner,
  type Connection,
  type ExecOptions,
  type ExecResult
} from '../../../src/index.js';
import { fleetHarness } from './support.js';

// Buildbot test_latent.py: a connection lost under a running build; and lease.exec().
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('lost connection', () => {
  it('test_worker_close_connection_while_building', async () => {
    const h = fleetHarness(['local'], {
      worker: { buildWaitTimeout: 0 },
      provider: { autoStop: true }
    });
    const build = h.submit();
    await h.flush();
    const provider = h.providers.local!;
    provider.completeStart(true);
    await h.flush();
    provider.disconnect();
    expect(build.leases[0]!.signal.reason).toBeInstanceOf(LatentWorkerConnectionLost);
    await h.flush();
    // RETRY, no quarantine; the request starts a new instance.
    const retry = h.events.find((e) => e.type === 'queued' && e.reason === 'retry');
    expect(retry?.type === 'queued' && retry.error).toBeInstanceOf(LatentWorkerConnectionLost);
    expect(h.workers[0]!.status.availability).toBe('available');
    expect(provider.startPending).toBe(true);
    provider.completeStart(true);
    await h.flush();
    build.finish('success');
    await h.flush();
    expect(build.outcome.value).toEqual({ result: 'success', worker: 'local', attempts: 2 });
    expect(provider.starts).toHaveLength(2);
  });

  it('a LatentWorkerConnectionLost thrown by the build ends it retry', async () => {
    const h = fleetHarness(['local'], { provider: { autoStart: true }, fleet: { maxAttempts: 1 } });
    const build = h.submit();
    await h.flush();
    const lost = new LatentWorkerConnectionLost('agent gone');
    build.finish(lost);
    await h.flush();
    // With one attempt allowed the retry is the last word: exception with that error.
    expect(build.outcome.value).toMatchObject({ result: 'exception', error: lost });
    expect(h.events.at(-1)).toMatchObject({ reason: 'maxAttempts' });
  });

  it('a build that throws ends exception and quarantines its worker', async () => {
    const h = fleetHarness(['local'], { provider: { autoStart: true } });
    const build = h.submit();
    await h.flush();
    const boom = new Error('compiler crashed');
    build.finish(boom);
    await h.flush();
    expect(build.outcome.value).toEqual({
      result: 'exception',
      worker: 'local',
      attempts: 1,
      error: boom
    });
    expect(h.workers[0]!.status.availability).toBe('quarantined');
  });

  it('reports the build result to the worker', async () => {
    const h = fleetHarness(['local'], { provider: { autoStart: true } });
    const build = h.submit();
    await h.flush();
    expect(h.workers[0]!.status.building).toBe(1);
    build.finish('failure');
    await h.flush();
    expect(h.workers[0]!.status.building).toBe(0);
    expect(build.outcome.value?.result).toBe('failure');
  });
});

/** A connection that runs commands, as the agent hub's does. */
function runnerConnection(): Connection & CommandRunner & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    disconnect() {},
    exec(command: string, args?: readonly string[], options?: ExecOptions) {
      calls.push([command, args, options]);
      const result: ExecResult = { exitCode: 0, signal: null, stdout: 'hi\n', stderr: '' };
      return Object.assign(Promise.resolve(result), {
        output$: of({ stream: 'stdout' as const, data: 'hi\n' })
      });
    }
  };
}

describe('lease.exec()', () => {
  it('runs the command through the worker connection with the lease signal', async () => {
    const h = fleetHarness(['local'], { provider: { autoConnect: false } });
    const connection = runnerConnection();
    const handle = h.fleet.submit({
      run: async (lease) => {
        const result = await lease.exec('echo', ['hi'], { cwd: '/src' });
        expect(result.stdout).toBe('hi\n');
        const [, , options] = connection.calls[0] as [string, string[], ExecOptions];
        expect(options).toMatchObject({ cwd: '/src', signal: lease.signal });
      }
    });
    await h.flush();
    h.workers[0]!.attached(connection);
    h.providers.local!.completeStart(true);
    expect(await handle.outcome).toMatchObject({ result: 'success' });
    expect(connection.calls).toEqual([['echo', ['hi'], expect.any(Object)]]);
  });

  it('combines a caller signal with the lease signal', async () => {
    const h = fleetHarness(['local'], { provider: { autoConnect: false } });
    const connection = runnerConnection();
    const own = new AbortController();
    const handle = h.fleet.submit({
      run: async (lease) => {
        await lease.exec('sleep', ['1'], { signal: own.signal });
        const { signal } = (connection.calls[0] as [string, string[], ExecOptions])[2];
        own.abort();
        expect(signal?.aborted).toBe(true);
        expect(lease.signal.aborted).toBe(false);
      }
    });
    await h.flush();
    h.workers[0]!.attached(connection);
    h.providers.local!.completeStart(true);
    expect((await handle.outcome).result).toBe('success');
  });

  it('rejects with LatentWorkerConnectionLost when the connection cannot run commands', async () => {
    const h = fleetHarness(['local'], { provider: { autoStart: true }, fleet: { maxAttempts: 1 } });
    const handle = h.fleet.submit({
      run: async (lease) => {
        const running = lease.exec('make');
        expect(running.output$).toBe(EMPTY);
        await running;
      }
    });
    const outcome = await handle.outcome;
    expect(outcome.error).toBeInstanceOf(LatentWorkerConnectionLost);
    expect(outcome.error?.message).toContain('no connection that runs commands');
  });
});
