import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_OWNER, instanceName, LABELS } from '../../src/index.js';
import { harness } from '../support/harness.js';

// instances.md, "Identity": generation, instanceName, labels and instanceId.
const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

describe('instanceName', () => {
  it('is <owner>-<worker>-<generation> for a plain worker name', () => {
    expect(instanceName(DEFAULT_OWNER, 'w1', 1)).toBe('latent-workers-w1-1');
    expect(instanceName('ci', 'linux-amd64', 12)).toBe('ci-linux-amd64-12');
  });

  it.each([
    ['Build_Worker.01'],
    ['x'.repeat(200)],
    ['ÄÖÜ build bot'],
    ['--'],
    ['a--b'],
    ['9lives'],
    ['UPPER']
  ])('is a DNS label for %j, at every generation', (worker) => {
    for (const generation of [1, 10, Number.MAX_SAFE_INTEGER]) {
      const name = instanceName('some-owner', worker, generation);
      expect(name).toMatch(DNS_LABEL);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name.endsWith(`-${generation}`)).toBe(true);
    }
  });

  it('stays readable and is told apart by a hash, never by truncation alone', () => {
    const odd = instanceName(DEFAULT_OWNER, 'Build_Worker.01', 1);
    expect(odd).toMatch(/^latent-workers-build-worker-01--[0-9a-f]{12}-1$/);
    expect(odd).not.toBe(instanceName(DEFAULT_OWNER, 'build-worker-01', 1));
    const long = (end: string) => instanceName(DEFAULT_OWNER, 'w'.repeat(199) + end, 1);
    expect(long('a')).not.toBe(long('b'));
    expect(instanceName(DEFAULT_OWNER, 'a--b', 1)).not.toBe(instanceName(DEFAULT_OWNER, 'a-b', 1));
  });

  it('is deterministic and unique per owner', () => {
    expect(instanceName('a', 'Build_Worker.01', 3)).toBe(instanceName('a', 'Build_Worker.01', 3));
    expect(instanceName('a', 'w', 3)).not.toBe(instanceName('b', 'w', 3));
    const names = new Set<string>();
    for (const worker of ['w', 'w-1', 'w1', 'W1', 'w_1', 'w.1'])
      for (const generation of [1, 2, 11, 12]) names.add(instanceName('o', worker, generation));
    expect(names.size).toBe(24);
  });
});

describe("a worker's instances", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('stop and check receive exactly the start’s InstanceRef, with the id the start returned', async () => {
    const h = harness({ checkInstanceInterval: 1_000 }, { autoConnect: false, autoStop: true });
    h.substantiate();
    const start = h.provider.lastStart!;
    expect(start).toMatchObject({
      workerName: 'local',
      generation: 1,
      instanceName: 'latent-workers-local-1',
      labels: {
        [LABELS.owner]: 'latent-workers',
        [LABELS.worker]: 'local',
        [LABELS.generation]: '1'
      }
    });
    expect(start.instanceId).toBeUndefined();
    const check = vi.spyOn(h.provider, 'checkInstance');
    h.provider.completeStart({ instanceId: 'i-0abc' });
    await h.advance(1_000);
    await h.worker.insubstantiate();
    const same = { workerName: 'local', generation: 1, instanceName: start.instanceName };
    const [checked] = check.mock.calls[0]!;
    const [stopped] = h.provider.stops;
    for (const ctx of [checked, stopped]) {
      expect(ctx).toMatchObject({ ...same, instanceId: 'i-0abc' });
      expect(ctx?.labels).toBe(start.labels);
      expect(ctx).not.toHaveProperty('password');
    }
  });

  it('is named in worker.instance and status.instance from its start until its stop returned', async () => {
    const h = harness({}, { autoConnect: false });
    expect([h.worker.instance, h.worker.status.instance]).toEqual([undefined, undefined]);
    h.substantiate();
    expect(h.worker.status.instance).toEqual({ name: 'latent-workers-local-1', generation: 1 });
    h.provider.completeStart({ instanceId: 'pid-7' });
    await h.flush();
    expect(h.worker.instance).toMatchObject({ generation: 1, instanceId: 'pid-7' });
    expect(h.worker.status.instance).toEqual({
      name: 'latent-workers-local-1',
      generation: 1,
      id: 'pid-7'
    });
    void h.worker.insubstantiate();
    await h.flush();
    expect(h.worker.status).toMatchObject({ state: 'insubstantiating', instance: { id: 'pid-7' } });
    h.provider.completeStop();
    await h.flush();
    expect(h.worker.instance).toBeUndefined();
  });

  it('each start is the next generation, with a new name and no old id', async () => {
    const h = harness({}, { autoStop: true });
    h.substantiate();
    h.provider.completeStart({ instanceId: 'first' });
    await h.flush();
    await h.worker.insubstantiate();
    h.substantiate();
    h.provider.completeStart(true);
    await h.flush();
    await h.worker.insubstantiate();
    expect(h.provider.starts.map((s) => [s.generation, s.instanceName])).toEqual([
      [1, 'latent-workers-local-1'],
      [2, 'latent-workers-local-2']
    ]);
    expect(h.provider.stops.map((s) => s.instanceId)).toEqual(['first', undefined]);
  });

  it('carries the owner option in its name and labels', () => {
    const h = harness({ owner: 'ci-east' });
    h.substantiate();
    expect(h.provider.lastStart).toMatchObject({
      instanceName: 'ci-east-local-1',
      labels: { [LABELS.owner]: 'ci-east' }
    });
  });
});
