import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * A drift test of a generated file: it must hold `generated`. With UPDATE_DOCS=1 it is
 * rewritten first (as fast-check's snapshots are); review the diff. `testFile` is the test to
 * run to regenerate it, named in the failure.
 */
export function expectGenerated(file: URL, generated: string, testFile: string): void {
  if (process.env.UPDATE_DOCS) writeFileSync(file, generated);
  const written = existsSync(file) ? readFileSync(file, 'utf8') : '(missing)';
  const name = file.pathname.split('/').slice(-2).join('/');
  expect(written, `${name} is stale: run UPDATE_DOCS=1 npx vitest run ${testFile}`).toBe(generated);
}
