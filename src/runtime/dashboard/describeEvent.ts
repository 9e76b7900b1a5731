import type { WorkerEvent } from '../events.js';
import type { FleetEvent } from '../fleet/events.js';

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An event in a few words, for the page's log (the worker's name is shown beside it). */
export function describeEvent(event: WorkerEvent | FleetEvent): string {
  switch (event.type) {
    case 'state':
    case 'availability':
      return `${event.from} → ${event.to}`;
    case 'provider': {
      const outcome = event.ok ? 'ok' : event.error === undefined ? 'refused' : 'failed';
      if (event.phase === 'begin') return `${event.call} called`;
      return `${event.call} ${outcome}${event.error === undefined ? '' : `: ${message(event.error)}`}`;
    }
    case 'substantiated':
      return 'substantiated: the agent is attached';
    case 'substantiationFailed':
      return `substantiation failed: ${event.error.message}`;
    case 'quarantined':
      return `quarantined for ${seconds(event.duration)}`;
    case 'paused':
      return `paused${event.reason ? `: ${event.reason}` : ''}`;
    case 'unpaused':
      return 'unpaused';
    case 'attached':
      return 'agent attached';
    case 'detached':
      return 'agent detached';
    case 'connectionRejected':
      return `connection rejected: ${event.reason}`;
    case 'stopTimedOut':
      return `${event.call} of ${event.instance.name} outlived stopTimeout: it may still run`;
    case 'recovered':
      return `${event.instance.name} left by an earlier process: ${event.outcome}`;
    case 'journalFailed':
      return `journal ${event.operation} failed: ${message(event.error)}`;
    case 'queued':
      return `build #${event.id} queued${event.reason === 'retry' ? ' again (retry)' : ''}`;
    case 'dispatched':
      return `build #${event.id} → ${event.worker} (attempt ${event.attempt}, ${event.via})`;
    case 'finished':
      return `build #${event.id} ${event.result} (${event.reason})`;
    case 'recycled':
      return `${event.worker} recycled for build #${event.id}`;
    case 'orphanFound':
      return `orphan ${event.instance.instanceName} found (${event.reason})`;
    case 'orphanSwept':
      return `orphan ${event.instance.instanceName} ${event.ok ? 'stopped' : `not stopped: ${message(event.error)}`}`;
    case 'sweepFailed':
      return `orphan sweep of ${event.owner} failed: ${message(event.error)}`;
  }
}
