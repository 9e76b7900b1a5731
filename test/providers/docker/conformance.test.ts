import { filter, firstValueFrom } from 'rxjs';
import { beforeAll } from 'vitest';
import { DockerProvider } from '../../../src/docker.js';
import { agentImage, client, describeEngines, TEST_LABEL } from '../../support/docker.js';
import { describeProviderConformance } from '../conformance.js';
import { isNotFound } from '../../../src/providers/docker/dockerErrors.js';

type Props = Record<string, unknown>;

describeEngines('DockerProvider', (daemon) => {
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
  describeProviderConformance<Props>('DockerProvider', {
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
});
