import { readdir, readFile } from 'node:fs/promises';
import { filter, firstValueFrom } from 'rxjs';
import { beforeAll, expect, vi } from 'vitest';
import { ProcessProvider } from '../../../src/process.js';
import { builtAgent } from '../../runtime/hub/builtAgent.js';
import { describeProviderConformance } from '../conformance.js';
import { isAlive } from './support.js';

type Props = Record<string, unknown>;

beforeAll(() => void builtAgent(), 120_000);

/** The live processes whose environment carries `LATENT_INSTANCE_NAME=<name>`, read off /proc. */
async function processesOf(instanceName: string): Promise<number[]> {
  const entry = `LATENT_INSTANCE_NAME=${instanceName}`;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const found: number[] = [];
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(entry) && isAlive(pid)) found.push(pid);
  }
  return found;
}

const provider = (hubUrl: string, command = builtAgent()) =>
  new ProcessProvider<Props>({ hubUrl, command, stopGracePeriod: 2_000 });

describeProviderConformance<Props>('ProcessProvider', {
  agent: true,
  provider: (hubUrl) => provider(hubUrl),
  exists: async (_, { instanceName }) => (await processesOf(instanceName)).length > 0,
  kill: async (_, { instanceName }) => {
    for (const pid of await processesOf(instanceName)) process.kill(pid, 'SIGKILL');
    await vi.waitFor(async () => expect(await processesOf(instanceName)).toEqual([]));
  },
  // The agent refuses a hub URL that is not ws:// or wss:// and exits 2, saying so on stderr.
  dying: () => ({ provider: provider('http://not-a-hub/'), message: /ws:\/\/ or wss:\/\// }),
  badRequest: (hubUrl) => ({ provider: provider(hubUrl, ['/nonexistent/latent-agent']) }),
  midStart: (started) =>
    firstValueFrom(
      (started as ProcessProvider<Props>).events$.pipe(filter((event) => event.type === 'spawned'))
    ).then(() => undefined)
});
