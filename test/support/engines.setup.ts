import { removeTestObjects, testDaemons } from './docker.js';

/**
 * Vitest's global setup: after the whole run, every container, volume and image the tests made
 * on a container engine (all carry the test label) is removed, also after a failed test.
 */
export async function teardown(): Promise<void> {
  for (const daemon of testDaemons().daemons) await removeTestObjects(daemon);
}
