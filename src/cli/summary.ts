import type { DemoState } from './demoState.js';

/** The demo's outcome, as printed at the end and returned to callers. */
export interface DemoSummary {
  builds: number;
  /** Finished builds by result. */
  results: Record<string, number>;
  /** Builds the shutdown cut short or never began (Ctrl-C). */
  cancelled: number;
  /**
   * Provider starts and stops: once the fleet is shut down, every start and every leftover (an
   * earlier run's instance, stopped at recovery or adopted) has had its stop.
   */
  starts: number;
  stops: number;
  leftovers: number;
  failedStarts: number;
  quarantines: number;
  /** Every process the provider spawned. */
  pids: number[];
  seconds: number;
  interrupted: boolean;
}

export function summarize(state: DemoState, interrupted: boolean): DemoSummary {
  return {
    builds: state.total,
    results: Object.fromEntries(state.results),
    cancelled: state.cancelled,
    starts: state.starts,
    stops: state.stops,
    leftovers: state.leftovers,
    failedStarts: state.failedStarts,
    quarantines: state.quarantines,
    pids: [...state.pids],
    seconds: Math.round((Date.now() - state.began) / 100) / 10,
    interrupted
  };
}

/** `3 / 4 (every start stopped, and 1 left by an earlier run)`, or a mismatch, said. */
function startsAndStops({ starts, stops, leftovers }: DemoSummary): string {
  const earlier = leftovers > 0 ? `, and ${leftovers} left by an earlier run` : '';
  const paired = starts + leftovers === stops;
  return `${starts} / ${stops} (${paired ? `every start stopped${earlier}` : `MISMATCH${earlier}`})`;
}

/** The summary as a small table. */
export function formatSummary(summary: DemoSummary): string {
  const rows: Array<[string, string]> = [
    ...Object.entries(summary.results).map(([result, count]): [string, string] => [
      `builds ${result}`,
      String(count)
    ]),
    [
      'builds finished',
      `${Object.values(summary.results).reduce((a, b) => a + b, 0)}/${summary.builds}`
    ],
    ...(summary.cancelled > 0
      ? [['builds cancelled', `${summary.cancelled} (by the shutdown)`] as [string, string]]
      : []),
    ['instance starts / stops', startsAndStops(summary)],
    ['failed starts', String(summary.failedStarts)],
    ['quarantines', String(summary.quarantines)],
    ['time', `${summary.seconds.toFixed(1)} s${summary.interrupted ? ' (interrupted)' : ''}`]
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const rule = `${'-'.repeat(width)}  ${'-'.repeat(12)}`;
  return [
    'Summary',
    rule,
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
    rule
  ]
    .map((line) => `  ${line}`)
    .join('\n');
}
