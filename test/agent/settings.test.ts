import { describe, expect, it } from 'vitest';
import { agentSettings, UsageError, type AgentFlags } from '../../src/agent/settings.js';

const env = {
  LATENT_HUB_URL: 'ws://127.0.0.1:9000',
  LATENT_WORKER_NAME: 'w1',
  LATENT_WORKER_PASSWORD: 'pw'
};
const hex = 'ab'.repeat(32);
const pinned = Array(32).fill('AB').join(':');

/** The settings of these flags over `env`, or the usage error's message. */
function settle(flags: AgentFlags, environment: NodeJS.ProcessEnv = env) {
  try {
    return agentSettings(flags, environment);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

describe('agentSettings', () => {
  it('reads the environment, flags override it, and the commands get it without the password', () => {
    expect(settle({ name: 'w2', 'give-up-after': '1.5' }, { ...env, OTHER: 'x' })).toEqual({
      hubUrl: env.LATENT_HUB_URL,
      worker: 'w2',
      password: 'pw',
      giveUpAfter: 1_500,
      commandEnv: { LATENT_HUB_URL: env.LATENT_HUB_URL, LATENT_WORKER_NAME: 'w1', OTHER: 'x' }
    });
    expect(
      settle({}, { ...env, LATENT_GIVE_UP_AFTER: '2', LATENT_ON_GIVE_UP: 'poweroff' })
    ).toMatchObject({ giveUpAfter: 2_000, onGiveUp: 'poweroff' });
    expect(settle({})).toMatchObject({ giveUpAfter: 60_000 });
  });

  it.each([
    ['no hub', { LATENT_HUB_URL: undefined }, {}, /hub URL, the worker name and the password/],
    ['no name', { LATENT_WORKER_NAME: undefined }, {}, /are required/],
    ['no password', { LATENT_WORKER_PASSWORD: undefined }, {}, /are required/],
    ['another scheme', {}, { hub: 'hub:9000' }, /must be ws:\/\/ or wss:\/\/, got hub:9000/],
    ['not a URL', {}, { hub: '127.0.0.1:9000' }, /"127.0.0.1:9000" is not a URL/],
    ['an http URL', {}, { hub: 'http://127.0.0.1:9000' }, /must be ws:\/\/ or wss:\/\//],
    ['plain text off loopback', {}, { hub: 'ws://10.0.0.2:9000' }, /not on loopback/],
    ['a short fingerprint', {}, { hub: 'wss://h', fingerprint: 'AB:CD' }, /32 hex bytes/],
    ['a fingerprint and a digit', {}, { hub: 'wss://h', fingerprint: `${hex}a` }, /32 hex bytes/],
    ['a fingerprint, not hex', {}, { hub: 'wss://h', fingerprint: 'xy'.repeat(32) }, /32 hex/],
    ['a fingerprint with ws://', {}, { fingerprint: hex }, /the hub URL must be wss:\/\//],
    ['no seconds', {}, { 'give-up-after': 'soon' }, /positive number of seconds/],
    ['no time', {}, { 'give-up-after': '0' }, /positive number of seconds/]
  ])('refuses %s', (_, variables, flags: AgentFlags, message) => {
    expect(settle(flags, { ...env, ...variables })).toMatch(message);
  });

  it('sends the password in plain text off loopback only when allowed', () => {
    const hub = 'ws://10.0.0.2:9000';
    expect(settle({ hub, 'allow-plaintext': true })).toMatchObject({ hubUrl: hub });
    expect(settle({ hub }, { ...env, LATENT_ALLOW_PLAINTEXT: '1' })).toMatchObject({ hubUrl: hub });
    for (const loopback of ['ws://localhost:1', 'ws://127.1.2.3:1', 'ws://[::1]:1']) {
      expect(settle({ hub: loopback })).toMatchObject({ hubUrl: loopback });
    }
  });

  it('normalises a fingerprint to upper case with colons, as Node reports it', () => {
    const hub = 'wss://hub.example:9000';
    for (const fingerprint of [hex, hex.toUpperCase(), pinned, pinned.toLowerCase()]) {
      expect(settle({ hub, fingerprint })).toMatchObject({ fingerprint: pinned });
    }
    expect(settle({ hub }, { ...env, LATENT_HUB_FINGERPRINT: hex })).toMatchObject({
      fingerprint: pinned
    });
  });
});
