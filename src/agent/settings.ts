import { isLoopback } from '../protocol.js';
import type { AgentOptions } from './agent.js';

/** The agent's flags; each has a `LATENT_*` variable, which the flag overrides. */
export const USAGE = `Usage: latent-agent [options]

Connect this machine to a latent-workers agent hub and run its commands.

Options (each flag overrides its environment variable):
  --hub <url>               hub URL, ws:// or wss://            LATENT_HUB_URL
  --name <worker>           worker name                         LATENT_WORKER_NAME
  --password <password>     password of this start (prefer the  LATENT_WORKER_PASSWORD
                            variable: flags are visible in ps)
  --fingerprint <sha256>    pin the hub's TLS certificate       LATENT_HUB_FINGERPRINT
  --give-up-after <seconds> exit when not welcomed this long    LATENT_GIVE_UP_AFTER
                            (default 60)
  --on-give-up <command>    run through /bin/sh when the agent  LATENT_ON_GIVE_UP
                            ends on its own (e.g. poweroff)
  --allow-plaintext         send the password unencrypted to a  LATENT_ALLOW_PLAINTEXT=1
                            ws:// hub that is not on loopback
  -h, --help                show this help
  -V, --version             show the version

Exit codes: 0 released by the hub or stopped by a signal, 2 bad usage, 3 refused by the hub,
4 gave up, 5 the hub's certificate is not the pinned one.
`;

/** A flag or variable is missing or malformed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface AgentFlags {
  hub?: string | undefined;
  name?: string | undefined;
  password?: string | undefined;
  fingerprint?: string | undefined;
  'give-up-after'?: string | undefined;
  'on-give-up'?: string | undefined;
  'allow-plaintext'?: boolean | undefined;
}

export type AgentSettings = Omit<AgentOptions, 'log'> & { onGiveUp?: string };

/** Variables that hold a credential: read by the agent, never passed on to its commands. */
const SECRETS = ['LATENT_WORKER_PASSWORD'];

/** 32 bytes in hex, colon-separated or run together. */
const FINGERPRINT = /^[0-9a-f]{2}(?:(?::[0-9a-f]{2}){31}|[0-9a-f]{62})$/i;

/** The agent's options from its flags and environment; a `UsageError` says what is wrong. */
export function agentSettings(flags: AgentFlags, env: NodeJS.ProcessEnv): AgentSettings {
  const hubUrl = flags.hub ?? env.LATENT_HUB_URL;
  const worker = flags.name ?? env.LATENT_WORKER_NAME;
  const password = flags.password ?? env.LATENT_WORKER_PASSWORD;
  if (!hubUrl || !worker || password === undefined) {
    throw new UsageError('the hub URL, the worker name and the password are required');
  }
  let url: URL;
  try {
    url = new URL(hubUrl);
  } catch {
    throw new UsageError(`the hub URL ${JSON.stringify(hubUrl)} is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`the hub URL must be ws:// or wss://, got ${hubUrl}`);
  }
  const allowPlaintext = flags['allow-plaintext'] ?? env.LATENT_ALLOW_PLAINTEXT === '1';
  if (url.protocol === 'ws:' && !isLoopback(url.hostname) && !allowPlaintext) {
    throw new UsageError(
      `${hubUrl} is not on loopback: the password would cross the network in plain text ` +
        '(use a wss:// hub, or --allow-plaintext)'
    );
  }
  const fingerprint = normalizeFingerprint(flags.fingerprint ?? env.LATENT_HUB_FINGERPRINT);
  if (fingerprint && url.protocol !== 'wss:') {
    throw new UsageError(`a fingerprint pins a TLS certificate: the hub URL must be wss://`);
  }
  const giveUpAfter = Number(flags['give-up-after'] ?? env.LATENT_GIVE_UP_AFTER ?? 60);
  if (!Number.isFinite(giveUpAfter) || giveUpAfter <= 0) {
    throw new UsageError('--give-up-after expects a positive number of seconds');
  }
  const onGiveUp = flags['on-give-up'] ?? env.LATENT_ON_GIVE_UP;
  const commandEnv = { ...env };
  for (const name of SECRETS) delete commandEnv[name];
  return {
    hubUrl,
    worker,
    password,
    giveUpAfter: giveUpAfter * 1000,
    commandEnv,
    ...(fingerprint ? { fingerprint } : {}),
    ...(onGiveUp ? { onGiveUp } : {})
  };
}

/**
 * `AB:CD:…` (what Node's `fingerprint256` and `openssl x509 -fingerprint -sha256` print), in
 * either case, with or without the colons.
 */
function normalizeFingerprint(text: string | undefined): string | undefined {
  if (!text) return undefined;
  if (!FINGERPRINT.test(text)) {
    throw new UsageError(`the fingerprint must be a SHA-256 one, 32 hex bytes; got ${text}`);
  }
  return text.replace(/:/g, '').toUpperCase().match(/../g)!.join(':');
}
