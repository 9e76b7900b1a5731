import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync
} from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/**
 * The package as npm would install it: its `package.json`, a tsc build in `dist/` (no type
 * check: `npm run typecheck` does that), the single-file agent and the dashboard's page, made once per version of the sources, in `copies`
 * folders under `node_modules/.cache` so that they resolve the project's dependencies: the same
 * package from two paths, as two copies in one dependency tree are. Returns each copy's folder.
 * Parallel test files may race to build; the first rename wins and the others reuse it.
 */
export function builtPackage(copies = 1): string[] {
  const base = join(root, 'node_modules/.cache/latent-workers-package', sourceHash());
  const build = join(base, 'build');
  if (!existsSync(build)) {
    const scratch = `${build}.${process.pid}`;
    execFileSync(
      process.execPath,
      [
        ...[join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        ...['--outDir', join(scratch, 'dist'), '--noCheck', '--declaration', 'false'],
        ...['--sourceMap', 'false']
      ],
      { cwd: root, stdio: 'inherit' }
    );
    execFileSync(
      process.execPath,
      [join(root, 'scripts/build-agent.js'), join(scratch, 'dist/agent/latent-agent.mjs')],
      { cwd: root, stdio: 'inherit' }
    );
    execFileSync(
      process.execPath,
      [join(root, 'scripts/build-page.js'), join(scratch, 'dist/dashboard')],
      { cwd: root, stdio: 'inherit' }
    );
    cpSync(join(root, 'package.json'), join(scratch, 'package.json'));
    settle(scratch, build);
  }
  return Array.from({ length: copies }, (_, i) => {
    const copy = join(base, `copy-${i + 1}`);
    if (!existsSync(copy)) {
      cpSync(build, `${copy}.${process.pid}`, { recursive: true });
      settle(`${copy}.${process.pid}`, copy);
    }
    return copy;
  });
}

/** Moves `scratch` to `path`, unless another process got there first. */
function settle(scratch: string, path: string): void {
  try {
    renameSync(scratch, path);
  } catch {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function sourceHash(): string {
  const hash = createHash('sha256').update(readFileSync(join(root, 'package.json')));
  const walk = (path: string): void => {
    if (statSync(join(root, path)).isDirectory()) {
      for (const entry of readdirSync(join(root, path)).sort()) walk(`${path}/${entry}`);
    } else hash.update(path).update(readFileSync(join(root, path)));
  };
  walk('src');
  walk('examples');
  for (const script of ['build-agent.js', 'build-page.js']) {
    hash.update(readFileSync(join(root, 'scripts', script)));
  }
  return hash.digest('hex').slice(0, 16);
}
