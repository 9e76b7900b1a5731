import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { beforeAll, expect, it } from 'vitest';
import type { DemoEvent } from '../../src/cli/events.js';
import { runCli } from '../../src/cli/main.js';
import { builtAgent } from '../runtime/hub/builtAgent.js';

// docs/demo.md lists every JSON line `--json` can print, with its fields: a new event type
// fails the type check below until it is listed here, and then this test until it is
// documented; a line of a real run with a field the document does not name fails too.

beforeAll(() => void builtAgent(), 120_000);

type TypesOf<S extends DemoEvent['source']> = Extract<DemoEvent, { source: S }>['event']['type'];

/** Every `type` of each `source`: `Record` over a union wants each member, and no other. */
const EMITTED: { [S in DemoEvent['source']]: Record<TypesOf<S>, true> } = {
  worker: {
    state: true,
    availability: true,
    provider: true,
    substantiated: true,
    substantiationFailed: true,
    quarantined: true,
    paused: true,
    unpaused: true,
    attached: true,
    detached: true,
    connectionRejected: true,
    stopTimedOut: true,
    recovered: true,
    journalFailed: true
  },
  fleet: {
    queued: true,
    dispatched: true,
    finished: true,
    recycled: true,
    orphanFound: true,
    orphanSwept: true,
    sweepFailed: true
  },
  hub: {
    connected: true,
    refused: true,
    disconnected: true,
    lockedOut: true,
    dropped: true,
    acceptFailed: true
  },
  process: { spawned: true, exited: true },
  docker: {
    pulling: true,
    pulled: true,
    created: true,
    started: true,
    adopted: true,
    removed: true
  },
  build: { step: true, output: true }
};
/** The lines of `JsonView` itself. */
const DEMO_LINES = ['notice', 'summary'];

/** The rows of the document's table of JSON lines: `source/type` to the fields it names. */
function documented(): Map<string, string[]> {
  const doc = readFileSync(new URL('../../docs/demo.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## JSON lines'));
  const rows = new Map<string, string[]>();
  for (const match of section.matchAll(/^\| `(\w+)` \| `(\w+)` \| ([^|]*) \|/gm)) {
    const fields = [...match[3]!.matchAll(/`(\w+)`/g)].map((field) => field[1]!);
    rows.set(`${match[1]}/${match[2]}`, fields);
  }
  return rows;
}

it('docs/demo.md lists every JSON line type, and no other', () => {
  const types = [
    ...Object.entries(EMITTED).flatMap(([source, types]) =>
      Object.keys(types).map((type) => `${source}/${type}`)
    ),
    ...DEMO_LINES.map((type) => `demo/${type}`)
  ];
  expect([...documented().keys()].sort()).toEqual(types.sort());
});

it('every field of a real run is in docs/demo.md', async () => {
  let stdout = '';
  const code = await runCli({
    argv: ['--builds', '3', '--workers', '3', '--json', '--idle-timeout', '0.2'],
    stdout: new Writable({
      write(chunk: Buffer, _encoding, done) {
        stdout += chunk.toString();
        done();
      }
    }),
    stderr: { write: () => true },
    agentCommand: builtAgent()
  });
  expect(code).toBe(0);
  const rows = documented();
  const undocumented = stdout
    .trim()
    .split('\n')
    .map((text) => JSON.parse(text) as { t: number; source: string; type: string })
    .flatMap(({ t: _t, source, type, ...fields }) => {
      const known = rows.get(`${source}/${type}`) ?? [];
      return Object.keys(fields)
        .filter((field) => !known.includes(field))
        .map((field) => `${source}/${type}: ${field}`);
    });
  expect([...new Set(undocumented)]).toEqual([]);
});
