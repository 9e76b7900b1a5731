import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { latentWorkerMachine } from '../../src/index.js';
import { lifecycleDoc } from './lifecycleDoc.js';

const DOC = new URL('../../docs/lifecycle.md', import.meta.url);

test('docs/lifecycle.md is the specification of the machine as it is', () => {
  const generated = lifecycleDoc(latentWorkerMachine);
  // UPDATE_DOCS=1 rewrites the document (as fast-check's snapshots do); review the diff.
  if (process.env.UPDATE_DOCS) writeFileSync(DOC, generated);
  const written = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '(missing)';
  expect(
    written,
    'docs/lifecycle.md is stale: run UPDATE_DOCS=1 npx vitest run test/machines/lifecycleDoc.test.ts'
  ).toBe(generated);
});
