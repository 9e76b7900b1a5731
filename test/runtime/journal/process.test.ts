import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER } from '../../../src/index.js';
import { builtPackage } from '../../support/builtPackage.js';
import { kill, ref, starting, startHolder, useScratch } from './support.js';

const scratch = useScratch();
let pkg: string;

// The child processes use the built package: tsc takes seconds on a busy machine, once per
// version of the sources, outside the tests' timeout.
beforeAll(() => void ([pkg] = builtPackage() as [string]), 120_000);

describe('a journal in another process', () => {
  it('holds a record once record() resolved, even when the process is SIGKILLed right after', async () => {
    const w1 = ref('w1', 1);
    const holder = startHolder(pkg, scratch.path, [
      starting(w1, 1_000, { branch: 'main' }),
      {
        type: 'started',
        owner: DEFAULT_OWNER,
        instanceName: w1.instanceName,
        instanceId: 'i-1',
        at: 1_001
      },
      starting(ref('w2', 3), 1_002)
    ]);
    expect(await holder.line()).toEqual({ ready: true });
    await kill(holder);
    expect(await holder.ended).toBe('SIGKILL');
    const journal = await scratch.open();
    expect(await journal.openInstances()).toEqual([
      {
        ...w1,
        owner: DEFAULT_OWNER,
        instanceId: 'i-1',
        startedAt: 1_000,
        state: 'started',
        props: { branch: 'main' }
      },
      { ...ref('w2', 3), owner: DEFAULT_OWNER, startedAt: 1_002, state: 'starting' }
    ]);
    expect(await journal.lastGeneration({ owner: DEFAULT_OWNER, workerName: 'w2' })).toBe(3);
  });

  it('is locked while that process lives, for this process and a third, and free once it died', async () => {
    const holder = startHolder(pkg, scratch.path, [starting(ref('w1', 1), 1)]);
    expect(await holder.line()).toEqual({ ready: true });
    const bytes = readFileSync(scratch.path);
    await expect(scratch.open()).rejects.toMatchObject({
      name: 'LatentWorkerJournalError',
      code: 'locked'
    });
    const third = startHolder(pkg, scratch.path);
    expect(await third.line()).toMatchObject({ code: 'locked' });
    expect(await third.ended).toBe(1);
    expect(readFileSync(scratch.path)).toEqual(bytes);
    await kill(holder);
    // No stale lock: the kernel dropped it with the process. The record is there.
    const journal = await scratch.open();
    expect(await journal.openInstances()).toMatchObject([
      { instanceName: ref('w1', 1).instanceName }
    ]);
  });

  it('is free for another process once this one closed it', async () => {
    const journal = await scratch.open();
    await journal.record(starting(ref('w1', 1), 1));
    await journal.close();
    const holder = startHolder(pkg, scratch.path, [starting(ref('w1', 2), 2)]);
    expect(await holder.line()).toEqual({ ready: true });
    await kill(holder);
    expect(await (await scratch.open()).openInstances()).toHaveLength(2);
  });
});
