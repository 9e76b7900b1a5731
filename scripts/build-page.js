// Builds the dashboard's page into `dist/dashboard/`: its HTML and CSS, and one script with
// the page's code and the layout engine (elkjs), so that the page loads nothing from elsewhere.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Writes the page to `outdir` (relative to the project's root). */
export async function buildPage(outdir = 'dist/dashboard') {
  const out = resolve(root, outdir);
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'page.css'])
    copyFileSync(join(root, 'src/page', file), join(out, file));
  await build({
    absWorkingDir: root,
    entryPoints: ['src/page/browser/main.ts'],
    outfile: join(out, 'page.js'),
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    // elkjs's bundle asks for web-worker only when run in a worker of its own; the page isn't.
    external: ['web-worker'],
    banner: {
      js: '/*! latent-workers dashboard page; includes elkjs (EPL-2.0), https://github.com/kieler/elkjs */'
    },
    legalComments: 'linked',
    logLevel: 'warning'
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPage(process.argv[2]);
