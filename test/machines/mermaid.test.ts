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

describe.skipIf(missing)(`Mermaid 11${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: Browser;
  let mermaid: MermaidPage;
  beforeAll(async () => {
    browser = await launchBrowser();
    mermaid = await openMermaid(browser);
  }, 60_000);
  afterAll(() => browser?.close());

  // Parsing is not enough: a diagram that parses can still fail in the layout.
  it.each([
    ['latentWorkerMachine', latentWorkerMachine],
    ['a nested, parallel machine with invokes on a leaf and on a composite state', nestedParallel]
  ])('parses and draws the chart of %s', async (_, machine) => {
    const text = toMermaid(machine);
    expect(await mermaid.parse(text)).toBeUndefined();
    expect(await mermaid.render(text)).toContain('</svg>');
  });

  it('shows the invokes of leaf and composite states, and which states are parallel', () => {
    const text = toMermaid(nestedParallel);
    expect(text).toContain('media__loading : invoke fetchMedia');
    expect(text).toContain('state "ready (invoke decoder)" as media__ready');
    expect(text).toContain('state "player (parallel)" as player');
  });

  // The harness must be able to fail: the first is what toMermaid wrote before Mermaid 11.
  it.each([
    [
      'a description on a group node',
      'stateDiagram-v2\n  state "a" as a\n  a : invoke x\n  state a {\n    b --> c\n  }\n',
      /Group nodes can only have label/
    ],
    ['text that is no diagram', 'stateDiagram-v2\n  a --> --> b\n', /Parse error/]
  ])('rejects %s', async (_, text, error) => {
    expect(await mermaid.parse(text)).toMatch(error);
  });

  // Why toMermaid draws no `--` between regions. When this fails, Mermaid has fixed it.
  it('cannot draw a transition into a composite state inside a `--` region (mermaid#4052)', async () => {
    const text = [
      'stateDiagram-v2',
      '  state p {',
      '    state a {',
      '      idle',
      '      state inner {',
      '        [*] --> c',
      '      }',
      '      [*] --> idle',
      '    }',
      '    --',
      '    state x {',
      '      [*] --> y',
      '    }',
      '  }',
      '  idle --> inner : go',
      ''
    ].join('\n');
    expect(await mermaid.parse(text)).toBeUndefined();
    await expect(mermaid.render(text)).rejects.toThrow(/setting 'rank'/);
  });
});
