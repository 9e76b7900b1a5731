import { filter, firstValueFrom } from 'rxjs';
import { beforeAll, describe, it } from 'vitest';
import { DockerProvider } from '../../../src/docker.js';
import { agentImage, client, TEST_LABEL, testDaemons } from '../../support/docker.js';
import { describeProviderConformance } from '../conformance.js';
import { isNotFound } from '../../../src/providers/docker/dockerErrors.js';

type Props = Record<string, unknown>;

const { daemons, missing, required } = testDaemons();

for (const daemon of daemons) {
  let image = '';
  beforeAll(async () => void (image = await agentImage(daemon)), 120_000);
  const docker = client(daemon);
  const provider = (hubUrl: string, options: { image?: string } = {}) =>
    new DockerProvider<Props>({
      image: options.image ?? image,
      hubUrl,
      socketPath: daemon.socketPath,
      labels: { [TEST_LABEL]: '1' },
      stopGracePeriod: 2_000
    });
  describeProviderConformance<Props>(`DockerProvider on ${daemon.engine}`, {
    agent: true,
    timeout: 60_000,
    provider: (hubUrl) => provider(hubUrl),
    exists: async (_, { instanceName }) => {
      try {
        await docker.getContainer(instanceName).inspect();
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    kill: async (_, { instanceName }) => {
      await docker.getContainer(instanceName).remove({ force: true });
    },
    // The agent refuses a hub URL that is not ws:// or wss:// and exits 2, saying so.
    dying: () => ({
      provider: provider('http://not-a-hub/'),
      message: /exited with code 2[\s\S]*ws:\/\/ or wss:\/\//
    }),
    badRequest: (hubUrl) => ({
      provider: provider(hubUrl, { image: 'localhost/latent-no-such-image:1' })
    }),
    midStart: (started) =>
      firstValueFrom(
        (started as DockerProvider<Props>).events$.pipe(filter((event) => event.type === 'created'))
      ).then(() => undefined)
  });
}

if (missing.length > 0) {
  describe('DockerProvider conformance on every engine', () => {
    const reason = `not set: ${missing.join(', ')}`;
    if (required)
      it(`needs ${reason}`, () => Promise.reject(new Error(`required engines ${reason}`)));
    else it.skip(`skipped: ${reason}`, () => undefined);
  });
}
