/**
 * `latent-agent`: the program a worker's instance runs, on this machine or any other. It dials
 * the agent hub as the worker named by `--name`/`LATENT_WORKER_NAME` with the password of the
 * current start (`LATENT_WORKER_PASSWORD`; a `--password` flag is visible in `ps`), runs the
 * commands the hub sends, and ends as `AgentExitCode` says. Its `--help` (`USAGE`) is its manual.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { AgentExitCode, startAgent, type AgentExit } from './agent.js';
import { agentSettings, UsageError, USAGE } from './settings.js';

/** Set by the single-file build; the unbundled module reports no version. */
declare const LATENT_AGENT_VERSION: string | undefined;

// The orchestrator that spawned a local agent may be gone with the read end of stderr: a broken
// pipe must not kill the agent before it has killed its commands and given up on purpose.
process.stderr.on('error', () => undefined);

let settings;
try {
  const { values } = parseArgs({
    options: {
      hub: { type: 'string' },
      name: { type: 'string' },
      password: { type: 'string' },
      fingerprint: { type: 'string' },
      'give-up-after': { type: 'string' },
      'on-give-up': { type: 'string' },
      'allow-plaintext': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' }
    },
    strict: true
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(AgentExitCode.done);
  }
  if (values.version) {
    const version = typeof LATENT_AGENT_VERSION === 'string' ? LATENT_AGENT_VERSION : 'unbundled';
    process.stdout.write(`${version}\n`);
    process.exit(AgentExitCode.done);
  }
  settings = agentSettings(values, process.env);
} catch (error) {
  const message = error instanceof UsageError || isParseError(error) ? error.message : error;
  process.stderr.write(`latent-agent: ${String(message)}\n\n${USAGE}`);
  process.exit(AgentExitCode.usage);
}

const { onGiveUp, ...options } = settings;
const log = (line: string) => process.stderr.write(`latent-agent ${options.worker}: ${line}\n`);
const agent = startAgent({ ...options, log });
// Whatever ends this process, its commands end with it (SIGKILL cannot be caught: the
// provider's stop kills the commands' groups too).
process.on('exit', () => agent.killCommandsNow());
// `on`, not `once`: a second signal during the stop must not kill the agent by default,
// before it has killed its commands.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => void agent.stop());
}
const exit = await agent.done;
log(exit.reason);
if (onGiveUp && endedOnItsOwn(exit)) runOnGiveUp(onGiveUp, options.commandEnv);
process.exit(exit.code);

/** Not released by its hub nor stopped by a signal: nobody else will stop this machine. */
function endedOnItsOwn(exit: AgentExit): boolean {
  return exit.code !== AgentExitCode.done;
}

/** `--on-give-up`, through the shell, bounded so that a hung command cannot keep us alive. */
function runOnGiveUp(command: string, env: NodeJS.ProcessEnv): void {
  log(`running --on-give-up: ${command}`);
  const result = spawnSync('/bin/sh', ['-c', command], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 60_000
  });
  const how = result.error
    ? result.error.message
    : result.signal
      ? `killed by ${result.signal}`
      : `exit code ${result.status}`;
  log(`--on-give-up ended: ${how}`);
}

function isParseError(error: unknown): error is Error {
  return (
    error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')
  );
}
