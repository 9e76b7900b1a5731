// `npm start`'s build: `npm run build` only when the build's inputs changed since the last one
// this made, so that the demo (and its --help) starts at once on a current build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
/** What `npm run build` reads: the folders of tsconfig.build.json, its configs, the agent's and the page's. */
const INPUTS = [
  'src',
  'bench',
  'examples',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build-agent.js',
  'scripts/build-page.js'
];
/** What the demo runs, and the fingerprint of the inputs that built it. */
const OUTPUTS = ['dist/examples/demo.js', 'dist/agent/latent-agent.mjs', 'dist/dashboard/page.js'];
const STAMP = 'dist/.inputs';

/** A hash of every input's path and content: a file added, changed or removed changes it. */
function fingerprint() {
  const hash = createHash('sha256');
  const walk = (path) => {
    const full = join(root, path);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) for (const entry of readdirSync(full).sort()) walk(`${path}/${entry}`);
    else if (stat) hash.update(`${path}\0`).update(readFileSync(full));
  };
  INPUTS.forEach(walk);
  return hash.digest('hex');
}

const stamp = join(root, STAMP);
const current = fingerprint();
const built = OUTPUTS.every((path) => existsSync(join(root, path))) && existsSync(stamp);
if (!built || readFileSync(stamp, 'utf8') !== current) {
  process.stderr.write(
    built
      ? 'building the demo (its sources changed) …\n'
      : 'building the demo (first run, ~20 s) …\n'
  );
  const { status } = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
  writeFileSync(stamp, current);
}
