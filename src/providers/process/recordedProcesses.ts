import { environmentOf, scanEnvironments } from './findProcessGroups.js';
import type { InstanceRecord } from './instanceRecords.js';
import { isRunning } from './processIdentity.js';

/** Whether the record's process group leader still runs: the same process, not a reused pid. */
export function leaderRuns(record: InstanceRecord): boolean {
  return record.leader !== undefined && isRunning(record.leader);
}

/**
 * Whether the record's leader runs with `environment` (`undefined`: without that variable), as
 * it was started: the test of an instance that an earlier orchestrator left, before adopting it.
 */
export async function leaderRunsWith(
  record: InstanceRecord,
  environment: Readonly<Record<string, string | undefined>>
): Promise<boolean> {
  const { leader } = record;
  if (!leader || !isRunning(leader)) return false;
  const environ = await environmentOf(leader.pid);
  const names = new Set([...environ].map((entry) => entry.slice(0, entry.indexOf('='))));
  const matches = Object.entries(environment).every(([name, value]) =>
    value === undefined ? !names.has(name) : environ.has(`${name}=${value}`)
  );
  // Read from the same process, not from one that got its pid meanwhile.
  return matches && isRunning(leader);
}

/** How {@link runningInstances} names an instance. */
export function instanceKey(instanceName: string, hubUrl: string): string {
  return JSON.stringify([instanceName, hubUrl]);
}

/**
 * The instances some process of this user runs for (its `LATENT_INSTANCE_NAME` and
 * `LATENT_HUB_URL`), as {@link instanceKey}s: one read of `/proc` for any number of records.
 * Linux only: elsewhere, none.
 */
export async function runningInstances(): Promise<Set<string>> {
  const found = await scanEnvironments((environ) => {
    let name: string | undefined;
    let hubUrl: string | undefined;
    for (const entry of environ) {
      if (entry.startsWith('LATENT_INSTANCE_NAME=')) name = entry.slice(21);
      else if (entry.startsWith('LATENT_HUB_URL=')) hubUrl = entry.slice(15);
    }
    return name !== undefined && hubUrl !== undefined ? instanceKey(name, hubUrl) : undefined;
  });
  return new Set(found.map(({ picked }) => picked));
}
