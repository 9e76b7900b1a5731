import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { register } from 'prom-client';
import { PER_WORKER_SERIES } from '../../../src/runtime/fleet/metrics.js';
import { fleetHarness } from './support.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** The value of one sample line of the Prometheus text, or undefined when absent. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('metrics', () => {
  it('reports instances, starts, stops, failures, substantiation time, queue and builds', async () => {
    const h = fleetHarness(['w1', 'w2'], {
      worker: { maxBuilds: 1 },
      provider: { autoStop: true }
    });
    const builds = [
      h.submit({ workerNames: ['w1'] }),
      h.submit({ workerNames: ['w1'] }),
      h.submit({ workerNames: ['w2'] })
    ];
    await h.flush();
    await h.advance(2500);
    h.providers.w1!.completeStart(true);
    h.providers.w2!.completeStart(false);
    await h.flush();
    let text = await h.fleet.metrics.metrics();
    expect(sample(text, 'latent_workers_instances{state="substantiated"}')).toBe(1);
    expect(sample(text, 'latent_workers_instances{state="idle"}')).toBe(1);
    expect(sample(text, 'latent_workers_queue_length')).toBe(2); // w1's second build, w2's retry
    expect(sample(text, 'latent_workers_starts_total{outcome="started"}')).toBe(1);
    expect(sample(text, 'latent_workers_starts_total{outcome="refused"}')).toBe(1);
    expect(sample(text, 'latent_workers_stops_total{outcome="stopped"}')).toBe(1);
    expect(sample(text, 'latent_workers_substantiation_failures_total{reason="refused"}')).toBe(1);
    expect(
      sample(text, 'latent_workers_substantiation_duration_seconds_count{outcome="substantiated"}')
    ).toBe(1);
    expect(
      sample(text, 'latent_workers_substantiation_duration_seconds_sum{outcome="substantiated"}')
    ).toBe(2.5);
    expect(
      sample(
        text,
        'latent_workers_substantiation_duration_seconds_bucket{le="1",outcome="substantiated"}'
      )
    ).toBe(0);
    expect(
      sample(
        text,
        'latent_workers_substantiation_duration_seconds_bucket{le="5",outcome="substantiated"}'
      )
    ).toBe(1);

    await h.advance(1500);
    builds[0]!.finish('success');
    await h.flush();
    text = await h.fleet.metrics.metrics();
    expect(sample(text, 'latent_workers_builds_total{result="success"}')).toBe(1);
    // Waits: 0 s for builds 1 and 3, 4 s for build 2 (queued at 0, dispatched at 4 s).
    expect(sample(text, 'latent_workers_queue_wait_seconds_count')).toBe(3);
    expect(sample(text, 'latent_workers_queue_wait_seconds_sum')).toBe(4);
    expect(sample(text, 'latent_workers_queue_length')).toBe(1);
  });

  it('counts takedowns past stopTimeout, and the workers that may still run an instance', async () => {
    const h = fleetHarness(['w1'], { worker: { stopTimeout: 1_000 } });
    h.submit();
    await h.flush();
    h.providers.w1!.completeStart(true);
    await h.flush();
    void h.workers[0]!.insubstantiate(); // its stop hangs
    await h.advance(1_000);
    let text = await h.fleet.metrics.metrics();
    expect(sample(text, 'latent_workers_stops_overdue')).toBe(1);
    expect(sample(text, 'latent_workers_stop_timeouts_total{call="stop"}')).toBe(1);
    h.providers.w1!.completeStop();
    await h.flush();
    text = await h.fleet.metrics.metrics();
    expect(sample(text, 'latent_workers_stops_overdue')).toBe(0);
  });

  it('counts quarantined and paused workers, and labels each worker of a small fleet', async () => {
    const h = fleetHarness(['w1', 'w2', 'w3'], { provider: { autoStop: true } });
    h.submit({ workerNames: ['w1'] });
    await h.flush();
    h.providers.w1!.completeStart(false); // refused: quarantined
    h.workers[1]!.pause('maintenance');
    await h.flush();
    const text = await h.fleet.metrics.metrics();
    expect(sample(text, 'latent_workers_quarantined')).toBe(1);
    expect(sample(text, 'latent_workers_paused')).toBe(1);
    const states = text.split('\n').filter((l) => l.startsWith('latent_workers_worker_state{'));
    expect(states).toEqual([
      expect.stringMatching(
        /^latent_workers_worker_state\{worker="w1",state="\w+",availability="quarantined"\} 1$/
      ),
      'latent_workers_worker_state{worker="w2",state="idle",availability="paused"} 1',
      'latent_workers_worker_state{worker="w3",state="idle",availability="available"} 1'
    ]);
    expect(sample(text, 'latent_workers_worker_consecutive_failures{worker="w1"}')).toBe(1);
    expect(sample(text, 'latent_workers_worker_consecutive_failures{worker="w3"}')).toBe(0);
  });

  it(`keeps per-worker series out of fleets above ${PER_WORKER_SERIES} workers`, async () => {
    const names = Array.from({ length: PER_WORKER_SERIES + 1 }, (_, i) => `w${i}`);
    const text = await fleetHarness(names).fleet.metrics.metrics();
    expect(text).not.toContain('worker=');
    expect(sample(text, 'latent_workers_instances{state="idle"}')).toBe(PER_WORKER_SERIES + 1);
    expect(sample(text, 'latent_workers_quarantined')).toBe(0);
  });

  it('uses a registry of its own, not the global one', async () => {
    const a = fleetHarness(['w']);
    const b = fleetHarness(['w']);
    expect(a.fleet.metrics).not.toBe(b.fleet.metrics);
    expect(a.fleet.metrics).not.toBe(register);
    expect(await register.metrics()).not.toContain('latent_workers_');
  });
});
