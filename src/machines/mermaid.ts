import type { AnyStateMachine } from 'xstate';
import { transitionLabel, type AnyStateNode, type TransitionLike } from './chartGraph.js';

/**
 * A Mermaid `stateDiagram-v2` of a machine: nested and parallel states, invoked actors, and
 * every transition that moves (targetless ones only run actions and are left out). No offline
 * visualiser exists for XState 5; Mermaid renders in GitHub, GitLab and most Markdown viewers.
 * A state's Mermaid id is its path joined with `__` (the root: the machine's id); the output
 * both parses and draws in Mermaid 11.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as unknown as AnyStateNode;
  const lines = ['stateDiagram-v2'];
  const edges: string[] = [];
  writeState(root, 1, lines, edges);
  return [...lines, ...edges].join('\n') + '\n';
}

function writeState(node: AnyStateNode, depth: number, lines: string[], edges: string[]): void {
  const pad = '  '.repeat(depth);
  const id = mermaidId(node);
  const children = Object.values(node.states) as AnyStateNode[];
  const composite = children.length > 0;
  const invokes = node.invoke.map((i) => `invoke ${typeof i.src === 'string' ? i.src : i.id}`);
  // Mermaid 11 gives a group (composite) node a label only, so a composite's invokes go into
  // its label. Parallel regions are sibling groups under a "(parallel)" label rather than
  // split by `--`: Mermaid cannot lay out a transition into or out of a composite state inside
  // a `--` region (mermaid-js/mermaid#4052), and ours has many.
  const notes = composite ? [...(node.type === 'parallel' ? ['parallel'] : []), ...invokes] : [];
  const title = notes.length ? `${node.key} (${notes.join(', ')})` : node.key;
  lines.push(`${pad}state "${title}" as ${id}`);
  if (node.type === 'final') lines.push(`${pad}${id} --> [*]`);
  if (!composite) for (const invoke of invokes) lines.push(`${pad}${id} : ${invoke}`);
  if (composite) {
    lines.push(`${pad}state ${id} {`);
    for (const child of children) writeState(child, depth + 1, lines, edges);
    const initial = node.initial?.target[0] as AnyStateNode | undefined;
    if (initial) lines.push(`${pad}  [*] --> ${mermaidId(initial)}`);
    lines.push(`${pad}}`);
  }
  const transitions = [...node.transitions.values()].flat() as TransitionLike[];
  for (const transition of [...transitions, ...((node.always ?? []) as TransitionLike[])]) {
    for (const target of transition.target ?? []) {
      edges.push(`  ${id} --> ${mermaidId(target)} : ${transitionLabel(transition)}`);
    }
  }
}

function mermaidId(node: AnyStateNode): string {
  return node.path.length ? node.path.join('__') : node.machine.id;
}
