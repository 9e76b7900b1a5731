import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { latentWorkerMachine, toMermaid } from '../../src/index.js';
import { browserMissing, launchBrowser } from '../support/browser.js';
import { stateNodes } from './chart.js';
import { openMermaid } from './mermaidPage.js';

const SVG = new URL('../../docs/lifecycle.svg', import.meta.url);
const STALE =
  'docs/lifecycle.svg is stale: run UPDATE_DOCS=1 npx vitest run test/machines/lifecycleSvg.test.ts';

// Text measurement differs between Chromium builds, so the drift test compares the Mermaid
// source the SVG was drawn from, which it carries in a <desc> (a comment could not hold `-->`).
const DESC = /<desc id="mermaid-source">([^<]*)<\/desc>/;
const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function withSource(svg: string, source: string): string {
  const escaped = source.replace(/[&<>]/g, (c) => escapes[c]!);
  return svg.replace(/^<svg[^>]*>/, (open) => `${open}<desc id="mermaid-source">${escaped}</desc>`);
}

function sourceOf(svg: string): string | undefined {
  const escaped = DESC.exec(svg)?.[1];
  return escaped?.replace(
    /&(amp|lt|gt);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name]!
  );
}

test('docs/lifecycle.svg is drawn from the chart as it is', async () => {
  const source = toMermaid(latentWorkerMachine);
  // UPDATE_DOCS=1 draws it again, in Chromium; review the diff.
  if (process.env.UPDATE_DOCS) {
    const missing = browserMissing();
    if (missing) throw new Error(`cannot draw docs/lifecycle.svg: ${missing}`);
    const browser = await launchBrowser();
    try {
      const mermaid = await openMermaid(browser);
      writeFileSync(SVG, withSource(await mermaid.render(source), source) + '\n');
    } finally {
      await browser.close();
    }
  }
  const svg = existsSync(SVG) ? readFileSync(SVG, 'utf8') : '(missing)';
  expect(sourceOf(svg), STALE).toBe(source);
  // Drawn, not just labelled: a node for every state, under its Mermaid id.
  for (const node of stateNodes(latentWorkerMachine).slice(1)) {
    expect(svg, `no node for ${node.path.join('.')}`).toMatch(
      new RegExp(`id="[^"]*state-${node.path.join('__')}-\\d+"`)
    );
  }
}, 60_000);
