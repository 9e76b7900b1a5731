import elkjs, { type ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { ChartGraph, ChartState } from '../machines/chartGraph.js';

// elkjs is CommonJS: the module is the constructor that its types call `default`.
const ELK = elkjs as unknown as typeof elkjs.default;

/** A state's box, in absolute coordinates. */
export interface PlacedState {
  state: ChartState;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Has states inside: its name is drawn at the top and its children within. */
  container: boolean;
}

/** A drawn arrow: one or more transitions with the same source and target. */
export interface PlacedEdge {
  source: string;
  target: string;
  /** From the start point, through the bends, to the end point. */
  points: { x: number; y: number }[];
  labels: { text: string; x: number; y: number }[];
}

/** The dot that points at a container's initial state. */
export interface PlacedInitial {
  parent: string | undefined;
  x: number;
  y: number;
}

export interface ChartLayout {
  width: number;
  height: number;
  states: PlacedState[];
  edges: PlacedEdge[];
  initials: PlacedInitial[];
}

/** Text metrics by character count, so that the layout is the same wherever it is computed. */
export const TEXT = { char: 7, line: 16, labelChar: 6, labelLine: 13 } as const;
const STATE_HEIGHT = 30;
const INVOKE_LINE = 14;
const HEADER = 26;
const INITIAL = 10;

const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  // Transitions cross the nesting (substantiating.starting → insubstantiating): lay out every
  // level as one graph so that ELK can route them.
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.nodeNode': '18',
  'elk.spacing.edgeLabel': '2',
  'elk.layered.spacing.nodeNodeBetweenLayers': '28',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX'
};

/**
 * Lays a chart out with ELK's layered algorithm (the Eclipse Layout Kernel, as elkjs): states
 * nested in their parents, transitions with the same source and target drawn as one arrow
 * with a line per transition.
 */
export async function layoutChart(graph: ChartGraph): Promise<ChartLayout> {
  const nodes = new Map<string, ElkNode>();
  const root: ElkNode = { id: '', layoutOptions: LAYOUT_OPTIONS, children: [], edges: [] };
  const parents = new Set(graph.states.flatMap((s) => (s.parent ? [s.parent] : [])));
  for (const state of graph.states) {
    const lines = [state.key, ...state.invokes.map((src) => `invoke ${src}`)];
    const width = Math.max(...lines.map((line) => line.length)) * TEXT.char + 24;
    const node: ElkNode = parents.has(state.id)
      ? {
          id: state.id,
          children: [],
          layoutOptions: {
            'elk.padding': `[top=${HEADER + state.invokes.length * INVOKE_LINE},left=12,bottom=12,right=12]`,
            'elk.nodeSize.minimum': `(${width}, ${HEADER})`,
            'elk.nodeSize.constraints': 'MINIMUM_SIZE'
          }
        }
      : { id: state.id, width, height: STATE_HEIGHT + state.invokes.length * INVOKE_LINE };
    nodes.set(state.id, node);
    (state.parent ? nodes.get(state.parent)!.children! : root.children!).push(node);
  }
  for (const state of graph.states) {
    if (!state.initial || graph.states.find((s) => s.id === state.parent)?.type === 'parallel') {
      continue;
    }
    const dot = { id: `${state.parent ?? ''}#initial`, width: INITIAL, height: INITIAL };
    (state.parent ? nodes.get(state.parent)!.children! : root.children!).unshift(dot);
    root.edges!.unshift({ id: `${dot.id}→`, sources: [dot.id], targets: [state.id] });
  }
  const arrows = new Map<string, { source: string; target: string; labels: string[] }>();
  for (const t of graph.transitions) {
    const key = `${t.source}→${t.target}`;
    const arrow = arrows.get(key) ?? { source: t.source, target: t.target, labels: [] };
    if (!arrow.labels.includes(t.label)) arrow.labels.push(t.label);
    arrows.set(key, arrow);
  }
  for (const [id, arrow] of arrows) {
    root.edges!.push({
      id,
      sources: [arrow.source],
      targets: [arrow.target],
      labels: [
        {
          text: arrow.labels.join('\n'),
          width: Math.max(...arrow.labels.map((l) => l.length)) * TEXT.labelChar + 6,
          height: arrow.labels.length * TEXT.labelLine + 2
        }
      ]
    });
  }

  const laid = await new ELK().layout(root);
  const layout: ChartLayout = {
    width: laid.width ?? 0,
    height: laid.height ?? 0,
    states: [],
    edges: [],
    initials: []
  };
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const place = (node: ElkNode): void => {
    for (const child of node.children ?? []) {
      const state = byId.get(child.id);
      if (state) {
        layout.states.push({
          state,
          x: child.x ?? 0,
          y: child.y ?? 0,
          width: child.width ?? 0,
          height: child.height ?? 0,
          container: parents.has(state.id)
        });
      } else {
        const parent = child.id.slice(0, -'#initial'.length);
        layout.initials.push({
          parent: parent || undefined,
          x: (child.x ?? 0) + INITIAL / 2,
          y: (child.y ?? 0) + INITIAL / 2
        });
      }
      place(child);
    }
  };
  place(laid);
  for (const edge of laid.edges ?? []) {
    const section = edge.sections?.[0];
    if (!section) continue;
    layout.edges.push({
      source: edge.sources[0]!,
      target: edge.targets[0]!,
      points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint],
      labels: (edge.labels ?? []).map((label) => ({
        text: label.text ?? '',
        x: label.x ?? 0,
        y: label.y ?? 0
      }))
    });
  }
  return layout;
}
