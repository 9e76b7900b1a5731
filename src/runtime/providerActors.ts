import { classifyStartResult } from '../machines/latentWorker/failures.js';
import type { CheckInput, StartInput, StopInput } from '../machines/latentWorker/machine.js';
import { fromProviderCall } from '../machines/latentWorker/providerCall.js';
import type { CheckResult, Provider } from '../providers/provider.js';
import type { Credentials } from './credentials.js';
import type { ProviderEvent } from './events.js';

type Report = (event: Omit<ProviderEvent, 'type' | 'worker'>) => void;

/**
 * The machine's `startInstance`/`stopInstance`/`checkInstance` actors for one provider: each
 * call is reported as a `provider` event before and after it runs.
 */
export function providerActors<P>(
  workerName: string,
  provider: Provider<P>,
  credentials: Credentials,
  report: Report
) {
  const track = async <T>(
    call: ProviderEvent['call'],
    run: () => PromiseLike<T> | T,
    ok: (out: T) => boolean
  ) => {
    report({ call, phase: 'begin', ok: true });
    try {
      const output = await run();
      report({ call, phase: 'end', ok: ok(output) });
      return output;
    } catch (error) {
      report({ call, phase: 'end', ok: false, error });
      throw error;
    }
  };
  const always = () => true;

  return {
    startInstance: fromProviderCall<unknown, StartInput>(({ input, signal }) =>
      track(
        'start',
        () =>
          provider.startInstance({
            workerName,
            // Made on first read: most instant providers never ask, and randomness is costly.
            get password() {
              return credentials.issue(input.generation);
            },
            props: input.props as P | undefined,
            signal
          }),
        (result) => classifyStartResult(result) === 'started'
      )
    ),
    stopInstance: fromProviderCall<void, StopInput>(async ({ input }) => {
      try {
        await track('stop', () => provider.stopInstance({ workerName, fast: input.fast }), always);
      } finally {
        credentials.revoke(input.generation);
      }
    }),
    checkInstance: fromProviderCall<CheckResult, CheckInput>(({ signal }) =>
      track(
        'check',
        () => provider.checkInstance?.({ workerName, signal }) ?? { isGood: true },
        (result) => result?.isGood === true
      )
    )
  };
}
