import { readFileSync } from 'node:fs';

/**
 * The version in the package's `package.json`, found by walking up from this module (it sits
 * at a different depth in `src/` and in `dist/src/`).
 */
export function packageVersion(): string {
  for (let url = new URL('./', import.meta.url); ; url = new URL('../', url)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'latent-workers' && manifest.version) return manifest.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (url.pathname === '/') return '0.0.0';
  }
}
