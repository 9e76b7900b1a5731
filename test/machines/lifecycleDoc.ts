import type { AnyStateMachine } from 'xstate';
import { toMermaid } from '../../src/index.js';
import { resolveOptions } from '../../src/runtime/options.js';
import { stateNodes, transitionsOf } from './chart.js';
import { API_CALLS, INVARIANTS } from './contract.js';
import { actionDocs, delayDocs, guardDocs, type Member } from './docComments.js';

type Node = ReturnType<typeof stateNodes>[number];

const HEADER = `# The latent-worker statechart (generated)

<!-- Generated from src/machines/latentWorker/ (the machine and its doc comments) and
     test/machines/contract.ts by test/machines/lifecycleDoc.ts.
     Do not edit: run \`UPDATE_DOCS=1 npx vitest run test/machines/lifecycleDoc.test.ts\`. -->

The formal side of [the lifecycle contract](../README.md): every state, event and transition of
\`latentWorkerMachine\`, read from the machine itself, so that a test fails when code and document
drift apart. Transitions of one state and event are tried top to bottom; the first whose guard
holds is taken. \`done(x)\`/\`error(x)\` are the answers of the provider call \`x\`; \`after d\` is
the timer \`d\` of the state. The property tests (\`test/properties\`), the graph coverage
(\`test/machines/graph.test.ts\`) and mutation testing check the machine against this contract.
`;

/**
 * The Markdown specification of the latent-worker statechart: its states, events, guards,
 * actions, timers and transitions, the API calls that send its events, the invariants with
 * their tests, and a diagram. Guards, actions and timers are described by their doc comments.
 */
export function lifecycleDoc(machine: AnyStateMachine): string {
  const nodes = stateNodes(machine).slice(1);
  const all = stateNodes(machine).flatMap((node) => transitionsOf(node));
  return [
    HEADER,
    '## States\n',
    table(
      ['state', 'kind', 'description', 'on entry', 'invokes', 'timers'],
      nodes.map((node) => [
        code(name(node)),
        node.type,
        node.description ?? '',
        node.entry
          .filter((action) => !isTimer(action))
          .map(actionName)
          .join(', '),
        node.invoke
          .map((i) => `${code(typeof i.src === 'string' ? i.src : 'inline')} as ${code(i.id)}`)
          .join(', '),
        transitionsOf(node)
          .filter((t) => t.eventType.startsWith('xstate.after.'))
          .map((t) => eventLabel(t.eventType))
          .filter((label, i, labels) => labels.indexOf(label) === i)
          .join(', ')
      ])
    ),
    '## Events\n',
    table(
      ['event', 'kind', 'handled in'],
      [...new Set(all.map((t) => t.eventType as string))].map((type) => [
        code(eventLabel(type)),
        eventKind(type),
        [...new Set(all.filter((t) => t.eventType === type).map((t) => name(t.source as Node)))]
          .map(code)
          .join(', ')
      ])
    ),
    '## API calls\n',
    'What each call of `LatentWorker` (and its creation) sends to the machine.\n',
    table(
      ['call', 'sends', 'note'],
      API_CALLS.map((c) => [code(c.call), c.events.map(code).join(', '), c.note])
    ),
    '## Guards\n',
    implementations(guardDocs(), (name) =>
      all.filter((t) => guardNames(t.guard).includes(name)).map((t) => t.source as Node)
    ),
    '## Actions\n',
    implementations(actionDocs(), (name) =>
      stateNodes(machine).filter((node) =>
        [...node.entry, ...node.exit, ...transitionsOf(node).flatMap((t) => t.actions)].some(
          (action) => actionName(action) === name
        )
      )
    ),
    '## Timers\n',
    'Delayed transitions of the states listed (leaving the state cancels them), with the code ' +
      'that computes each delay from the settings, and its default.\n',
    table(
      ['timer', 'delay', 'default', 'armed in', 'description'],
      [...delayDocs()].map(([name, { doc, code: delay }]) => [
        code(name),
        code(delay.replace(/^\(\{ context \}\) => /, '')),
        duration(DEFAULTS[name as keyof typeof DEFAULTS]),
        states(
          all
            .filter((t) => t.eventType.startsWith(`xstate.after.${name}.`))
            .map((t) => t.source as Node)
        ) || 'not a state: see its description',
        doc ?? ''
      ])
    ),
    '## Invariants\n',
    'The invariants of the lifecycle contract, each with tests that check it ' +
      '(the drift test checks that every one exists).\n',
    table(
      ['invariant', 'checked by'],
      INVARIANTS.map((i) => [
        `**${i.name}**: ${i.statement}`,
        i.tests.map((t) => `${code(t.file)}: ${t.title}`).join('<br>')
      ])
    ),
    '## Transitions\n',
    table(
      ['state', 'event', 'guard', 'target', 'actions'],
      all.map((t) => [
        code(name(t.source as Node)),
        code(eventLabel(t.eventType)),
        guardName(t.guard) ?? '',
        (t.target ?? []).map((target) => code(name(target as Node))).join(', ') +
          (t.reenter ? ' (re-entered)' : '') || '(stays)',
        t.actions.map(actionName).join(', ')
      ])
    ),
    '## Diagram\n',
    'Drawn by Mermaid 11 as [lifecycle.svg](lifecycle.svg) (regenerated by ' +
      '`UPDATE_DOCS=1 npx vitest run test/machines/lifecycleSvg.test.ts`), from this source:\n',
    '```mermaid\n' + toMermaid(machine) + '```\n',
    'To open the chart in Stately Studio, use its "Import from code" with ' +
      '`createMachine(…)` around [lifecycle.stately.json](lifecycle.stately.json), the ' +
      "machine's config as `toStatelyJson` writes it (regenerated by " +
      '`UPDATE_DOCS=1 npx vitest run test/machines/stately.test.ts`).\n'
  ].join('\n');
}

function name(node: Node): string {
  return node.path.join('.') || node.machine.id;
}

function code(text: string): string {
  return text ? `\`${text}\`` : '';
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line), ''].join('\n');
}

function eventLabel(type: string): string {
  if (type === '') return 'always';
  return type
    .replace(/^xstate\.done\.actor\.(.+)$/, 'done($1)')
    .replace(/^xstate\.error\.actor\.(.+)$/, 'error($1)')
    .replace(/^xstate\.after\.([^.]+)\..*$/, 'after $1');
}

const RAISED = ['request.timedOut', 'substantiation.timedOut', 'worker.failed'];

function eventKind(type: string): string {
  if (type === '') return 'eventless';
  if (/^xstate\.(done|error)\.actor\./.test(type)) return 'provider answer';
  if (type.startsWith('xstate.after.')) return 'timer';
  if (RAISED.includes(type)) return 'raised by the chart';
  return 'sent by the runtime';
}

function guardName(guard: unknown): string | undefined {
  if (!guard) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const { stateValue, guards } = guard as { stateValue?: unknown; guards?: unknown[] };
    if (stateValue) return `in ${leafPath(stateValue)}`;
    if (guard.name === 'not' && guards) return `not (${guards.map(guardName).join('')})`;
    if (guards) return `(${guards.map(guardName).join(` ${guard.name} `)})`;
    return guard.name || 'inline';
  }
  return (guard as { type?: string }).type;
}

function leafPath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? [];
  return child === undefined ? String(key) : `${key}.${leafPath(child)}`;
}

/** The delayed raise XState adds to the entry of a state with `after` (listed as its timer). */
function isTimer(action: unknown): boolean {
  return typeof action === 'function' && (action as { delay?: unknown }).delay !== undefined;
}

function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    const builtIn = (action as { type?: string }).type;
    return builtIn ? builtIn.replace(/^xstate\./, '') : action.name || 'inline';
  }
  return (action as { type?: string }).type ?? 'inline';
}

/** The settings a worker gets by default, so the timers table shows them. */
const DEFAULTS = resolveOptions({
  name: 'defaults',
  provider: { startInstance: () => undefined, stopInstance: () => undefined }
}).settings;

/** One row per named implementation: its doc comment and the states that use it. */
function implementations(members: Map<string, Member>, usedIn: (name: string) => Node[]): string {
  return table(
    ['name', 'description', 'used in'],
    [...members].map(([name, { doc }]) => [code(name), doc ?? '', states(usedIn(name))])
  );
}

function states(nodes: Node[]): string {
  return [...new Set(nodes.map(name))].map(code).join(', ');
}

/** The named guards in a guard, also inside `not`/`and`/`or`. */
function guardNames(guard: unknown): string[] {
  if (!guard) return [];
  if (typeof guard === 'string') return [guard];
  if (typeof guard === 'function') {
    return ((guard as { guards?: unknown[] }).guards ?? []).flatMap(guardNames);
  }
  return [(guard as { type: string }).type];
}

const UNITS: [string, number][] = [
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1]
];

function duration(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, v]) => `${key} ${key === 'factor' ? String(v) : duration(v)}`)
      .join(', ');
  }
  const ms = value as number;
  const [unit, size] = UNITS.find(([, size]) => ms % size === 0 && ms >= size) ?? ['ms', 1];
  return `${ms / size} ${unit}`;
}
