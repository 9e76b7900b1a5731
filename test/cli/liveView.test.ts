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

const workers = (n: number) => Array.from({ length: n }, (_, i) => `w${i + 1}`);

describe('the live view', () => {
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
