import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DemoState } from '../../src/cli/demoState.js';
import { LiveView } from '../../src/cli/liveView.js';
import { summarize } from '../../src/cli/summary.js';

/** A terminal of `rows` lines whose output is kept. */
function terminal(rows: number) {
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.text += chunk.toString();
        done();
      }
    }),
    { isTTY: true, columns: 100, rows, text: '' }
  );
  return out;
}

const ESC = '\x1b[';
const CLEAR = `${ESC}1G${ESC}0J`; // cursor to column 1, clear down

/**
 * The frames drawn, each as its lines, and how far up the cursor went before each redraw: a
 * redraw is `ESC[nA` (n lines up), then CLEAR, then the frame.
 */
function frames(text: string) {
  const parts = text.split(CLEAR);
  const ups = parts.slice(0, -1).map((part) => Number(part.slice(part.lastIndexOf(ESC) + 2, -1)));
  const drawn = parts.map((part, i) =>
    i < parts.length - 1 ? part.slice(0, part.lastIndexOf(ESC)) : part
  );
  return { ups, drawn: drawn.map((frame) => frame.replace(/\n$/, '').split('\n')) };
}

const workers = (n: number) => Array.from({ length: n }, (_, i) => `w${i + 1}`);

describe('the live view', () => {
  it('clips a frame taller than the terminal, says how many workers it left out, redraws in place', () => {
    const out = terminal(12);
    const state = new DemoState(workers(20), 5, 1_000);
    const view = new LiveView(out);
    for (let i = 1; i <= 8; i++) view.notice(`notice ${i}`, state);
    const { ups, drawn } = frames(out.text);
    expect(drawn).toHaveLength(8);
    for (const lines of drawn) expect(lines.length).toBeLessThanOrEqual(11);
    // 11 lines: title, blank, header, 4 workers and the count, blank, queue, bar.
    expect(drawn[7]).toContain('  … 16 more workers');
    expect(drawn[7]!.at(-1)).toMatch(/\] 0\/5 finished$/);
    expect(ups).toEqual(drawn.slice(0, -1).map((lines) => lines.length));
  });

  it('gives the latest events the room the workers leave', () => {
    const out = terminal(16);
    const state = new DemoState(workers(3), 5, 1_000);
    const view = new LiveView(out);
    for (let i = 1; i <= 8; i++) view.notice(`notice ${i}`, state);
    const last = frames(out.text).drawn.at(-1)!;
    expect(last).toHaveLength(15);
    expect(last.slice(-5)).toEqual([
      '  notice 4',
      '  notice 5',
      '  notice 6',
      '  notice 7',
      '  notice 8'
    ]);
  });

  it('counts the builds a shutdown ended as cancelled, not finished, in the bar and the summary', () => {
    const out = terminal(40);
    const state = new DemoState(workers(2), 3, 1_000);
    const view = new LiveView(out);
    state.apply({
      source: 'fleet',
      event: { type: 'finished', id: 1, result: 'success', reason: 'completed', attempts: 1 }
    });
    for (const id of [2, 3]) {
      state.apply({
        source: 'fleet',
        event: { type: 'finished', id, result: 'retry', reason: 'shutdown', attempts: 1 }
      });
    }
    const summary = summarize(state, true);
    view.end(summary, state);
    expect(out.text).toMatch(/\] 1\/3 finished, 2 cancelled$/m);
    expect(summary).toMatchObject({ results: { success: 1 }, cancelled: 2 });
    expect(out.text).toMatch(/builds finished +1\/3\n +builds cancelled +2 \(by the shutdown\)/);
  });
});
