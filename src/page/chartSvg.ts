import { TEXT, type ChartLayout, type PlacedState } from './chartLayout.js';

const STYLE = `
  .chart { font: 12px ui-sans-serif, system-ui, sans-serif; }
  .state rect { fill: #f6f8fa; stroke: #57606a; stroke-width: 1.2; }
  .state.container > rect { fill: #ffffff; fill-opacity: 0.6; }
  .state.region > rect { stroke-dasharray: 5 4; }
  .state.final > rect.inner { fill: none; }
  .state text { fill: #1f2328; }
  .state text.name { font-weight: 600; }
  .state text.invoke { fill: #6e7781; font-size: 11px; }
  .state.active > rect { stroke: #0969da; stroke-width: 2.5; }
  .state.active:not(.container) > rect { fill: #ddf4ff; }
  .edge path { fill: none; stroke: #8c959f; stroke-width: 1; }
  .edge text { fill: #57606a; font-size: 10px; }
  .state text.count { fill: #0969da; font-weight: 600; text-anchor: end; }
  .initial { fill: #1f2328; }
`;

/**
 * The chart as a self-contained SVG: every state a `<g class="state" data-state="…">`, so that
 * a page can mark the active ones with the class `active` and write into its `text.count`.
 */
export function chartSvg(layout: ChartLayout, title: string): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${n(layout.width)} ${n(layout.height)}" width="${n(layout.width)}" height="${n(layout.height)}" role="img">`,
    `<title>${escape(title)}</title>`,
    `<style>${STYLE}</style>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker></defs>'
  ];
  const regions = new Set(
    layout.states.filter((p) => p.state.type === 'parallel').map((p) => p.state.id)
  );
  for (const placed of layout.states) out.push(stateSvg(placed, regions));
  for (const edge of layout.edges) {
    const d = edge.points.map((p, i) => `${i ? 'L' : 'M'}${n(p.x)},${n(p.y)}`).join(' ');
    out.push(
      `<g class="edge" data-source="${escape(edge.source)}" data-target="${escape(edge.target)}">`,
      `<path d="${d}" marker-end="url(#arrow)"/>`
    );
    for (const label of edge.labels) {
      const lines = label.text.split('\n');
      out.push(
        `<text x="${n(label.x + 3)}" y="${n(label.y)}">` +
          lines
            .map(
              (line) =>
                `<tspan x="${n(label.x + 3)}" dy="${TEXT.labelLine}">${escape(line)}</tspan>`
            )
            .join('') +
          '</text>'
      );
    }
    out.push('</g>');
  }
  for (const dot of layout.initials) {
    out.push(`<circle class="initial" cx="${n(dot.x)}" cy="${n(dot.y)}" r="5"/>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function stateSvg(placed: PlacedState, regions: ReadonlySet<string>): string {
  const { state, x, y, width, height, container } = placed;
  const classes = ['state', state.type];
  if (container) classes.push('container');
  if (state.parent && regions.has(state.parent)) classes.push('region');
  const parts = [
    `<g class="${classes.join(' ')}" data-state="${escape(state.id)}">`,
    `<rect x="${n(x)}" y="${n(y)}" width="${n(width)}" height="${n(height)}" rx="6"/>`
  ];
  if (state.type === 'final') {
    parts.push(
      `<rect class="inner" x="${n(x + 3)}" y="${n(y + 3)}" width="${n(width - 6)}" height="${n(height - 6)}" rx="4"/>`
    );
  }
  const textX = container ? x + 10 : x + 12;
  parts.push(`<text class="name" x="${n(textX)}" y="${n(y + 19)}">${escape(state.key)}</text>`);
  state.invokes.forEach((src, i) => {
    parts.push(
      `<text class="invoke" x="${n(textX)}" y="${n(y + 33 + i * 14)}">invoke ${escape(src)}</text>`
    );
  });
  // How many workers are in this state: filled in by the page.
  parts.push(`<text class="count" x="${n(x + width - 8)}" y="${n(y + 19)}"></text>`);
  parts.push('</g>');
  return parts.join('');
}

/** Coordinates to two decimals: short, and the same on every machine. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
