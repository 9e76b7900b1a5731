/**
 * `latent-agent`: the program a worker's instance runs. It dials the agent hub as the worker
 * named by `--name`/`LATENT_WORKER_NAME` with the password of the current start
 * (`--password`/`LATENT_WORKER_PASSWORD`; prefer the environment, flags are visible in `ps`).
 */
import { Command, InvalidArgumentError } from 'commander';
import { packageVersion } from '../../../version.js';
import { startAgent } from './agent.js';

const seconds = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected a positive number of seconds');
  }
  return parsed;
};

const program = new Command('latent-agent')
  .description('Connect this machine to a latent-workers agent hub and run its commands.')
  .version(packageVersion())
  .option('--hub <url>', 'hub URL, e.g. ws://127.0.0.1:9000 (env LATENT_HUB_URL)')
  .option('--name <worker>', 'worker name (env LATENT_WORKER_NAME)')
  .option('--password <password>', 'password of this start (env LATENT_WORKER_PASSWORD)')
  .option('--give-up-after <seconds>', 'exit when the hub cannot be reached this long', seconds, 60)
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

const flags = program.opts<{
  hub?: string;
  name?: string;
  password?: string;
  giveUpAfter: number;
}>();
const { env } = process;
const hubUrl = flags.hub ?? env.LATENT_HUB_URL;
const worker = flags.name ?? env.LATENT_WORKER_NAME;
const password = flags.password ?? env.LATENT_WORKER_PASSWORD;
if (!hubUrl || !worker || password === undefined) {
  program.error('latent-agent: the hub URL, the worker name and the password are required', {
    exitCode: 2
  });
}

const log = (line: string) => process.stderr.write(`latent-agent ${worker}: ${line}\n`);
const agent = startAgent({
  hubUrl: hubUrl!,
  worker: worker!,
  password: password!,
  giveUpAfter: flags.giveUpAfter * 1000,
  log
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void agent.stop());
}
const exit = await agent.done;
log(exit.reason);
process.exit(exit.code);
