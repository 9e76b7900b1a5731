import type { DemoState } from './demoState.js';
import type { DemoEvent } from './events.js';
import { narrate } from './narrate.js';
import { formatSummary, type DemoSummary } from './summary.js';

/** Where the demo's output goes: a TTY redraw, plain log lines, or JSON lines. */
export interface DemoView {
  /** Called after `state` has taken the event in. */
  event(event: DemoEvent, state: DemoState): void;
  /** Something the demo itself says (interrupted, shutting down…). */
  notice(message: string, state: DemoState): void;
  end(summary: DemoSummary, state: DemoState): void;
}

export interface Output {
  write(text: string): unknown;
}

const elapsed = (state: DemoState) =>
  `${((Date.now() - state.began) / 1000).toFixed(2)}s`.padStart(7);

/** Plain log lines, for logs and pipes. */
export class LogView implements DemoView {
  constructor(private readonly out: Output) {}

  event(event: DemoEvent, state: DemoState): void {
    const line = narrate(event);
    if (line) this.out.write(`${elapsed(state)}  ${line}\n`);
  }

  notice(message: string, state: DemoState): void {
    this.out.write(`${elapsed(state)}  ${message}\n`);
  }

  end(summary: DemoSummary): void {
    this.out.write(`\n${formatSummary(summary)}\n`);
  }
}

/** One JSON object per line: every event, then `{"source":"demo","type":"summary",…}`. */
export class JsonView implements DemoView {
  constructor(private readonly out: Output) {}

  event({ source, event }: DemoEvent, state: DemoState): void {
    this.#line({ t: Date.now() - state.began, source, ...event });
  }

  notice(message: string, state: DemoState): void {
    this.#line({ t: Date.now() - state.began, source: 'demo', type: 'notice', message });
  }

  end(summary: DemoSummary, state: DemoState): void {
    this.#line({ t: Date.now() - state.began, source: 'demo', type: 'summary', ...summary });
  }

  #line(value: object): void {
    this.out.write(`${JSON.stringify(value, errorsAsText)}\n`);
  }
}

function errorsAsText(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
