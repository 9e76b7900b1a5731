import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';

// mermaid.parse needs a DOM (DOMPurify), so Mermaid runs where it is meant to: in a page.
const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

// Browser globals, for the code that page.evaluate runs in the page (the project has no DOM lib).
declare const DOMParser: new () => {
  parseFromString(
    text: string,
    type: string
  ): {
    querySelector(selector: string): { textContent: string | null } | null;
  };
};
declare const mermaid: {
  initialize(config: Record<string, unknown>): void;
  parse(text: string): Promise<unknown>;
  render(id: string, text: string): Promise<{ svg: string }>;
};

/** Mermaid 11 in a page of `browser`: its own parser and renderer, as GitHub runs them. */
export interface MermaidPage {
  /** Mermaid's error message for `text`, or `undefined` when Mermaid accepts it. */
  parse(text: string): Promise<string | undefined>;
  /** The SVG Mermaid draws for `text`: the same ids and text on every run. */
  render(text: string): Promise<string>;
}

export async function openMermaid(browser: Browser): Promise<MermaidPage> {
  const page = await browser.newPage();
  await page.addScriptTag({ path: MERMAID });
  await page.evaluate(() =>
    mermaid.initialize({
      startOnLoad: false,
      deterministicIds: true,
      // SVG text, not HTML in foreignObject: a standalone .svg must be XML, and <img> shows it.
      htmlLabels: false,
      securityLevel: 'strict',
      theme: 'default'
    })
  );
  return {
    parse: (text) =>
      page.evaluate(async (source) => {
        try {
          await mermaid.parse(source);
          return undefined;
        } catch (error) {
          return error instanceof Error ? error.message : String(error);
        }
      }, text),
    render: (text) =>
      page.evaluate(async (source) => {
        const { svg } = await mermaid.render('lifecycle', source);
        const xml = new DOMParser().parseFromString(svg, 'image/svg+xml');
        const broken = xml.querySelector('parsererror');
        if (broken) throw new Error(`Mermaid drew an SVG that is not XML: ${broken.textContent}`);
        return svg;
      }, text)
  };
}
