import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Package from '../../../src/index.js';
import { browserMissing, launchBrowser } from '../../support/browser.js';
import { builtPackage } from '../../support/builtPackage.js';

const missing = browserMissing();
/** Where the test leaves its screenshot (`UPDATE_DOCS=1` also refreshes the README's copy). */
const OUTPUT = new URL('../../../test-results/dashboard/', import.meta.url).pathname;
const README_SHOT = new URL('../../../docs/dashboard.png', import.meta.url).pathname;
const WAIT = { timeout: 20_000 };

let browser: Browser;
let lw: typeof Package;

beforeAll(async () => {
  if (missing) return;
  // The page is the package's built page: the test serves exactly what users get.
  const [pkg] = builtPackage() as [string];
  lw = (await import(join(pkg, 'dist/src/index.js'))) as typeof Package;
  browser = await launchBrowser();
}, 180_000);
afterAll(() => browser?.close());

/** The chart's state node that the followed worker is in, of the `instance` region's top level. */
const highlighted = (page: Page, state: string) =>
  page.waitForSelector(`#chart g.state.active[data-state="instance.${state}"]`, WAIT);

describe.skipIf(missing)(
  `the dashboard in Chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('draws the chart, follows a worker through its lifecycle, and serves /metrics', async () => {
      // w1's starts and stops complete when the test says; w3's stops at once.
      const providers = [{}, {}, { autoStop: true }].map((o) => new lw.ControllableProvider(o));
      const workers = providers.map((provider, i) => {
        const worker = lw.createLatentWorker({
          name: `w${i + 1}`,
          provider,
          buildWaitTimeout: 0,
          // Long enough that w3 stays quarantined to the end of the test.
          quarantine: { initial: 60_000 }
        });
        provider.bind(worker);
        return worker;
      });
      const fleet = lw.createFleet({ workers });
      const dashboard = await lw.createDashboard({ fleet, title: 'demo fleet' });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('requestfailed', (request) => errors.push(`${request.url()} failed`));
      try {
        expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await page.goto(dashboard.url);

        // The chart: a node for every state of the machine, drawn from its definition.
        const states = lw.toChartGraph(lw.latentWorkerMachine).states.map((s) => s.id);
        await page.waitForSelector('#chart svg', WAIT);
        const drawn = await page
          .locator('#chart g.state')
          .evaluateAll((nodes: { getAttribute(name: string): string | null }[]) =>
            nodes.map((node) => node.getAttribute('data-state'))
          );
        expect(drawn.sort()).toEqual([...states].sort());
        await highlighted(page, 'idle');
        await page.waitForSelector('#connection.live', WAIT);

        // Availability: w2 paused, w3 quarantined after a refused start (its build waits).
        workers[1]!.pause('maintenance');
        const waiting = fleet.submit({ workerNames: ['w3'], run: async () => {} });
        await page.waitForSelector(
          '#workers tr[data-worker="w3"][data-state="substantiating"]',
          WAIT
        );
        providers[2]!.completeStart(false);
        await page.waitForSelector('#workers tr[data-worker="w2"] td.paused', WAIT);
        const quarantine = await page.waitForSelector(
          '#workers tr[data-worker="w3"] td.quarantined',
          WAIT
        );
        expect(await quarantine.textContent()).toMatch(/^quarantined, (59|60) s left$/);
        await page.waitForSelector('#queue li:has-text("build #1")', WAIT);

        // Following another worker moves the highlight to its states, and back.
        await page.click('#workers tr[data-worker="w3"]');
        await page.waitForSelector(
          '#chart g.state.active[data-state="availability.quarantined"]',
          WAIT
        );
        await page.click('#workers tr[data-worker="w1"]');
        await page.waitForSelector(
          '#chart g.state.active[data-state="availability.available"]',
          WAIT
        );

        // w1 takes a build: substantiating until its start returns...
        let release!: () => void;
        const build = fleet.submit({
          workerNames: ['w1'],
          run: () => new Promise<void>((resolve) => (release = resolve))
        });
        await highlighted(page, 'substantiating');
        expect(await page.textContent('#workers tr[data-worker="w1"]')).toContain('starting');
        // ...substantiated once it returned and the instance attached...
        providers[0]!.completeStart(true);
        await highlighted(page, 'substantiated');
        const row = await page.textContent('#workers tr[data-worker="w1"]');
        expect(row).toContain('building');
        expect(row).toContain(workers[0]!.instance!.instanceName);
        expect(row).toContain('attached');
        mkdirSync(OUTPUT, { recursive: true });
        await page.screenshot({ path: join(OUTPUT, 'page.png'), fullPage: true, timeout: 60_000 });
        // ...insubstantiating when the build is done (buildWaitTimeout 0), idle once stopped.
        release();
        await highlighted(page, 'insubstantiating');
        providers[0]!.completeStop();
        await highlighted(page, 'idle');
        expect((await build.outcome).result).toBe('success');
        await page.waitForSelector('#events li:has-text("build #2 success")', WAIT);

        // /metrics, as Prometheus scrapes it, and as the page shows it.
        const metrics = await (await fetch(`${dashboard.url}/metrics`)).text();
        expect(metrics).toContain('latent_workers_builds_total{result="success"} 1');
        expect(metrics).toContain('latent_workers_quarantined 1');
        expect(metrics).toContain('latent_workers_paused 1');
        expect(metrics).toContain(
          'latent_workers_worker_state{worker="w2",state="idle",availability="paused"} 1'
        );
        await page.waitForSelector('#metrics:has-text("latent_workers_paused 1")', WAIT);

        if (process.env.UPDATE_DOCS) copyFileSync(join(OUTPUT, 'page.png'), README_SHOT);
        expect(errors).toEqual([]);
        waiting.cancel();
      } finally {
        await page.close();
        await dashboard.close();
        await fleet.shutdown({ fast: true });
        for (const provider of providers) if (provider.stopPending) provider.completeStop();
      }
    }, 120_000);
  }
);
