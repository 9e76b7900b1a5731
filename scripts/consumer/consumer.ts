// A user's code, type-checked against the packed package by `npm run test:types`; never run.
// It names no type parameter where the API has a default.
import {
  createFleet,
  createLatentWorker,
  LatentWorkerFailedToSubstantiate,
  type BuildOutcome,
  type Fleet,
  type FleetEvent,
  type LatentWorker,
  type Provider,
  type StartContext,
  type WorkerEvent,
  type WorkerStatus
} from 'latent-workers';
import {
  ControllableProvider,
  type ControllableProviderOptions,
  type InstanceState
} from 'latent-workers/testing';
import {
  AGENT_COMMAND,
  CloseCode,
  createAgentHub,
  isCommandRunner,
  ProcessProvider,
  type AgentHub,
  type AgentHubOptions,
  type ExecResult,
  type HubEvent,
  type ProcessEvent
} from 'latent-workers/process';
import {
  DockerProvider,
  type DockerEvent,
  type DockerProviderOptions
} from 'latent-workers/docker';

const provider: Provider = {
  startInstance({ workerName, instanceName, signal }: StartContext) {
    return !signal.aborted && instanceName.startsWith(workerName);
  },
  stopInstance() {}
};

const options: ControllableProviderOptions = { autoStart: true, autoStop: true };
const controllable = new ControllableProvider(options);
const state: InstanceState = controllable.state;

const hubOptions: AgentHubOptions = { heartbeatInterval: 5_000 };
const hub: AgentHub = await createAgentHub(hubOptions);
const processes = new ProcessProvider({ hubUrl: hub.url, command: [...AGENT_COMMAND] });

const dockerOptions: DockerProviderOptions<{ image?: string }> = {
  image: (props) => props?.image ?? 'registry.example/latent-agent:1',
  hubUrl: hub.url,
  mounts: [{ source: '/srv/cache', target: '/cache', readOnly: true }],
  hostConfig: { ShmSize: 1 << 28 }
};
const containers = new DockerProvider(dockerOptions);
containers.events$.subscribe((event: DockerEvent) => event.type);

const workers: LatentWorker[] = [
  provider,
  controllable,
  processes,
  new DockerProvider({ image: 'a', hubUrl: hub.url })
].map((provider, i) => createLatentWorker({ name: `w${i}`, provider }));
workers.forEach((worker) => hub.add(worker));
const status: WorkerStatus = workers[0].status;

const fleet: Fleet = createFleet({ workers, maxConcurrentStarts: 2 });
const { outcome } = fleet.submit({
  props: { image: 'node:20' },
  async run(lease) {
    const result: ExecResult = await lease.exec('node', ['--version'], { signal: lease.signal });
    return result.exitCode === 0 ? 'success' : 'failure';
  }
});
const done: BuildOutcome = await outcome;

const describe = (event: WorkerEvent | FleetEvent | HubEvent | ProcessEvent): string => event.type;
workers[0].events$.subscribe((event) => describe(event));
hub.events$.subscribe((event) => describe(event));

const refused: number = CloseCode.unauthorized;
const failed = (error: unknown): boolean =>
  LatentWorkerFailedToSubstantiate.is(error) && error.reason === 'timedOut';
const runsCommands: boolean = isCommandRunner(undefined);

export { containers, done, failed, refused, runsCommands, state, status };
