/**
 * `npm run test:types`: the published types resolve for a strict user. Packs the package as
 * `npm publish` would, installs the tarball into a fresh project (`strict`, `skipLibCheck`
 * off, NodeNext) and type-checks `consumer/consumer.ts`, which uses all four entries, with
 * this project's own tsc. A type the declarations mention must come with the package: a
 * missing `@types/*` dependency fails here, and nowhere else.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const consumer = mkdtempSync(join(tmpdir(), 'latent-workers-consumer-'));

/** Runs a command; when it fails, throws with what it printed. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    const said = result.error?.message ?? `${result.stdout}${result.stderr}`;
    throw new Error(`${command} ${args.join(' ')} failed:\n${said}`);
  }
}

try {
  // prepack builds dist, so the tarball is what this tree publishes.
  run('npm', ['pack', '--pack-destination', consumer], root);
  const tarball = readdirSync(consumer).find((name) => name.endsWith('.tgz'));
  cpSync(join(root, 'scripts/consumer'), consumer, { recursive: true });
  writeFileSync(join(consumer, 'package.json'), '{ "private": true, "type": "module" }\n');
  // The cache is warm after `npm ci`: no registry round trip unless something is missing.
  run(
    'npm',
    [
      // A user of latent-workers/docker installs its optional peer, and its types.
      ...['install', `./${tarball}`, '@types/node@20', 'dockerode@5', '@types/dockerode@4'],
      ...['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock']
    ],
    consumer
  );
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], consumer);
  process.stdout.write('consumer types: ok (latent-workers, /testing, /process, /docker)\n');
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  rmSync(consumer, { recursive: true, force: true });
}
