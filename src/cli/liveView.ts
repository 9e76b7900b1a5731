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

type Terminal = NodeJS.WritableStream & { columns?: number; rows?: number };

/**
 * The live terminal view: one line per worker (state, availability with its countdown,
 * current build), the queue, a progress bar and the latest events, redrawn in place. A frame
 * fits the terminal: the cursor cannot go back above its top, so taller frames would pile up
 * in the scrollback. Workers that do not fit are counted, and the latest events get what room
 * is left.
 */
export class LiveView implements DemoView {
  readonly #out: Terminal;
  readonly #recent: string[] = [];
  #state: DemoState | undefined;
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Terminal) {
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
    // The line under the frame holds the cursor.
    const height = Math.max(1, (this.#out.rows ?? Infinity) - 1);
    const lines = frame(state, this.#recent, height).map((line) => line.slice(0, width));
    if (this.#drawn > 0) {
      moveCursor(this.#out, 0, -this.#drawn);
      cursorTo(this.#out, 0);
      clearScreenDown(this.#out);
    }
    this.#out.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}

/** The frame, at most `height` lines. */
function frame(state: DemoState, recent: readonly string[], height: number): string[] {
  const now = Date.now();
  const done = state.finished;
  const filled = state.total === 0 ? BAR_WIDTH : Math.round((done / state.total) * BAR_WIDTH);
  const cancelled = state.cancelled > 0 ? `, ${state.cancelled} cancelled` : '';
  const queue = state.waiting.map((id) => `#${id}`).join(' ') || '(empty)';
  const docker = state.instances === 'docker';
  const head = [
    `latent-workers demo: ${state.rows.length} ${docker ? 'Docker' : 'process'} workers, ${state.total} builds   ${seconds(now - state.began)}`,
    '',
    `  ${'worker'.padEnd(8)}${(docker ? 'container' : 'pid').padEnd(docker ? 14 : 8)}${'instance'.padEnd(18)}${'availability'.padEnd(21)}build`
  ];
  const foot = [
    '',
    `  queue   ${queue}`,
    `  [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${state.total} finished${cancelled}`
  ];
  const room = height - head.length - foot.length;
  const workers = clip(
    state.rows.map((row) => `  ${workerLine(row, state, now)}`),
    room,
    'workers'
  );
  const left = room - workers.length - 1; // the blank line above the events
  const events = left > 0 ? ['', ...recent.slice(-left).map((line) => `  ${line}`)] : [];
  return clip([...head, ...workers, ...foot, ...events], height, 'lines');
}

/** The first `room` lines, the last of them saying how many more there were. */
function clip(lines: string[], room: number, what: string): string[] {
  if (lines.length <= room) return lines;
  if (room <= 0) return [];
  return [...lines.slice(0, room - 1), `  … ${lines.length - room + 1} more ${what}`];
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
