import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { localAgentImage, removeLabelled } from '../../src/cli/agentImage.js';
import { builtAgent } from '../runtime/hub/builtAgent.js';

/** The label on everything a test makes on a daemon, which the global teardown removes. */
export const TEST_LABEL = 'latent-workers.test';

/** A container engine the tests may use. */
export interface TestDaemon {
  engine: 'docker' | 'podman';
  socketPath: string;
}

/**
 * The engines named by `LW_TEST_DOCKER` and `LW_TEST_PODMAN` (a socket path or a
 * `unix://` URL). `.ci/run` starts both and sets `LW_TEST_REQUIRE_ENGINES=1`, which turns
 * a missing one into a failure: only on a developer's machine without them are the tests skipped.
 */
export function testDaemons(): { daemons: TestDaemon[]; missing: string[]; required: boolean } {
  const daemons: TestDaemon[] = [];
  const missing: string[] = [];
  for (const [engine, variable] of [
    ['docker', 'LW_TEST_DOCKER'],
    ['podman', 'LW_TEST_PODMAN']
  ] as const) {
    const value = process.env[variable];
    if (value) daemons.push({ engine, socketPath: value.replace(/^unix:\/\//, '') });
    else missing.push(`${variable} (${engine})`);
  }
  return { daemons, missing, required: process.env.LW_TEST_REQUIRE_ENGINES === '1' };
}

export function client({ socketPath }: TestDaemon): Docker {
  return new Docker({ socketPath });
}

/** The image of the built package's `latent-agent`, labelled for the teardown (`localAgentImage`). */
export function agentImage(daemon: TestDaemon): Promise<string> {
  const [, agent] = builtAgent() as [string, string];
  return localAgentImage(client(daemon), { agent, labels: { [TEST_LABEL]: '1' } });
}

/** Removes every container, volume and image carrying the test label from `daemon`. */
export function removeTestObjects(daemon: TestDaemon): Promise<void> {
  return removeLabelled(client(daemon), TEST_LABEL);
}

/**
 * Defines `suite` once per engine the environment names, inside a `describe` titled with it.
 * An engine that is not named is a skipped test that says which variable is missing, or, where
 * engines are required (CI), a failing one.
 */
export function describeEngines(title: string, suite: (daemon: TestDaemon) => void): void {
  const { daemons, missing, required } = testDaemons();
  for (const daemon of daemons) describe(`${title} on ${daemon.engine}`, () => suite(daemon));
  if (missing.length === 0) return;
  describe(title, () => {
    const reason = `not set: ${missing.join(', ')}`;
    if (required) it(`needs engines, ${reason}`, () => expect.fail(`required engines ${reason}`));
    else it.skip(`skipped: ${reason}`, () => undefined);
  });
}
