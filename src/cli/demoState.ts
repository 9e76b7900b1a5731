import type { BuildResult, WorkerAvailability, WorkerState } from '../index.js';
import type { DemoEvent } from './events.js';

/** What the view shows of one worker. */
export interface WorkerRow {
  name: string;
  state: WorkerState;
  availability: WorkerAvailability;
  pid: number | undefined;
  /** The running container's id (`--provider docker`). */
  container: string | undefined;
  build: number | undefined;
  step: string | undefined;
  lastLine: string | undefined;
  /** When the quarantine ends, epoch ms. */
  quarantineEnds: number | undefined;
  /** Since when the instance has been up with nothing to do, epoch ms. */
  idleSince: number | undefined;
}

/** The demo as the views see it, folded from its events. */
export class DemoState {
  readonly began = Date.now();
  readonly total: number;
  readonly idleTimeout: number;
  readonly rows: WorkerRow[];
  /** Waiting build numbers, head first. */
  waiting: number[] = [];
  readonly results = new Map<BuildResult, number>();
  finished = 0;
  /** Builds the shutdown cut short or never began (Ctrl-C): not finished, and not in `results`. */
  cancelled = 0;
  starts = 0;
  stops = 0;
  /** Instances an earlier run left, which this one stopped or adopted (and then stopped). */
  leftovers = 0;
  failedStarts = 0;
  quarantines = 0;
  readonly pids: number[] = [];
  /** What the instances are: processes on this machine, or containers. */
  readonly instances: 'process' | 'docker';

  constructor(
    workerNames: readonly string[],
    total: number,
    idleTimeout: number,
    instances: 'process' | 'docker' = 'process'
  ) {
    this.total = total;
    this.idleTimeout = idleTimeout;
    this.instances = instances;
    this.rows = workerNames.map((name) => ({
      name,
      state: 'idle',
      availability: 'available',
      pid: undefined,
      container: undefined,
      build: undefined,
      step: undefined,
      lastLine: undefined,
      quarantineEnds: undefined,
      idleSince: undefined
    }));
  }

  row(name: string): WorkerRow | undefined {
    return this.rows.find((row) => row.name === name);
  }

  apply(tagged: DemoEvent): void {
    const now = Date.now();
    switch (tagged.source) {
      case 'worker': {
        const { event } = tagged;
        const row = this.row(event.worker);
        if (!row) return;
        if (event.type === 'state') row.state = event.to;
        else if (event.type === 'availability') row.availability = event.to;
        else if (event.type === 'quarantined') {
          this.quarantines++;
          row.quarantineEnds = now + event.duration;
        } else if (event.type === 'substantiationFailed') this.failedStarts++;
        else if (event.type === 'recovered') this.leftovers++;
        else if (event.type === 'provider' && event.phase === 'end') {
          if (event.call === 'start') this.starts++;
          if (event.call === 'stop') this.stops++;
        }
        if (row.state !== 'substantiated' || row.build !== undefined) row.idleSince = undefined;
        else row.idleSince ??= now;
        return;
      }
      case 'fleet': {
        const { event } = tagged;
        if (event.type === 'queued') {
          this.waiting = this.waiting.filter((id) => id !== event.id);
          if (event.reason === 'retry') this.waiting.unshift(event.id);
          else this.waiting.push(event.id);
        } else if (event.type === 'dispatched') {
          this.waiting = this.waiting.filter((id) => id !== event.id);
          const row = this.row(event.worker);
          if (row) Object.assign(row, { build: event.id, step: 'waiting for the instance' });
          if (row) row.idleSince = undefined;
        } else if (event.type === 'finished') {
          this.waiting = this.waiting.filter((id) => id !== event.id);
          // The fleet ends them 'retry' (for whoever runs the queue next): the demo has no next.
          if (event.reason === 'shutdown') this.cancelled++;
          else {
            this.finished++;
            this.results.set(event.result, (this.results.get(event.result) ?? 0) + 1);
          }
        }
        // The worker of an ended attempt is free again (a retry re-dispatches it later).
        if (event.type === 'finished' || (event.type === 'queued' && event.reason === 'retry')) {
          for (const row of this.rows) {
            if (row.build !== event.id) continue;
            Object.assign(row, { build: undefined, step: undefined, lastLine: undefined });
            if (row.state === 'substantiated') row.idleSince = now;
          }
        }
        return;
      }
      case 'process': {
        const { event } = tagged;
        const row = this.row(event.worker);
        if (event.type === 'spawned') {
          this.pids.push(event.pid);
          if (row) row.pid = event.pid;
        } else if (row?.pid === event.pid) row.pid = undefined;
        return;
      }
      case 'docker': {
        const { event } = tagged;
        if (!('worker' in event)) return; // pulling, pulled
        const row = this.row(event.worker);
        if (!row) return;
        if (event.type === 'started' || event.type === 'adopted') row.container = event.containerId;
        else if (event.type === 'removed' && row.container === event.containerId)
          row.container = undefined;
        return;
      }
      case 'build': {
        const { event } = tagged;
        const row = this.row(event.worker);
        if (!row || row.build !== event.build) return;
        if (event.type === 'step') {
          row.step = `${event.command} (${event.step}/${event.steps})`;
          row.lastLine = undefined;
        } else row.lastLine = event.line;
        return;
      }
      case 'hub':
        return;
    }
  }
}
