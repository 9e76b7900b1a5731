import type Dockerode from 'dockerode';

/** A mount into the container: a host path (`bind`), a named volume, or a `tmpfs`. */
export interface DockerMount {
  /** The host path (`bind`, which must exist) or the volume's name (`volume`); none for `tmpfs`. */
  source?: string;
  /** The path inside the container. */
  target: string;
  /** @default 'bind' */
  type?: 'bind' | 'volume' | 'tmpfs';
  readOnly?: boolean;
}

export interface DockerProviderOptions<P = Record<string, unknown>> {
  /**
   * The image each instance runs. A function picks one per build from its properties: then
   * instances differ by build (`buildsMayBeIncompatible`) and a build runs only on an instance
   * started with the same image. The image's entrypoint must run `latent-agent` (the package's
   * `docker/Dockerfile` builds one).
   */
  image: string | ((props: P | undefined) => string);
  /** The agent hub's URL, handed to each instance as `LATENT_HUB_URL`. */
  hubUrl: string;
  /** The fingerprint of a `wss://` hub's certificate, handed on as `LATENT_HUB_FINGERPRINT`. */
  hubFingerprint?: string;
  /**
   * The daemon's unix socket.
   * @default from `DOCKER_HOST` (`unix://…` or `tcp://…`), else `/var/run/docker.sock`
   */
  socketPath?: string;
  /** A client of your own (TLS, SSH, a remote host); `socketPath` is then ignored. */
  docker?: Dockerode;
  /**
   * The container's network. `host` lets the agent reach a hub on the orchestrator's loopback.
   * @default 'host'
   */
  network?: string;
  /** Pull the image when the daemon does not have it (Buildbot's `autopull`). @default false */
  autopull?: boolean;
  /** Pull the image before every start, to pick up a moved tag (Buildbot's `alwaysPull`). @default false */
  alwaysPull?: boolean;
  /** Added to the container's environment (the connection details and identity are added last). */
  env?: Record<string, string>;
  mounts?: readonly DockerMount[];
  /** Memory limit in bytes. */
  memory?: number;
  /** CPU limit, in CPUs (1.5 = one and a half). */
  cpus?: number;
  /** The user the agent runs as (`uid`, `uid:gid` or a name the image knows). */
  user?: string;
  /** The agent's working directory, which its commands inherit. */
  workingDir?: string;
  /** Added to every container's labels (the instance's own labels win). */
  labels?: Record<string, string>;
  /**
   * Run an init process as the container's PID 1 (`docker run --init`; Podman needs
   * `catatonit`), which hands signals on and reaps the orphans of the build's commands. Without
   * it the agent is PID 1, which ignores a SIGTERM that comes before its handler is installed:
   * a stop right after a start then waits out `stopGracePeriod`. @default true
   */
  init?: boolean;
  /** Replaces the image's `ENTRYPOINT`: for an image of your own, the `latent-agent` in it. */
  entrypoint?: readonly string[];
  /** Replaces the image's `CMD` (arguments to its entrypoint). */
  command?: readonly string[];
  /**
   * Time between the stop's SIGTERM and its SIGKILL, ms (Docker's stop timeout, in whole
   * seconds). A fast stop, or one whose signal aborts, kills at once. Longer than the agent's
   * own (2 s), so that it can end its commands itself. @default 5_000
   */
  stopGracePeriod?: number;
  /** Lines of the container's log kept to explain an early exit. @default 20 */
  logLines?: number;
  /** Merged last into each container's `HostConfig`, for what the options above do not name. */
  hostConfig?: Dockerode.HostConfig;
}

/** What the provider did with a container, for logs and live views. */
export type DockerEvent =
  | { type: 'pulling' | 'pulled'; image: string }
  | {
      type: 'created' | 'started' | 'adopted' | 'removed';
      worker: string;
      instanceName: string;
      containerId: string;
    };
