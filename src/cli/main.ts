import { constants } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runDemo, UiUnavailable } from './demo.js';
import { INSPECTOR_UI, InspectorUnavailable, openInspector, type Inspector } from './inspector.js';
import { LiveView } from './liveView.js';
import {
  dockerInstances,
  DockerUnavailable,
  processInstances,
  type DemoInstances
} from './providers.js';
import { packageVersion } from '../version.js';
import { JsonView, LogView, type DemoView, type Output } from './views.js';

export interface CliIo {
  /** The user's arguments (without `node` and the script). */
  argv: readonly string[];
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Output;
  /**
   * Ctrl-C: the fleet is shut down and every instance stopped. A signal's name as the reason
   * (`'SIGTERM'`) makes the exit code 128 + its number, as a shell reports it; else 130.
   */
  signal?: AbortSignal;
  /** The agent the workers start. @default the built `latent-agent` */
  agentCommand?: readonly string[];
}

/**
 * Exit codes: 0 every build passed, 1 some failed, 2 usage error, 3 no Docker to run on
 * (`--provider docker`), 4 no port for the inspector or the live page, 128 + n interrupted by signal n (130 for
 * Ctrl-C).
 */
export const ExitCode = {
  ok: 0,
  buildFailures: 1,
  usage: 2,
  noDocker: 3,
  noPort: 4,
  interrupted: 130
} as const;

const EXIT_CODES_HELP = `
Exit codes:
  0    every build passed
  1    some build failed
  2    usage error
  3    --provider docker: the Docker daemon cannot be reached (or no image can be built)
  4    --inspect or --ui: its port is taken (or not allowed)
  130  interrupted (Ctrl-C); 143 on SIGTERM, 141 when stdout is closed (| head)`;

const integer = (min: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new InvalidArgumentError(`expected a whole number >= ${min}`);
  }
  return parsed;
};

const port = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new InvalidArgumentError('expected a port, 0 to 65535');
  }
  return parsed;
};

const seconds = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected a positive number of seconds');
  }
  return parsed;
};

interface Flags {
  workers: number;
  builds: number;
  idleTimeout: number;
  json?: boolean;
  /** `true` for `--inspect` without a port. */
  inspect?: true | number;
  /** `true` for `--ui` without a port. */
  ui?: true | number;
  stateDir?: string;
  provider: 'process' | 'docker';
  dockerSocket?: string;
  image?: string;
}

/** `DOCKER_HOST`'s unix socket, else Docker's usual one; undefined for a `tcp://` DOCKER_HOST. */
function defaultDockerSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/** The `npm start` demo's command line; resolves with the process exit code. */
export async function runCli(io: CliIo): Promise<number> {
  const program = new Command('latent-workers-demo')
    .description(
      'A fleet of workers takes a queue of builds: instances (local processes, or Docker\n' +
        'containers) start on demand, connect back to an agent hub, run real commands, fail\n' +
        'once, recover and stop when idle.'
    )
    .version(packageVersion())
    .addOption(
      new Option('--provider <provider>', 'where the instances run')
        .choices(['process', 'docker'])
        .default('process')
    )
    .option(
      '--docker-socket <path>',
      "the Docker daemon's socket (default: DOCKER_HOST, else /var/run/docker.sock)"
    )
    .option(
      '--image <ref>',
      'the image of the containers, whose entrypoint runs latent-agent (default: one built here from this node and latent-agent)'
    )
    .option('--workers <n>', 'workers in the fleet', integer(1), 4)
    .option('--builds <n>', 'builds in the queue', integer(0), 12)
    .option('--idle-timeout <seconds>', 'idle time before an instance is stopped', seconds, 2)
    .option('--json', 'machine-readable events, one JSON object per line')
    .option(
      '--state-dir <dir>',
      'keep a journal here: after a crash, the next run first stops (or adopts) what the last one left running'
    )
    .option(
      '--inspect [port]',
      `serve the Stately inspector on 127.0.0.1 (a free port unless given), until Ctrl-C; its UI is loaded from ${INSPECTOR_UI}`,
      port
    )
    .option(
      '--ui [port]',
      'serve a live page of the fleet on 127.0.0.1 (a free port unless given; no internet needed), until Ctrl-C',
      port
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text)
    });
  try {
    program.parse([...io.argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw error;
  }
  const flags = program.opts<Flags>();
  if (flags.provider !== 'docker' && (flags.dockerSocket || flags.image)) {
    io.stderr.write('error: --docker-socket and --image go with --provider docker\n');
    return ExitCode.usage;
  }
  let inspector: Inspector | undefined;
  if (flags.inspect !== undefined) {
    try {
      inspector = await openInspector(flags.inspect === true ? 0 : flags.inspect);
    } catch (error) {
      if (!(error instanceof InspectorUnavailable)) throw error;
      io.stderr.write(`error: ${error.message}\n`);
      return ExitCode.noPort;
    }
    io.stderr.write(
      `Stately inspector: open ${inspector.url} in a browser. Its UI is loaded from ${INSPECTOR_UI}\n` +
        '  and needs internet (offline, --ui shows the demo on a live page of its own).\n' +
        '  The demo goes on serving it after the builds, until Ctrl-C.\n'
    );
  }
  try {
    return await run(io, flags, inspector);
  } finally {
    await inspector?.close();
  }
}

/** The demo on the instances and into the view the flags choose; resolves with the exit code. */
async function run(io: CliIo, flags: Flags, inspector: Inspector | undefined): Promise<number> {
  let instances: DemoInstances;
  try {
    instances =
      flags.provider === 'docker'
        ? await dockerInstances({
            socketPath: flags.dockerSocket ?? defaultDockerSocket(),
            ...(flags.image ? { image: flags.image } : {}),
            log: (line) => void io.stderr.write(`${line}\n`)
          })
        : processInstances(io.agentCommand);
  } catch (error) {
    if (!(error instanceof DockerUnavailable)) throw error;
    io.stderr.write(`error: ${error.message}\n`);
    return ExitCode.noDocker;
  }
  const view: DemoView = flags.json
    ? new JsonView(io.stdout)
    : io.stdout.isTTY
      ? new LiveView(io.stdout)
      : new LogView(io.stdout);
  const ui = flags.ui === undefined ? undefined : flags.ui === true ? 0 : flags.ui;
  let summary;
  try {
    summary = await runDemo({
      workers: flags.workers,
      builds: flags.builds,
      idleTimeout: flags.idleTimeout * 1000,
      view,
      ...(io.signal ? { signal: io.signal } : {}),
      ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
      instances,
      ...(inspector ? { inspect: inspector.inspect } : {}),
      ...(ui === undefined
        ? {}
        : {
            ui: {
              port: ui,
              opened: (url: string) =>
                void io.stderr.write(
                  `Live page: open ${url} in a browser (served from here, no internet needed).\n` +
                    '  The demo goes on serving it after the builds, until Ctrl-C.\n'
                )
            }
          }),
      stayUntilAborted: inspector !== undefined || ui !== undefined
    });
  } catch (error) {
    if (!(error instanceof UiUnavailable)) throw error;
    io.stderr.write(`error: the live page cannot be served: ${error.message}\n`);
    return ExitCode.noPort;
  }
  if (summary.interrupted) return interruptedCode(io.signal?.reason);
  const bad = Object.keys(summary.results).some(
    (result) => !['success', 'warnings', 'skipped'].includes(result)
  );
  return bad ? ExitCode.buildFailures : ExitCode.ok;
}

/** 128 + the number of the signal named by the abort's reason, as a shell reports it. */
function interruptedCode(reason: unknown): number {
  const signal =
    typeof reason === 'string' ? constants.signals[reason as NodeJS.Signals] : undefined;
  return signal === undefined ? ExitCode.interrupted : 128 + signal;
}
