import type Dockerode from 'dockerode';
import { Subject, type Observable } from 'rxjs';
import { LatentWorkerCannotSubstantiate } from '../../errors.js';
import type {
  CheckContext,
  CheckResult,
  ListedInstance,
  Provider,
  StartContext,
  StopContext
} from '../provider.js';
import { lastLogLines } from './containerLogs.js';
import { containerSpec, servesStart } from './containerSpec.js';
import { connectDocker } from './dockerClient.js';
import { isNotFound, reasonOf, startError, statusOf } from './dockerErrors.js';
import type { DockerEvent, DockerProviderOptions } from './dockerProviderOptions.js';
import { isImageReference } from './imageReference.js';
import { ensureImage } from './images.js';
import { StartsUnderWay } from '../startsUnderWay.js';

/**
 * How long a request to the daemon may go on once its call's signal has aborted, ms: time for
 * the daemon to finish what it was making (so that it is not left behind unknown), and the
 * bound that ends a call to a daemon that hangs.
 */
const LINGER = 10_000;

/** Aborts `linger` ms after `signal` does: a request under way may finish, but not for ever. */
function lingering(signal: AbortSignal, linger: number): AbortSignal {
  const controller = new AbortController();
  const later = () => setTimeout(() => controller.abort(signal.reason), linger).unref();
  if (signal.aborted) later();
  else signal.addEventListener('abort', later, { once: true });
  return controller.signal;
}

/**
 * A provider whose instances are containers of a Docker Engine (or of Podman's
 * Docker-compatible service), driven through its API with dockerode. Each instance is one
 * container named after its `instanceName`, labelled with its labels, whose entrypoint runs
 * `latent-agent` with the connection details in its environment; the container's id is the
 * `instanceId`.
 *
 * - **Start**: the image is made present (see `autopull`, `alwaysPull`), then the container is
 *   created and started. A container that already has the name is this instance if it runs
 *   this start's agent (a start issued twice, or after a crash): it is adopted. Any other
 *   container under the name (an earlier orchestrator's, or an exited one) is removed first,
 *   so that one name is one container. The start's signal cuts a pull short; a container made
 *   meanwhile is removed before the start returns.
 * - **Check**: a container that exited is not good, with its exit code and last log lines.
 * - **Stop**: `docker stop` with `stopGracePeriod`, then `docker rm` (a fast stop kills and
 *   removes at once). A container that is not there counts as stopped.
 * - **`listInstances`**: every container, running or not, that carries the labels.
 *
 * Bad requests (a missing image with `autopull` off, an image that cannot be pulled, an invalid
 * reference, a bind source that does not exist) throw `LatentWorkerCannotSubstantiate`; a
 * daemon that cannot be reached or fails (out of space) is an infrastructure failure.
 *
 * The password is in the container's environment: anyone who can inspect the container (that
 * is, use the daemon, which is root on its host) can read it, as they could the process's.
 */
export class DockerProvider<P = Record<string, unknown>> implements Provider<P> {
  readonly events$: Observable<DockerEvent>;
  /** True when the image is a function of the build's properties. */
  readonly buildsMayBeIncompatible: boolean;
  readonly #options: DockerProviderOptions<P>;
  readonly #events = new Subject<DockerEvent>();
  readonly #starting = new StartsUnderWay<{ instanceId: string }>();
  #docker: Promise<Dockerode> | undefined;

  constructor(options: DockerProviderOptions<P>) {
    const { image, hubUrl, stopGracePeriod, logLines } = options ?? {};
    if (typeof image !== 'function' && (typeof image !== 'string' || image === '')) {
      throw new TypeError('DockerProvider: image must be a non-empty string or a function');
    }
    if (typeof hubUrl !== 'string' || hubUrl === '') {
      throw new TypeError('DockerProvider: hubUrl must be a non-empty string');
    }
    for (const [name, value] of Object.entries({ stopGracePeriod, logLines })) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new TypeError(`DockerProvider: ${name} must be a finite number >= 0`);
      }
    }
    this.#options = options;
    this.buildsMayBeIncompatible = typeof image === 'function';
    this.events$ = this.#events.asObservable();
  }

  startInstance(ctx: StartContext<P>): Promise<{ instanceId: string }> {
    ctx.signal.throwIfAborted();
    return this.#starting.join(ctx.instanceName, () => this.#start(ctx));
  }

  async stopInstance({ workerName, instanceName, instanceId, fast, signal }: StopContext) {
    // One name, one container: a start still making it finishes first.
    await this.#starting.ended(instanceName);
    const docker = await this.#client();
    const container = docker.getContainer(instanceId ?? instanceName);
    const requests = lingering(signal, LINGER);
    try {
      if (!fast && !signal.aborted) {
        const t = Math.ceil((this.#options.stopGracePeriod ?? 5_000) / 1000);
        await container.stop({ t, abortSignal: signal }).catch((error: unknown) => {
          // 304: it was not running. Aborted at the deadline: kill it instead.
          if (statusOf(error) !== 304 && !signal.aborted) throw error;
        });
      }
      await container.remove({ force: true, v: true, abortSignal: requests });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(
        `DockerProvider: cannot stop the container ${instanceName}: ${reasonOf(error)}`,
        {
          cause: error
        }
      );
    }
    this.#events.next({
      type: 'removed',
      worker: workerName,
      instanceName,
      containerId: container.id
    });
  }

  async checkInstance({ instanceName, instanceId, signal }: CheckContext): Promise<CheckResult> {
    const docker = await this.#client();
    const container = docker.getContainer(instanceId ?? instanceName);
    let state: Dockerode.ContainerInspectInfo['State'];
    try {
      ({ State: state } = await container.inspect({ abortSignal: signal }));
    } catch (error) {
      if (isNotFound(error))
        return { isGood: false, message: `the container ${instanceName} is gone` };
      throw error;
    }
    if (state.Status !== 'exited' && state.Status !== 'dead') return { isGood: true };
    const why = [
      `the container ${instanceName} exited with code ${state.ExitCode}`,
      state.OOMKilled ? ' (killed: out of memory)' : '',
      state.Error ? `: ${state.Error}` : ''
    ].join('');
    const lines = this.#options.logLines ?? 20;
    const log =
      lines > 0 ? await lastLogLines(docker, container, lines, signal).catch(() => '') : '';
    return { isGood: false, message: log ? `${why}; its last lines:\n${log}` : why };
  }

  isCompatibleWithBuild(props: P, startedWith: P | undefined): boolean {
    return this.#imageFor(props) === this.#imageFor(startedWith);
  }

  /** Every container, running or not, that carries all of `labels`; oldest first. */
  async listInstances({
    labels,
    signal
  }: {
    labels: Readonly<Record<string, string>>;
    signal: AbortSignal;
  }): Promise<ListedInstance[]> {
    const docker = await this.#client();
    const label = Object.entries(labels).map(([name, value]) => `${name}=${value}`);
    const containers = await docker.listContainers({
      all: true,
      filters: { label },
      abortSignal: signal
    });
    return containers
      .map(({ Id, Names, Labels, Created }) => ({
        instanceName: Names[0]?.replace(/^\//, '') ?? Id,
        instanceId: Id,
        labels: Labels,
        createdAt: Created * 1000
      }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async #start(ctx: StartContext<P>): Promise<{ instanceId: string }> {
    const { workerName, instanceName, signal } = ctx;
    const image = this.#imageFor(ctx.props);
    const docker = await this.#client();
    const spec = containerSpec(ctx, image, this.#options);
    // Not aborted mid-request with the signal: the daemon would go on and leave a container
    // nobody knows. They end `LINGER` after it, and the stop that follows removes what is left.
    const abortSignal = lingering(signal, LINGER);
    const existing = await docker
      .getContainer(instanceName)
      .inspect({ abortSignal })
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw startError(error, `cannot inspect the container ${instanceName}`);
      });
    const event = (type: 'created' | 'started' | 'adopted' | 'removed', containerId: string) =>
      this.#events.next({ type, worker: workerName, instanceName, containerId });
    let container: Dockerode.Container | undefined;
    if (existing && servesStart(existing, spec) && existing.State.Status !== 'exited') {
      if (existing.State.Running) {
        event('adopted', existing.Id);
        return { instanceId: existing.Id };
      }
      container = docker.getContainer(existing.Id); // made, never started: start it
    } else if (existing) {
      await docker
        .getContainer(existing.Id)
        .remove({ force: true, v: true, abortSignal })
        .catch((error: unknown) => {
          if (!isNotFound(error)) {
            throw startError(error, `cannot remove the earlier container ${instanceName}`);
          }
        });
      event('removed', existing.Id);
    }
    if (!container) {
      const { autopull = false, alwaysPull = false } = this.#options;
      await ensureImage(docker, image, {
        autopull,
        alwaysPull,
        signal,
        requests: abortSignal,
        onPull: (type) => this.#events.next({ type, image })
      });
      signal.throwIfAborted(); // nothing made yet
      container = await docker.createContainer({ ...spec, abortSignal }).catch((error: unknown) => {
        throw startError(error, `cannot create the container ${instanceName}`);
      });
      event('created', container.id);
    }
    try {
      signal.throwIfAborted();
      await container.start({ abortSignal });
      signal.throwIfAborted();
    } catch (error) {
      // The half-made container goes now; should that fail, the stop that follows retries.
      await container.remove({ force: true, v: true, abortSignal }).then(
        () => event('removed', container.id),
        () => undefined
      );
      signal.throwIfAborted();
      throw startError(error, `cannot start the container ${instanceName}`);
    }
    event('started', container.id);
    return { instanceId: container.id };
  }

  #imageFor(props: P | undefined): string {
    const { image } = this.#options;
    const chosen = typeof image === 'function' ? image(props) : image;
    if (typeof chosen !== 'string' || !isImageReference(chosen)) {
      throw new LatentWorkerCannotSubstantiate(
        `DockerProvider: ${JSON.stringify(chosen)} is not an image reference`
      );
    }
    return chosen;
  }

  #client(): Promise<Dockerode> {
    const { docker, socketPath } = this.#options;
    return (this.#docker ??= docker ? Promise.resolve(docker) : connectDocker(socketPath));
  }
}
