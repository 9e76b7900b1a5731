import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { map, merge, type Observable } from 'rxjs';
import { connectDocker, DockerProvider } from '../docker.js';
import type { Provider, StartContext } from '../index.js';
import { AGENT_COMMAND, ProcessProvider } from '../process.js';
import { localAgentImage } from './agentImage.js';
import type { DemoEvent } from './events.js';

export type Props = { project: string };

/** Where the demo's instances run: processes on this machine, or containers. */
export interface DemoInstances {
  readonly kind: 'process' | 'docker';
  /** How a build's commands call Node on an instance. */
  readonly node: string;
  /**
   * The provider of instances that dial `hubUrl`, and what it tells. The first start of
   * `failing` fails: its instance dies at once, saying why, so that quarantine and retry show.
   */
  provider(options: { hubUrl: string; failing: string; stateDir?: string }): {
    provider: Provider<Props>;
    events$: Observable<DemoEvent>;
  };
}

/** What the simulated failure prints. */
const FAILURE = 'disk full on /var/lib/instances (simulated failure)';

/** Instances that are `latent-agent` processes on this machine (`agent` is the command). */
export function processInstances(agent: readonly string[] = AGENT_COMMAND): DemoInstances {
  return {
    kind: 'process',
    node: process.execPath,
    provider({ hubUrl, failing, stateDir }) {
      let failed = false;
      const provider = new ProcessProvider<Props>({
        hubUrl,
        command: ({ workerName }: StartContext<Props>) => {
          if (workerName !== failing || failed) return agent;
          failed = true;
          return [
            process.execPath,
            '-e',
            `console.error(${JSON.stringify(FAILURE)}); process.exit(1)`
          ];
        },
        stopGracePeriod: 3_000,
        ...(stateDir ? { stateDir: join(stateDir, 'instances') } : {})
      });
      return { provider, events$: tagged('process', provider.events$) };
    }
  };
}

/** The label on the demo's containers. */
export const DEMO_LABEL = 'latent-workers.io/demo';

/** No Docker to run the demo on: dockerode missing, no daemon answering, no image built. */
export class DockerUnavailable extends Error {}

export interface DockerInstancesOptions {
  /** The daemon's socket; undefined: what `DOCKER_HOST` names. */
  socketPath: string | undefined;
  /** The image to run; undefined: one built here with `localAgentImage`. */
  image?: string;
  /** Progress lines for the user (the image build). */
  log: (line: string) => void;
}

/**
 * Instances that are containers of the Docker daemon at `socketPath`, on the host's network so
 * that their agents reach the hub on loopback. Pings the daemon first (else `DockerUnavailable`),
 * then builds the agent image unless one is given (a given one is pulled if missing).
 */
export async function dockerInstances({
  socketPath,
  image,
  log
}: DockerInstancesOptions): Promise<DemoInstances> {
  const docker = await connect(socketPath);
  await ping(docker, socketPath);
  const chosen =
    image ??
    (await buildImage(docker, log).catch((error: Error) => {
      throw new DockerUnavailable(
        `cannot build the agent image here: ${error.message}\n` +
          'Give an image whose entrypoint runs latent-agent (docker/Dockerfile builds one): --image <ref>',
        { cause: error }
      );
    }));
  return {
    kind: 'docker',
    node: 'node', // the image's PATH has it
    provider({ hubUrl, failing }) {
      const options = {
        image: chosen,
        hubUrl,
        docker,
        network: 'host',
        autopull: image !== undefined,
        stopGracePeriod: 3_000,
        labels: { [DEMO_LABEL]: '1' }
      };
      const provider = new DockerProvider<Props>(options);
      // The same container, except that Node runs a one-line module before the agent that
      // prints the failure and exits: the container stops at once, its log says why.
      const dying = new DockerProvider<Props>({
        ...options,
        env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(dieScript())}` }
      });
      return {
        provider: firstStartWith(dying, provider, failing),
        events$: merge(tagged('docker', provider.events$), tagged('docker', dying.events$))
      };
    }
  };
}

const dieScript = () => `console.error(${JSON.stringify(FAILURE)}); process.exit(1);`;

/** `provider`, except that `worker`'s first start is `first`'s. */
function firstStartWith(
  first: DockerProvider<Props>,
  provider: DockerProvider<Props>,
  worker: string
): Provider<Props> {
  let used = false;
  return {
    startInstance(ctx) {
      if (ctx.workerName !== worker || used) return provider.startInstance(ctx);
      used = true;
      return first.startInstance(ctx);
    },
    stopInstance: (ctx) => provider.stopInstance(ctx),
    checkInstance: (ctx) => provider.checkInstance(ctx),
    listInstances: (query) => provider.listInstances(query)
  };
}

/** A client of the daemon, or `DockerUnavailable` when dockerode (an optional peer) is missing. */
async function connect(socketPath: string | undefined): Promise<Dockerode> {
  try {
    return await connectDocker(socketPath);
  } catch (error) {
    throw new DockerUnavailable(
      '--provider docker needs the dockerode package: npm install dockerode@5',
      { cause: error }
    );
  }
}

const PING_TIMEOUT = 10_000;

async function ping(docker: Dockerode, socketPath: string | undefined): Promise<void> {
  // dockerode's ping takes an abort signal; its typings do not say so.
  const withSignal = docker.ping.bind(docker) as (opts: {
    abortSignal: AbortSignal;
  }) => Promise<unknown>;
  try {
    await withSignal({ abortSignal: AbortSignal.timeout(PING_TIMEOUT) });
  } catch (error) {
    const where =
      socketPath !== undefined ? `at ${socketPath}` : `at DOCKER_HOST=${process.env.DOCKER_HOST}`;
    throw new DockerUnavailable(
      `cannot reach the Docker daemon ${where}: ${reason(error)}\n` +
        "Start Docker (or Podman's service), point DOCKER_HOST or --docker-socket at its socket, " +
        'or run the demo on local processes: --provider process',
      { cause: error }
    );
  }
}

function reason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'no such socket';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'EACCES') return 'permission denied (is this user in the docker group?)';
  if ((error as Error).name === 'TimeoutError') return `no answer in ${PING_TIMEOUT / 1000} s`;
  return message;
}

/** The local agent image, saying that it is built and how long that took. */
async function buildImage(docker: Dockerode, log: (line: string) => void): Promise<string> {
  const began = Date.now();
  let built = false;
  const image = await localAgentImage(docker, {
    onBuild: (name) => {
      built = true;
      log(
        `building the agent image ${name} from this machine's node and latent-agent (no registry needed)...`
      );
    }
  });
  const took = ((Date.now() - began) / 1000).toFixed(1);
  log(
    built
      ? `built the agent image ${image} in ${took} s`
      : `using the agent image ${image}, built by an earlier run`
  );
  return image;
}

const tagged = <S extends 'process' | 'docker'>(
  source: S,
  events$: Observable<Extract<DemoEvent, { source: S }>['event']>
) => events$.pipe(map((event) => ({ source, event }) as DemoEvent));
