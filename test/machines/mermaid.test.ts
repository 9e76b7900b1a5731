import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { latentWorkerMachine, toMermaid } from '../../src/index.js';
import { browserMissing, launchBrowser } from '../support/browser.js';
import { openMermaid, type MermaidPage } from './mermaidPage.js';

const missing = browserMissing();

/** Nested, parallel and final states, invokes on a leaf and on a composite, every edge kind. */
const nestedParallel = createMachine({
  id: 'player',
  type: 'parallel',
  states: {
    media: {
      initial: 'loading',
      states: {
        loading: {
          invoke: { src: 'fetchMedia', onDone: 'ready', onError: 'broken' },
          after: { 500: 'slow' }
        },
        slow: { always: { guard: 'isOffline', target: 'broken' } },
        ready: {
          invoke: { src: 'decoder' },
          initial: 'paused',
          states: { paused: { on: { play: 'playing' } }, playing: { on: { pause: 'paused' } } }
        },
        broken: { type: 'final' }
      }
    },
    volume: {
      initial: 'on',
      states: { on: { on: { mute: 'off' } }, off: { on: { unmute: 'on' } } }
    }
  }
});

describe.skipIf(missing)(`Mermaid 11 parses${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let mermaid: MermaidPage;
  beforeAll(async () => {
    browser = await launchBrowser();
    mermaid = await openMermaid(browser);
  }, 60_000);
  afterAll(() => browser?.close());

  it('the chart of latentWorkerMachine', async () => {
    expect(await mermaid.parse(toMermaid(latentWorkerMachine))).toBeUndefined();
  });

  it('a nested, parallel machine with invokes on a leaf and on a composite state', async () => {
    const text = toMermaid(nestedParallel);
    expect(await mermaid.parse(text)).toBeUndefined();
    expect(text).toContain('invoke decoder');
  });

  // The harness must be able to fail: these are what toMermaid wrote before Mermaid 11.
  it.each([
    [
      'a description on a group node',
      'stateDiagram-v2\n  state "a" as a\n  a : invoke x\n  state a {\n    b --> c\n  }\n',
      /Group nodes can only have label/
    ],
    ['text that is no diagram', 'stateDiagram-v2\n  a --> --> b\n', /Parse error/]
  ])('and rejects %s', async (_, text, error) => {
    expect(await mermaid.parse(text)).toMatch(error);
  });
});
