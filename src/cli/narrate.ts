import type { DemoEvent } from './events.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The one-line story of an event worth telling a human, or undefined for the routine ones. */
export function narrate({ source, event }: DemoEvent): string | undefined {
  switch (source) {
    case 'worker':
      switch (event.type) {
        case 'attached':
          return `${event.worker}: agent connected`;
        case 'substantiationFailed':
          return `${event.worker}: start failed: ${event.error.message}`;
        case 'quarantined':
          return `${event.worker}: quarantined for ${seconds(event.duration)}`;
        case 'availability':
          return event.from === 'quarantined' && event.to === 'available'
            ? `${event.worker}: quarantine over, available again`
            : undefined;
        case 'state':
          return event.from === 'insubstantiating'
            ? `${event.worker}: instance stopped`
            : undefined;
        case 'paused':
          return `${event.worker}: paused (${event.reason ?? 'manually'})`;
        case 'recovered':
          return event.outcome === 'adopted'
            ? `${event.worker}: adopted ${event.instance.name}, left running by an earlier run (its agent came back)`
            : `${event.worker}: ${event.outcome === 'stopped' ? 'stopped' : 'could not stop'} ${event.instance.name}, left running by an earlier run`;
        default:
          return undefined;
      }
    case 'process':
      return event.type === 'spawned'
        ? `${event.worker}: process ${event.pid} started`
        : `${event.worker}: process ${event.pid} exited (${event.signal ?? `code ${event.exitCode}`})`;
    case 'docker':
      if ('image' in event) {
        return event.type === 'pulling'
          ? `pulling the image ${event.image}...`
          : `pulled the image ${event.image}`;
      }
      return event.type === 'adopted'
        ? `${event.worker}: adopted the running container ${event.instanceName}`
        : `${event.worker}: container ${event.instanceName} ${event.type} (${event.containerId.slice(0, 12)})`;
    case 'fleet':
      switch (event.type) {
        case 'dispatched':
          return `build #${event.id} -> ${event.worker} (attempt ${event.attempt}, ${event.via})`;
        case 'queued':
          return event.reason === 'retry'
            ? `build #${event.id} back in the queue: ${event.error?.message ?? 'retry'}`
            : undefined;
        case 'finished':
          if (event.reason === 'shutdown') return `build #${event.id} cancelled by the shutdown`;
          return `build #${event.id} ${event.result}${event.worker ? ` on ${event.worker}` : ''}`;
        default:
          return undefined;
      }
    case 'hub':
      return event.type === 'refused' ? `hub refused a connection: ${event.reason}` : undefined;
    case 'build':
      return event.type === 'step'
        ? `build #${event.build} on ${event.worker}: ${event.command} (${event.step}/${event.steps})`
        : undefined;
  }
}
