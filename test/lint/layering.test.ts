import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

// The project's eslint.config.js, minus type information: the snippets below live at paths
// no tsconfig has, and the layering rules are syntactic.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }
});

/** The rule ids ESLint reports for `code` as if it were the file at `path`. */
async function lint(path: string, code: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result!.messages.map((message) => message.ruleId);
}

const STATE_VALUE_READS = `
export const a = snapshot.matches({ instance: 'idle' });
export const b = actor.getSnapshot().matches('substantiated');
export const c = snapshot.value.instance;
export const d = actor.getSnapshot().value.availability;
export const { instance } = snapshot.value;
export const { value: { availability } } = snapshot;
`;

describe('the layering rules', () => {
  it('a provider imports no runtime internals, types included', async () => {
    const code = `
      import { resolveOptions } from '../../runtime/options.js';
      import type { LatentWorker } from '../../runtime/createLatentWorker.js';
      export type { LatentWorker };
      export { resolveOptions };
    `;
    expect(await lint('src/providers/docker/dockerProvider.ts', code)).toEqual([
      'no-restricted-imports',
      'no-restricted-imports'
    ]);
  });

  it('a provider may use the contract, the chart and the errors', async () => {
    const code = `
      import type { Provider } from '../provider.js';
      import type { Connection } from '../../machines/latentWorker/types.js';
      import { LatentWorkerCannotSubstantiate } from '../../errors.js';
      export type { Connection, Provider };
      export { LatentWorkerCannotSubstantiate };
    `;
    expect(await lint('src/providers/docker/dockerProvider.ts', code)).toEqual([]);
  });

  it('outside the chart, nothing reads its state value or calls matches()', async () => {
    for (const path of ['src/runtime/fleet/pool.ts', 'src/runtime/hub/x.ts', 'src/cli/x.ts']) {
      expect(await lint(path, STATE_VALUE_READS)).toEqual(Array(6).fill('no-restricted-syntax'));
    }
  });

  it('the chart itself and the tests may', async () => {
    expect(await lint('src/machines/latentWorker/guards.ts', STATE_VALUE_READS)).toEqual([]);
    expect(await lint('test/runtime/x.test.ts', STATE_VALUE_READS)).toEqual([]);
  });

  it('the sanctioned way passes: tags and the snapshot helpers', async () => {
    const code = `
      export const live = snapshot.hasTag('live') && !snapshot.hasTag('cancelling');
      export const idle = instanceStateOf(snapshot) === 'idle';
      export const available = availabilityOf(snapshot) === 'available';
      export const { value } = snapshot;
    `;
    expect(await lint('src/runtime/x.ts', code)).toEqual([]);
  });

  it('the demo imports the package entries only', async () => {
    const code = `
      import { createFleet } from '../runtime/fleet/createFleet.js';
      import { ProcessProvider } from '../providers/process/processProvider.js';
      import { createLatentWorker } from '../index.js';
      import { createAgentHub } from '../process.js';
      export { createAgentHub, createFleet, createLatentWorker, ProcessProvider };
    `;
    expect(await lint('src/cli/x.ts', code)).toEqual([
      'no-restricted-imports',
      'no-restricted-imports'
    ]);
  });

  it('the chart stays pure', async () => {
    const code = `
      import { readFileSync } from 'node:fs';
      import { createFleet } from '../../runtime/fleet/createFleet.js';
      export { createFleet, readFileSync };
    `;
    expect(await lint('src/machines/latentWorker/x.ts', code)).toEqual([
      'no-restricted-imports',
      'no-restricted-imports'
    ]);
  });
});
