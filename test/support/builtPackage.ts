import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/**
 * The package's `src/` compiled with tsc into `copies` separate folders under
 * `node_modules/.cache` (so that they resolve the project's dependencies), once per version of
 * the sources: the same package loaded from two paths, as two copies in one dependency tree are.
 * Returns the path of each copy's `src/index.js`.
 */
export function builtPackage(copies: number): string[] {
  const base = join(root, 'node_modules/.cache/latent-workers-build', sourceHash());
  const build = join(base, 'build');
  if (!existsSync(build)) {
    const scratch = `${build}.${process.pid}`;
    mkdirSync(scratch, { recursive: true });
    const tsconfig = join(scratch, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: false, outDir: scratch, rootDir: root, sourceMap: false },
        include: [join(root, 'src')]
      })
    );
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig],
      {
        cwd: root,
        stdio: 'inherit'
      }
    );
    try {
      renameSync(scratch, build);
    } catch {
      rmSync(scratch, { recursive: true, force: true }); // another file's build won
    }
  }
  return Array.from({ length: copies }, (_, i) => {
    const copy = join(base, `copy-${i + 1}`);
    if (!existsSync(copy)) cpSync(build, copy, { recursive: true });
    return join(copy, 'src/index.js');
  });
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (path: string): void => {
    if (path.endsWith('.ts')) hash.update(path).update(readFileSync(join(root, path)));
    else for (const entry of readdirSync(join(root, path)).sort()) walk(`${path}/${entry}`);
  };
  walk('src');
  return hash.digest('hex').slice(0, 16);
}
