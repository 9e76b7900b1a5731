import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, test, vi } from 'vitest';
import {
  latentWorkerMachine,
  type InspectionObserver,
  type LatentWorkerOptions
} from '../../src/index.js';
import { harness, substantiated, type Props } from '../support/harness.js';
import { MemoryJournal } from '../support/memoryJournal.js';
import { stateNodes, transitionsOf } from './chart.js';
import { API_CALLS, INVARIANTS } from './contract.js';
import { actionDocs, delayDocs, guardDocs } from './docComments.js';
import { lifecycleDoc } from './lifecycleDoc.js';
import { expectGenerated } from './generatedFile.js';

const DOC = new URL('../../docs/lifecycle.md', import.meta.url);
const ROOT = new URL('../../', import.meta.url);

test('docs/lifecycle.md is the specification of the machine as it is', () => {
  expectGenerated(DOC, lifecycleDoc(latentWorkerMachine), 'test/machines/lifecycleDoc.test.ts');
});

describe('what docs/lifecycle.md says beside the machine', () => {
  const { guards, actions, delays } = latentWorkerMachine.implementations;
  it.each([
    ['guard', guards, guardDocs()],
    ['named action', actions, actionDocs()],
    ['delay', delays, delayDocs()]
  ])('every %s says what it does, in a doc comment on its code', (_, named, docs) => {
    const undescribed = Object.keys(named).filter((name) => !docs.get(name)?.doc);
    expect(undescribed, 'add a /** doc comment */ to each').toEqual([]);
    // The reader found the very object the machine was set up with.
    expect([...docs.keys()]).toEqual(Object.keys(named));
  });

  it.each(INVARIANTS.flatMap((i) => i.tests.map((t) => [i.name, t.file, t.title])))(
    '%s: %s has the test %s',
    (_, file, title) => {
      const path = new URL(file, ROOT);
      expect(existsSync(path), `${file} does not exist`).toBe(true);
      const text = readFileSync(path, 'utf8');
      expect(["'", '"', '`'].some((quote) => text.includes(quote + title + quote))).toBe(true);
    }
  );

  it('every event an API call sends is one the machine handles', () => {
    const handled = new Set<string>(
      stateNodes(latentWorkerMachine).flatMap((node) => transitionsOf(node).map((t) => t.eventType))
    );
    const unhandled = API_CALLS.flatMap((c) => c.events).filter((type) => !handled.has(type));
    expect(unhandled).toEqual([]);
  });
});

describe('each API call sends the events docs/lifecycle.md names', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A harness whose worker reports, from its creation on, the events sent to it from outside. */
  function recorded(options: Partial<LatentWorkerOptions<Props>> = {}) {
    const sent: string[] = [];
    const inspect: InspectionObserver = (e) => {
      if (e.type === '@xstate.event' && !e.sourceRef && !e.event.type.startsWith('xstate.')) {
        sent.push(e.event.type);
      }
    };
    const h = harness({ ...options, inspect });
    const during = async (act: () => unknown): Promise<string[]> => {
      const from = sent.length;
      act();
      await h.flush();
      return sent.slice(from);
    };
    return { h, sent, during };
  }

  const drives: Record<string, () => Promise<string[]>> = {
    'substantiate(props, { signal })': () => {
      const { h, during } = recorded();
      const leave = new AbortController();
      return during(() => {
        h.worker.substantiate({}, { signal: leave.signal }).catch(() => undefined);
        leave.abort();
      });
    },
    'insubstantiate({ fast })': async () => {
      const { h, during } = recorded();
      await substantiated(h);
      return during(() => void h.worker.insubstantiate());
    },
    'attached(connection)': () => {
      const { h, during } = recorded({ buildWaitTimeout: -1 });
      return during(() => h.worker.attached({ disconnect: () => undefined }));
    },
    'detached(connection?)': () => {
      const { h, during } = recorded();
      return during(() => h.worker.detached());
    },
    'buildStarted()': async () => {
      const { h, during } = recorded();
      await substantiated(h);
      return during(() => h.worker.buildStarted());
    },
    'buildFinished(result)': async () => {
      const { h, during } = recorded();
      await substantiated(h);
      h.worker.buildStarted();
      return during(() => h.worker.buildFinished('success'));
    },
    'pause(reason?)': () => {
      const { h, during } = recorded();
      return during(() => h.worker.pause('maintenance'));
    },
    'unpause()': () => {
      const { h, during } = recorded();
      return during(() => h.worker.unpause());
    },
    'shutdown({ fast })': () => {
      const { h, during } = recorded();
      return during(() => void h.worker.shutdown());
    },
    'createLatentWorker({ snapshot })': () => {
      const snapshot = harness().worker.persist();
      return Promise.resolve(recorded({ snapshot }).sent);
    },
    'createLatentWorker({ journal })': () =>
      Promise.resolve(recorded({ journal: new MemoryJournal() }).sent)
  };

  it('for every call the table has, and only those', () => {
    expect(API_CALLS.map((c) => c.call)).toEqual(Object.keys(drives));
  });

  it.each(API_CALLS.map((c) => [c.call, c.events] as const))('%s', async (call, events) => {
    expect(await drives[call]!()).toEqual(events);
  });
});
