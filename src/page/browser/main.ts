import type { ChartGraph } from '../../machines/chartGraph.js';
import type {
  EventView,
  FleetViewState,
  FleetViewUpdate,
  WorkerView
} from '../../runtime/dashboard/fleetView.js';
import { layoutChart } from '../chartLayout.js';
import { chartSvg } from '../chartSvg.js';

/** What the page holds: every worker by name, the queue, the log, and who is followed. */
const page = {
  workers: new Map<string, WorkerView>(),
  queue: { length: 0, first: [] } as FleetViewState['queue'],
  events: [] as EventView[],
  selected: undefined as string | undefined
};
const EVENTS_SHOWN = 100;
/** The metrics are read again this often, and after a change once this long has passed. */
const METRICS_EVERY = 2_000;
const METRICS_AFTER_CHANGE = 500;
let metricsReadAt = 0;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function main(): Promise<void> {
  const { title, graph } = (await (await fetch('chart.json')).json()) as {
    title: string;
    graph: ChartGraph;
  };
  document.title = title;
  $('title').textContent = title;
  const chart = $('chart');
  chart.innerHTML = chartSvg(await layoutChart(graph), graph.id);
  chart.removeAttribute('aria-busy');
  follow();

  const source = new EventSource('events');
  source.addEventListener('open', () => connection(true));
  source.addEventListener('error', () => connection(false));
  source.addEventListener('state', (message) => {
    const state = JSON.parse((message as MessageEvent<string>).data) as FleetViewState;
    page.workers = new Map(state.workers.map((worker) => [worker.name, worker]));
    page.events = state.events.slice(-EVENTS_SHOWN);
    page.queue = state.queue;
    page.selected ??= state.workers[0]?.name;
    render();
  });
  source.addEventListener('update', (message) => {
    const update = JSON.parse((message as MessageEvent<string>).data) as FleetViewUpdate;
    for (const worker of update.workers) page.workers.set(worker.name, worker);
    page.events = [...page.events, ...update.events].slice(-EVENTS_SHOWN);
    page.queue = update.queue;
    render();
    if (Date.now() - metricsReadAt >= METRICS_AFTER_CHANGE) void refreshMetrics();
  });
  $('workers').addEventListener('click', (event) => {
    const row = (event.target as HTMLElement).closest('tr[data-worker]');
    if (!row) return;
    page.selected = row.getAttribute('data-worker') ?? undefined;
    render();
  });
  // Countdowns move on between updates.
  setInterval(renderWorkers, 1_000);
  void refreshMetrics();
  setInterval(() => void refreshMetrics(), METRICS_EVERY);
}

function connection(live: boolean): void {
  const badge = $('connection');
  badge.textContent = live ? 'live' : 'reconnecting…';
  badge.classList.toggle('live', live);
}

function render(): void {
  renderWorkers();
  follow();
  renderQueue();
  renderEvents();
}

/** Highlights the followed worker's states in the chart, and counts the workers in each. */
function follow(): void {
  const worker = page.selected === undefined ? undefined : page.workers.get(page.selected);
  $('selected').textContent = worker?.name ?? '…';
  const active = new Set(worker?.active ?? []);
  const counts = new Map<string, number>();
  for (const { active: states } of page.workers.values()) {
    for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const chart = $('chart');
  chart.dataset.worker = worker?.name ?? '';
  for (const node of chart.querySelectorAll<SVGGElement>('g.state')) {
    const state = node.dataset.state ?? '';
    node.classList.toggle('active', active.has(state));
    const count = counts.get(state);
    node.querySelector('text.count')!.textContent = count ? `×${count}` : '';
  }
}

function renderWorkers(): void {
  const rows = [...page.workers.values()].map((worker) => {
    const row = document.createElement('tr');
    row.dataset.worker = worker.name;
    row.dataset.state = worker.state;
    row.classList.toggle('selected', worker.name === page.selected);
    const leaf = worker.active.filter((id) => id.startsWith('instance.')).at(-1);
    const cells = [
      worker.name,
      leaf ? leaf.slice('instance.'.length) : worker.state,
      availability(worker),
      worker.instance
        ? `${worker.instance.name}${worker.instance.id ? ` (${worker.instance.id.slice(0, 12)})` : ''}`
        : '–',
      worker.connected ? 'attached' : '–',
      String(worker.building),
      String(worker.consecutiveFailures)
    ];
    for (const text of cells) row.insertCell().textContent = text;
    row.cells[2]!.className = worker.availability;
    return row;
  });
  $('workers')
    .querySelector('tbody')!
    .replaceChildren(...rows);
  const count = (state: string) =>
    [...page.workers.values()].filter((w) => w.state === state).length;
  $('totals').textContent =
    `${page.workers.size} workers · ${count('substantiated')} up · ${count('substantiating')} starting · ${page.queue.length} queued`;
}

function availability(worker: WorkerView): string {
  if (worker.availability === 'paused')
    return `paused${worker.pauseReason ? `: ${worker.pauseReason}` : ''}`;
  if (worker.availability !== 'quarantined') return 'available';
  if (worker.quarantineEndsAt === undefined) return 'quarantined';
  const left = Math.max(0, Math.ceil((worker.quarantineEndsAt - Date.now()) / 1000));
  return `quarantined, ${left} s left`;
}

function renderQueue(): void {
  $('queue-length').textContent = `(${page.queue.length})`;
  const items = page.queue.first.map((request) => {
    const item = document.createElement('li');
    const waited = Math.round((Date.now() - request.queuedAt) / 100) / 10;
    item.textContent =
      `build #${request.id}, waiting ${waited} s` +
      (request.attempts ? `, after ${request.attempts} attempt(s)` : '') +
      (request.workerNames ? ` for ${request.workerNames.join(', ')}` : '');
    return item;
  });
  if (page.queue.length > page.queue.first.length) {
    const more = document.createElement('li');
    more.textContent = `… ${page.queue.length - page.queue.first.length} more`;
    items.push(more);
  }
  $('queue').replaceChildren(...items);
}

function renderEvents(): void {
  const items = [...page.events].reverse().map((event) => {
    const item = document.createElement('li');
    const time = document.createElement('time');
    time.textContent = new Date(event.at).toLocaleTimeString();
    item.append(time, `${event.worker ? `${event.worker}: ` : ''}${event.text}`);
    return item;
  });
  $('events').replaceChildren(...items);
}

/** The fleet's own samples, without help lines and histogram buckets. */
async function refreshMetrics(): Promise<void> {
  metricsReadAt = Date.now();
  try {
    const text = await (await fetch('metrics')).text();
    $('metrics').textContent = text
      .split('\n')
      .filter((line) => line.startsWith('latent_workers_') && !line.includes('_bucket{'))
      .join('\n');
  } catch {
    // The stream's badge already says the server is gone.
  }
}

void main();
