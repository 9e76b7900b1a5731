import { join } from 'node:path';
import { builtPackage } from '../../support/builtPackage.js';

/**
 * The argv of a real `latent-agent` for tests: the single-file agent of the built package
 * (vitest runs TypeScript in-process, but an instance is a separate `node`).
 */
export function builtAgent(): string[] {
  const [pkg] = builtPackage() as [string];
  return [process.execPath, join(pkg, 'dist/agent/latent-agent.mjs')];
}
