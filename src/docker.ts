/**
 * latent-workers/docker: instances that are containers of a Docker Engine, or of Podman's
 * Docker-compatible service, driven through its API with `dockerode` (an optional peer
 * dependency: `npm install dockerode@5`). The container's entrypoint runs `latent-agent`, which
 * dials the agent hub; the package's `docker/Dockerfile` builds such an image.
 *
 * @example
 * ```ts
 * import { createAgentHub } from 'latent-workers/process';
 * import { DockerProvider } from 'latent-workers/docker';
 * const hub = await createAgentHub(); // 127.0.0.1: reachable from host-network containers
 * const provider = new DockerProvider({ image: 'registry.example/latent-agent:1', hubUrl: hub.url });
 * ```
 * @module
 */
export { connectDocker } from './providers/docker/dockerClient.js';
export { DockerProvider } from './providers/docker/dockerProvider.js';
export type {
  DockerEvent,
  DockerMount,
  DockerProviderOptions
} from './providers/docker/dockerProviderOptions.js';
