import { LatentWorkerCannotSubstantiate } from '../../../src/index.js';
import { ControllableProvider } from '../../../src/testing.js';
import { describeProviderConformance } from '../conformance.js';

type Props = Record<string, unknown>;

/** The fake instance, driven by itself: it starts and stops at once. */
const provider = (options: { crashed?: boolean } = {}) => {
  const fake = new ControllableProvider<Props>({ autoStart: true, autoStop: true });
  fake.crashed = options.crashed ?? false;
  return fake;
};

describeProviderConformance<Props>('ControllableProvider', {
  agent: false,
  concurrent: false, // one instance at a time, as Buildbot's ControllableLatentWorker
  provider: () => provider(),
  exists: async (fake, { instanceName }) => {
    const { state, lastStart } = fake as ControllableProvider<Props>;
    return state !== 'stopped' && lastStart?.instanceName === instanceName;
  },
  kill: async (fake) => {
    (fake as ControllableProvider<Props>).state = 'stopped';
  },
  dying: () => ({ provider: provider({ crashed: true }), message: /the instance crashed/ }),
  badRequest: () => {
    const fake = new ControllableProvider<Props>({ autoStop: true });
    const start = fake.startInstance.bind(fake);
    fake.startInstance = (ctx) => {
      const started = start(ctx);
      fake.completeStart(new LatentWorkerCannotSubstantiate('no such image'));
      return started;
    };
    return { provider: fake };
  }
});
