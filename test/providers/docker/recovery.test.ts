import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeAll, expect, it } from 'vitest';
import {
  createFleet,
  createLatentWorker,
  openJournal,
  type OrphanSweptEvent,
  type RecoveredEvent
} from '../../../src/index.js';
import { DockerProvider } from '../../../src/docker.js';
import { createAgentHub } from '../../../src/process.js';
import { isNotFound } from '../../../src/providers/docker/dockerErrors.js';
import { builtPackage } from '../../support/builtPackage.js';
import { agentImage, client, describeEngines, TEST_LABEL } from '../../support/docker.js';
import { ref } from '../../support/instances.js';
import { freePort } from '../../support/ports.js';

// A container outlives its orchestrator: killed with SIGKILL, the next one stops it at recovery,
// or adopts it when its agent dials the hub again, through the journal and the real engine; and
// the orphan sweep finds by its labels a container nobody recorded.

let pkg = '';
beforeAll(() => void ([pkg] = builtPackage() as [string]), 120_000);

describeEngines('a Docker worker after a crash', (daemon) => {
  const docker = client(daemon);
  const labels = { [TEST_LABEL]: '1' };
  let image = '';
  beforeAll(async () => void (image = await agentImage(daemon)), 120_000);
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the orchestrator until its worker attached, then kills it with SIGKILL. */
  async function crashed(owner: string, port: number): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'docker-recovery-'));
    const journal = join(dir, 'journal.db');
    const settings = { journal, port, socketPath: daemon.socketPath, image, owner, labels };
    const child = spawn(
      process.execPath,
      [new URL('orchestrator.js', import.meta.url).pathname, pkg, JSON.stringify(settings)],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    const exited = once(child, 'exit');
    for await (const line of createInterface({ input: child.stdout })) {
      if ((JSON.parse(line) as { at: string }).at === 'attached') break;
    }
    child.kill('SIGKILL');
    await exited;
    return journal;
  }

  const running = async (name: string) => {
    try {
      return (await docker.getContainer(name).inspect()).State.Running;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };

  it('stops the container a killed orchestrator left, before anything new starts', async () => {
    const owner = `rec-stop-${process.pid}`;
    const path = await crashed(owner, await freePort());
    const name = `${owner}-w-1`;
    expect(await running(name)).toBe(true);
    const { Id } = await docker.getContainer(name).inspect();

    const journal = await openJournal({ path });
    const hub = await createAgentHub(); // another port: the agent cannot come back
    const provider = new DockerProvider({
      image,
      hubUrl: hub.url,
      socketPath: daemon.socketPath,
      labels
    });
    const worker = createLatentWorker({ name: 'w', owner, provider, journal, adoptTimeout: 0 });
    hub.add(worker);
    try {
      const recovered = firstValueFrom(
        worker.events$.pipe(filter((e): e is RecoveredEvent => e.type === 'recovered'))
      );
      await expect(recovered).resolves.toMatchObject({
        outcome: 'stopped',
        instance: { name, id: Id } // the stop got the recorded container id
      });
      expect(await running(name)).toBe(false);
      expect(await journal.openInstances()).toEqual([]);
      // The next start is a new generation: a new name, never the leftover's.
      await expect(worker.substantiate()).resolves.toBe(true);
      expect(await running(`${owner}-w-2`)).toBe(true);
    } finally {
      await worker.shutdown();
      await hub.close();
      await journal.close();
    }
    expect(await running(`${owner}-w-2`)).toBe(false);
  });

  it('adopts it when its agent dials the hub again, without a new container', async () => {
    const owner = `rec-adopt-${process.pid}`;
    const port = await freePort();
    const path = await crashed(owner, port);
    const name = `${owner}-w-1`;
    const { Id } = await docker.getContainer(name).inspect();

    const journal = await openJournal({ path });
    const hub = await createAgentHub({ port }); // the same port: the agent's backoff finds it
    const provider = new DockerProvider({
      image,
      hubUrl: hub.url,
      socketPath: daemon.socketPath,
      labels
    });
    let created = 0;
    provider.events$.subscribe((event) => void (event.type === 'created' && created++));
    const worker = createLatentWorker({
      name: 'w',
      owner,
      provider,
      journal,
      adoptTimeout: 20_000
    });
    hub.add(worker);
    try {
      const recovered = firstValueFrom(
        worker.events$.pipe(filter((e): e is RecoveredEvent => e.type === 'recovered'))
      );
      await expect(recovered).resolves.toMatchObject({ outcome: 'adopted' });
      await expect(worker.substantiate()).resolves.toBe(true);
      expect((await docker.getContainer(name).inspect()).Id).toBe(Id);
    } finally {
      await worker.shutdown();
      await hub.close();
      await journal.close();
    }
    expect(await running(name)).toBe(false);
    expect(created).toBe(0);
  });

  it('the orphan sweep removes a container of this owner that no journal holds', async () => {
    dir = mkdtempSync(join(tmpdir(), 'docker-sweep-'));
    const owner = `rec-sweep-${process.pid}`;
    const provider = new DockerProvider({
      image,
      hubUrl: 'ws://127.0.0.1:9/',
      socketPath: daemon.socketPath,
      labels
    });
    // Started by someone who kept no record of it: an orchestrator without a journal, say.
    const ghost = ref('ghost', 3, { owner });
    const { instanceId } = await provider.startInstance({
      ...ghost,
      password: 'p',
      props: undefined,
      signal: new AbortController().signal
    });
    const journal = await openJournal({ path: join(dir, 'journal.db') });
    const worker = createLatentWorker({ name: 'w', owner, provider, journal });
    const fleet = createFleet({ workers: [worker], sweep: { interval: 600_000, grace: 200 } });
    try {
      const swept = await firstValueFrom(
        fleet.events$.pipe(filter((e): e is OrphanSweptEvent => e.type === 'orphanSwept'))
      );
      expect(swept).toMatchObject({
        reason: 'unrecorded',
        instance: { instanceName: ghost.instanceName, instanceId }
      });
      expect(await running(ghost.instanceName)).toBe(false);
      await expect(docker.getContainer(instanceId).inspect()).rejects.toMatchObject({
        statusCode: 404
      });
    } finally {
      await fleet.shutdown();
      await journal.close();
    }
  });
});
