import type { CheckContext, CheckResult } from '../../../src/index.js';
import type { Harness } from '../../support/harness.js';

/**
 * Makes the harness's health checks stay pending until the test answers them, so that
 * events can arrive while `checkInstance` runs.
 */
export function holdChecks(h: Harness) {
  const held: { resolve(result: CheckResult): void; signal: AbortSignal } = {
    resolve: () => {
      throw new Error('holdChecks: no check is running');
    },
    signal: AbortSignal.abort()
  };
  h.provider.checkInstance = ((ctx: CheckContext) => {
    h.provider.checks++;
    held.signal = ctx.signal;
    return new Promise<CheckResult>((resolve) => (held.resolve = resolve));
  }) as unknown as typeof h.provider.checkInstance;
  return held;
}
