import type Dockerode from 'dockerode';
import type { StartContext } from '../provider.js';
import type { DockerMount, DockerProviderOptions } from './dockerProviderOptions.js';

const MOUNT_TYPE = { bind: 'bind', volume: 'volume', tmpfs: 'tmpfs' } as const;

function mountSettings({ source, target, type = 'bind', readOnly }: DockerMount) {
  return {
    Type: MOUNT_TYPE[type],
    Target: target,
    Source: source ?? '',
    ...(readOnly !== undefined ? { ReadOnly: readOnly } : {})
  };
}

/**
 * The container that serves `ctx`: named after the instance, labelled with its labels, and
 * told in its environment how to dial back (`LATENT_HUB_URL`, `LATENT_WORKER_NAME`,
 * `LATENT_WORKER_PASSWORD`, `LATENT_HUB_FINGERPRINT`) and who it is (`LATENT_INSTANCE_NAME`,
 * `LATENT_LABELS`), as the process provider's instances are.
 */
export function containerSpec<P>(
  ctx: StartContext<P>,
  image: string,
  options: DockerProviderOptions<P>
): Dockerode.ContainerCreateOptions {
  const { hubUrl, hubFingerprint, network = 'host', env, mounts, memory, cpus } = options;
  const { user, workingDir, labels, entrypoint, command, init = true, hostConfig } = options;
  const environment: Record<string, string> = {
    ...env,
    LATENT_HUB_URL: hubUrl,
    ...(hubFingerprint !== undefined ? { LATENT_HUB_FINGERPRINT: hubFingerprint } : {}),
    LATENT_WORKER_NAME: ctx.workerName,
    LATENT_WORKER_PASSWORD: ctx.password,
    LATENT_INSTANCE_NAME: ctx.instanceName,
    LATENT_LABELS: JSON.stringify(ctx.labels)
  };
  return {
    name: ctx.instanceName,
    Image: image,
    Env: Object.entries(environment).map(([name, value]) => `${name}=${value}`),
    Labels: { ...labels, ...ctx.labels },
    ...(entrypoint !== undefined ? { Entrypoint: [...entrypoint] } : {}),
    ...(command !== undefined ? { Cmd: [...command] } : {}),
    ...(user !== undefined ? { User: user } : {}),
    ...(workingDir !== undefined ? { WorkingDir: workingDir } : {}),
    HostConfig: {
      NetworkMode: network,
      Init: init,
      ...(mounts !== undefined ? { Mounts: mounts.map(mountSettings) } : {}),
      ...(memory !== undefined ? { Memory: memory } : {}),
      ...(cpus !== undefined ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
      ...hostConfig
    }
  };
}

/**
 * Whether an existing container can serve this start in place of a new one: the same image,
 * the same identity labels, and an agent that dials this hub as this start (the same URL,
 * fingerprint, worker and password). A container of an earlier orchestrator under the same
 * name, with another password, cannot attach here.
 */
export function servesStart(
  existing: Dockerode.ContainerInspectInfo,
  spec: Dockerode.ContainerCreateOptions
): boolean {
  const env = new Set(existing.Config.Env);
  const labels = existing.Config.Labels ?? {};
  return (
    existing.Config.Image === spec.Image &&
    Object.entries(spec.Labels ?? {}).every(([name, value]) => labels[name] === value) &&
    (spec.Env ?? []).filter((entry) => entry.startsWith('LATENT_')).every((entry) => env.has(entry))
  );
}
