import { afterEach, beforeAll, expect, it } from 'vitest';
import type { DemoSummary } from '../../src/cli/summary.js';
import { builtPackage } from '../support/builtPackage.js';
import { builtDemo, killLeftovers, type Line } from './builtDemo.js';

// The built demo ended from outside: by SIGTERM, as by Ctrl-C, and by a reader that goes away
// (`npm start -- --json | head -3`). Either way every instance is stopped before it exits.

beforeAll(() => void builtPackage(), 120_000);
afterEach(killLeftovers);

const isSummary = (line: Line) => line.source === 'demo' && line.type === 'summary';

it('SIGTERM shuts the fleet down like Ctrl-C: the summary, every agent stopped, exit 143', async () => {
  const demo = builtDemo(['--builds', '8']);
  await demo.line((line) => line.source === 'build' && line.type === 'step');
  demo.child.kill('SIGTERM');
  const { code } = await demo.exited;
  expect(code, demo.stderr()).toBe(143);
  const notice = demo.lines.find((line) => line.type === 'notice');
  expect(notice?.message).toBe('interrupted (SIGTERM): shutting down, stopping every instance...');
  const summary = demo.lines.find(isSummary) as unknown as DemoSummary;
  expect(summary).toMatchObject({ interrupted: true, builds: 8 });
  expect(summary.starts).toBeGreaterThan(0);
  expect(summary.starts).toBe(summary.stops);
  expect(summary.cancelled).toBeGreaterThan(0);
  expect(demo.alive()).toEqual([]);
  expect(demo.stderr()).toBe('');
});

it('a stdout closed early (| head) ends the demo like Ctrl-C: every agent stopped, exit 141', async () => {
  const demo = builtDemo(['--builds', '8']);
  await demo.line((line) => line.source === 'process' && line.type === 'spawned');
  demo.child.stdout.destroy();
  const { code } = await demo.exited;
  expect(code, demo.stderr()).toBe(141);
  expect(demo.alive()).toEqual([]);
  expect(demo.stderr()).toBe('');
});
