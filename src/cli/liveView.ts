import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import type { DemoState, WorkerRow } from './demoState.js';
import type { DemoEvent } from './events.js';
import { narrate } from './narrate.js';
import { formatSummary, type DemoSummary } from './summary.js';
import type { DemoView } from './views.js';

const FRAME_MS = 100;
const RECENT_LINES = 6;
const BAR_WIDTH = 30;

const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

/**
 * The live terminal view: one line per worker (state, availability with its countdown,
 * current build), the queue, a progress bar and the latest events, redrawn in place.
 */
export class LiveView implements DemoView {
  readonly #out: NodeJS.WritableStream & { columns?: number };
  readonly #recent: string[] = [];
  #state: DemoState | undefined;
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WritableStream & { columns?: number }) {
    this.#out = out;
  }

  event(event: DemoEvent, state: DemoState): void {
    this.#state = state;
    this.#timer ??= setInterval(() => this.#draw(), FRAME_MS);
    const line = narrate(event);
    if (line && !(event.source === 'build' && event.event.type === 'step')) this.#remember(line);
  }

  notice(message: string, state: DemoState): void {
    this.#state = state;
    this.#remember(message);
    this.#draw();
  }

  end(summary: DemoSummary, state: DemoState): void {
    clearInterval(this.#timer);
    this.#state = state;
    this.#draw();
    this.#out.write(`\n${formatSummary(summary)}\n`);
  }

  #remember(line: string): void {
    this.#recent.push(line);
    this.#recent.splice(0, Math.max(0, this.#recent.length - RECENT_LINES));
  }

  #draw(): void {
    const state = this.#state;
    if (!state) return;
    const width = Math.max(40, (this.#out.columns ?? 100) - 1);
    const lines = frame(state, this.#recent).map((line) => line.slice(0, width));
    if (this.#drawn > 0) {
      moveCursor(this.#out, 0, -this.#drawn);
      cursorTo(this.#out, 0);
      clearScreenDown(this.#out);
    }
    this.#out.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}

function frame(state: DemoState, recent: readonly string[]): string[] {
  const now = Date.now();
  const done = state.finished;
  const filled = state.total === 0 ? BAR_WIDTH : Math.round((done / state.total) * BAR_WIDTH);
  const cancelled = state.cancelled > 0 ? `, ${state.cancelled} cancelled` : '';
  const queue = state.waiting.map((id) => `#${id}`).join(' ') || '(empty)';
  const docker = state.instances === 'docker';
  return [
    `latent-workers demo: ${state.rows.length} ${docker ? 'Docker' : 'process'} workers, ${state.total} builds   ${seconds(now - state.began)}`,
    '',
    `  ${'worker'.padEnd(8)}${(docker ? 'container' : 'pid').padEnd(docker ? 14 : 8)}${'instance'.padEnd(18)}${'availability'.padEnd(21)}build`,
    ...state.rows.map((row) => `  ${workerLine(row, state, now)}`),
    '',
    `  queue   ${queue}`,
    `  [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${state.total} finished${cancelled}`,
    '',
    ...recent.map((line) => `  ${line}`)
  ];
}

function workerLine(row: WorkerRow, state: DemoState, now: number): string {
  const availability =
    row.availability === 'quarantined' && row.quarantineEnds !== undefined
      ? `quarantined ${seconds(row.quarantineEnds - now)}`
      : row.availability;
  let build = '';
  if (row.build !== undefined) {
    build = `#${row.build} ${row.step ?? ''}${row.lastLine ? ` | ${row.lastLine}` : ''}`;
  } else if (row.idleSince !== undefined) {
    build = `idle, stops in ${seconds(row.idleSince + state.idleTimeout - now)}`;
  }
  const pid =
    state.instances === 'docker'
      ? (row.container?.slice(0, 12) ?? '-').padEnd(14)
      : String(row.pid ?? '-').padEnd(8);
  return `${row.name.padEnd(8)}${pid}${row.state.padEnd(18)}${availability.padEnd(21)}${build}`;
}
