import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeAll, expect, it, onTestFinished } from 'vitest';
import {
  createLatentWorker,
  LatentWorkerCannotSubstantiate,
  LatentWorkerFailedToSubstantiate,
  type InstanceRef,
  type StartContext
} from '../../../src/index.js';
import { DockerProvider, type DockerProviderOptions } from '../../../src/docker.js';
import { isNotFound } from '../../../src/providers/docker/dockerErrors.js';
import { agentImage, client, describeEngines, TEST_LABEL } from '../../support/docker.js';
import { ref } from '../../support/instances.js';

type Props = { image?: string };

const NOWHERE = 'ws://127.0.0.1:9/';
const owner = `docker-${process.pid}`;
let generation = 0;

describeEngines('DockerProvider', (daemon) => {
  const docker = client(daemon);
  let image = '';
  beforeAll(async () => void (image = await agentImage(daemon)), 120_000);

  /** Instances a test started, removed after it whatever happened. */
  const made: InstanceRef[] = [];
  afterEach(async () => {
    for (const { instanceName } of made.splice(0)) {
      await docker
        .getContainer(instanceName)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  const provider = (options: Partial<DockerProviderOptions<Props>> = {}) =>
    new DockerProvider<Props>({
      image,
      hubUrl: NOWHERE,
      socketPath: daemon.socketPath,
      labels: { [TEST_LABEL]: '1' },
      stopGracePeriod: 2_000,
      ...options
    });
  const startContext = (
    options: { props?: Props; password?: string; signal?: AbortSignal } = {}
  ): StartContext<Props> => {
    const instance = ref('w', ++generation, { owner });
    made.push(instance);
    return {
      ...instance,
      password: options.password ?? randomBytes(16).toString('hex'),
      props: options.props,
      signal: options.signal ?? new AbortController().signal
    };
  };
  const stop = (
    p: DockerProvider<Props>,
    instance: InstanceRef,
    options: { fast?: boolean; signal?: AbortSignal } = {}
  ) =>
    p.stopInstance({
      ...instance,
      fast: options.fast ?? false,
      signal: options.signal ?? new AbortController().signal
    });
  const inspect = (name: string) => docker.getContainer(name).inspect();
  const gone = (name: string) =>
    inspect(name).then(
      () => false,
      (error: unknown) => isNotFound(error)
    );

  it('gives the container what users set: env, mounts, limits, user, working dir, labels', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'docker-mount-'));
    try {
      const p = provider({
        env: { BUILD_FLAVOUR: 'release' },
        mounts: [
          { source: folder, target: '/src', readOnly: true },
          { type: 'tmpfs', target: '/scratch' }
        ],
        memory: 256 * 1024 * 1024,
        cpus: 0.5,
        user: '1000:1000',
        workingDir: '/tmp',
        labels: { [TEST_LABEL]: '1', team: 'ci' },
        hubFingerprint: 'AB'.repeat(32)
      });
      const ctx = startContext({ password: 'p4ss' });
      const { instanceId } = await p.startInstance(ctx);
      const info = await inspect(ctx.instanceName);
      expect(info.Id).toBe(instanceId);
      expect(info.Name).toBe(`/${ctx.instanceName}`);
      expect(info.Config.Env).toEqual(
        expect.arrayContaining([
          'BUILD_FLAVOUR=release',
          `LATENT_HUB_URL=${NOWHERE}`,
          `LATENT_HUB_FINGERPRINT=${'AB'.repeat(32)}`,
          'LATENT_WORKER_NAME=w',
          'LATENT_WORKER_PASSWORD=p4ss',
          `LATENT_INSTANCE_NAME=${ctx.instanceName}`,
          `LATENT_LABELS=${JSON.stringify(ctx.labels)}`
        ])
      );
      expect(info.Config.Labels).toMatchObject({ ...ctx.labels, team: 'ci' });
      expect(info.Config).toMatchObject({ User: '1000:1000', WorkingDir: '/tmp', Image: image });
      expect(info.HostConfig).toMatchObject({
        NetworkMode: 'host',
        Memory: 256 * 1024 * 1024,
        NanoCpus: 500_000_000
      });
      expect(info.Mounts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Type: 'bind', Source: folder, Destination: '/src', RW: false })
        ])
      );
      // Docker lists a tmpfs among the mounts it was asked for, Podman among its tmpfs.
      const tmpfs = [
        ...(info.HostConfig.Mounts ?? []).filter((m) => m.Type === 'tmpfs').map((m) => m.Target),
        ...Object.keys(info.HostConfig.Tmpfs ?? {})
      ];
      expect(tmpfs).toContain('/scratch');
      await stop(p, { ...ctx, instanceId });
      expect(await gone(ctx.instanceName)).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('takes the image from the build properties and compares images for compatibility', async () => {
    const other = `localhost/latent-agent-other-${process.pid}:latest`;
    const [repo, tag] = other.split(/:(?=[^:]+$)/) as [string, string];
    await docker.getImage(image).tag({ repo, tag });
    try {
      const p = provider({ image: (props) => props?.image ?? image });
      expect(p.buildsMayBeIncompatible).toBe(true);
      expect(p.isCompatibleWithBuild({ image: other }, { image: other })).toBe(true);
      expect(p.isCompatibleWithBuild({ image: other }, undefined)).toBe(false);
      expect(p.isCompatibleWithBuild({}, undefined)).toBe(true);
      expect(provider().buildsMayBeIncompatible).toBe(false);
      const ctx = startContext({ props: { image: other } });
      await p.startInstance(ctx);
      expect((await inspect(ctx.instanceName)).Config.Image).toBe(other);
      await stop(p, ctx, { fast: true });
    } finally {
      await docker.getImage(other).remove();
    }
  });

  it('adopts its own leftover container, and replaces one that cannot attach here', async () => {
    const ctx = startContext();
    const { instanceId } = await provider().startInstance(ctx);
    // A new provider (a restarted orchestrator) with the same start: the same container.
    const again = provider();
    const adopted = firstValueFrom(again.events$.pipe(filter((e) => e.type === 'adopted')));
    await expect(again.startInstance(ctx)).resolves.toEqual({ instanceId });
    await expect(adopted).resolves.toMatchObject({ containerId: instanceId });
    // Another password (an orchestrator without a journal): that agent cannot attach here.
    const replaced = await provider().startInstance({ ...ctx, password: 'another' });
    expect(replaced.instanceId).not.toBe(instanceId);
    expect((await inspect(ctx.instanceName)).Config.Env).toContain(
      'LATENT_WORKER_PASSWORD=another'
    );
    await stop(again, { ...ctx, instanceId: replaced.instanceId });
    expect(await gone(ctx.instanceName)).toBe(true);
  });

  it('refuses bad requests as LatentWorkerCannotSubstantiate, leaving no container', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'docker-bad-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const missing = 'localhost/latent-no-such-image:1';
    const cases: [string, DockerProvider<Props>, RegExp][] = [
      ['a missing image, autopull off', provider({ image: missing }), /not on the Docker daemon/],
      [
        'an image that cannot be pulled',
        provider({ image: missing, autopull: true }),
        /cannot pull the image/
      ],
      ['always pulled, from no registry', provider({ alwaysPull: true }), /cannot pull/],
      ['an invalid reference', provider({ image: 'Not Valid:ref' }), /not an image reference/],
      ['an uppercase reference', provider({ image: 'UPPER/case' }), /not an image reference/],
      // Podman 4.3's compatible API makes a missing bind source instead (see the README).
      ...(daemon.engine === 'docker'
        ? ([
            [
              'a bind source that does not exist',
              provider({ mounts: [{ source: join(scratch, 'missing'), target: '/src' }] }),
              /bind source path does not exist/
            ]
          ] satisfies [string, DockerProvider<Props>, RegExp][])
        : []),
      ['a network that does not exist', provider({ network: 'latent-no-such-net' }), /network/]
    ];
    for (const [what, p, message] of cases) {
      const ctx = startContext();
      const error = await p.startInstance(ctx).catch((error: unknown) => error);
      expect(error, `${what}: ${String(error)}`).toBeInstanceOf(LatentWorkerCannotSubstantiate);
      expect((error as Error).message, what).toMatch(message);
      await stop(p, ctx);
      expect(await gone(ctx.instanceName), what).toBe(true);
    }
  });

  it('a daemon that cannot be reached is an infrastructure failure: the worker is quarantined', async () => {
    const p = provider({ socketPath: '/nonexistent/docker.sock' });
    const worker = createLatentWorker<Props>({ name: 'unreachable', owner, provider: p });
    try {
      const error = await worker.substantiate().catch((error: unknown) => error);
      expect(error).toBeInstanceOf(LatentWorkerFailedToSubstantiate);
      expect(((error as Error).cause as Error).message).toMatch(/is the Docker daemon running/);
      expect(worker.status.availability).toBe('quarantined');
    } finally {
      await worker.shutdown({ fast: true });
    }
  });

  it('lists exited containers too, and reports an exit with its code and last lines', async () => {
    const p = provider({
      entrypoint: [
        '/bin/sh',
        '-c',
        'for i in 1 2 3; do echo "line $i"; done; echo oops >&2; exit 7'
      ]
    });
    const ctx = startContext();
    const { instanceId } = await p.startInstance(ctx);
    await docker.getContainer(instanceId).wait();
    const check = await p.checkInstance({ ...ctx, instanceId, signal: ctx.signal });
    expect(check.isGood).toBe(false);
    expect(check.message).toMatch(/^the container \S+ exited with code 7; its last lines:\n/);
    // In the order each stream wrote them; the engine may put either stream's lines first.
    expect(check.message).toMatch(/line 1\nline 2\nline 3/);
    expect(check.message).toContain('oops');
    const listed = await p.listInstances({ labels: ctx.labels, signal: ctx.signal });
    expect(listed).toEqual([
      expect.objectContaining({ instanceName: ctx.instanceName, instanceId })
    ]);
    expect(listed[0]?.labels).toMatchObject(ctx.labels);
    await stop(p, { ...ctx, instanceId });
    expect(await gone(ctx.instanceName)).toBe(true);
  });

  it('stops with a grace period, kills at once when fast or when its signal aborts', async () => {
    // Ignores SIGTERM, as a stuck build would: only the kill ends it.
    const stubborn = provider({
      entrypoint: ['/bin/sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'],
      init: false,
      stopGracePeriod: 60_000
    });
    const timed = async (run: () => Promise<void>) => {
      const began = performance.now();
      await run();
      return performance.now() - began;
    };
    const fast = startContext();
    await stubborn.startInstance(fast);
    expect(await timed(() => stop(stubborn, fast, { fast: true }))).toBeLessThan(30_000);
    expect(await gone(fast.instanceName)).toBe(true);

    const deadline = startContext();
    await stubborn.startInstance(deadline);
    const controller = new AbortController();
    const stopping = stop(stubborn, deadline, { signal: controller.signal });
    controller.abort();
    expect(await timed(() => stopping)).toBeLessThan(30_000);
    expect(await gone(deadline.instanceName)).toBe(true);

    const graceful = provider({ stopGracePeriod: 60_000 });
    const ctx = startContext();
    await graceful.startInstance(ctx);
    // The agent ends on SIGTERM: far sooner than the grace.
    expect(await timed(() => stop(graceful, ctx))).toBeLessThan(30_000);
    expect(await gone(ctx.instanceName)).toBe(true);
  });
});
