// Builds `latent-agent` as one file, for images and VMs: the agent, the protocol and `ws`,
// runnable by any Node 20 with nothing installed next to it.
import { chmodSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Writes the agent to `outfile` (relative to the project's root). */
export async function buildAgent(outfile = 'dist/agent/latent-agent.mjs') {
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  await build({
    absWorkingDir: root,
    entryPoints: ['src/agent/main.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // ws loads these optional native helpers inside a try; a real `require` lets it fail there.
    external: ['bufferutil', 'utf-8-validate'],
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire } from 'node:module';",
        'const require = createRequire(import.meta.url);'
      ].join('\n')
    },
    define: { LATENT_AGENT_VERSION: JSON.stringify(version) },
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning'
  });
  chmodSync(resolve(root, outfile), 0o755);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAgent(process.argv[2]);
