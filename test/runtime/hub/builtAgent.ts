import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;
const sources = ['src/runtime/hub', 'src/version.ts'];

/**
 * The argv of a real `latent-agent` for tests: the agent compiled with tsc once per version
 * of its sources (vitest runs TypeScript in-process, but an instance is a separate `node`).
 * Parallel test files may race to compile; the first rename wins and the others reuse it.
 */
export function builtAgent(): string[] {
  const out = join(root, 'node_modules/.cache/latent-agent', sourceHash());
  const main = join(out, 'src/runtime/hub/agent/main.js');
  if (!existsSync(main)) {
    const scratch = `${out}.${process.pid}`;
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        ...['--outDir', scratch, '--rootDir', root, '--module', 'nodenext'],
        ...['--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck'],
        ...['--types', 'node', join(root, 'src/runtime/hub/agent/main.ts')]
      ],
      { cwd: root, stdio: 'inherit' }
    );
    try {
      renameSync(scratch, out);
    } catch {
      rmSync(scratch, { recursive: true, force: true }); // another file's build won
    }
  }
  return [process.execPath, main];
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (path: string): void => {
    if (path.endsWith('.ts')) hash.update(path).update(readFileSync(join(root, path)));
    else for (const entry of readdirSync(join(root, path)).sort()) walk(`${path}/${entry}`);
  };
  for (const path of sources) walk(path);
  return hash.digest('hex').slice(0, 16);
}
