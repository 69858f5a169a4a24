/**
 * Draws a laid-out state machine graph as SVG and recolours it per execution without
 * redrawing: each state is a `<g data-state=...>` whose `data-status` and fill change.
 */
import type { StateStatus } from '../execution-history';
import type { LaidOutGraph } from '../layout';
import { stateStatusColours } from '../wire';
import { h, s } from './dom';

export interface GraphView {
  element: HTMLElement;
  /** Colours states by status; states absent from the map are "not started". */
  setStatuses(statuses: Record<string, StateStatus>, retries?: Record<string, number>): void;
}

const markerTypes = new Set(['Start', 'End']);

/** Renders a graph; `title` heads the panel. */
export function renderGraph(
  graph: LaidOutGraph,
  title: string,
  note?: (nodeId: string) => string | undefined,
): GraphView {
  const pad = 8;
  const svg = s('svg', {
    viewBox: `${-pad} ${-pad} ${graph.width + 2 * pad} ${graph.height + 2 * pad}`,
    // Fit the panel, but never below 60% of natural size: past that the panel scrolls instead.
    style: `width:100%;height:auto;max-width:${Math.ceil(graph.width + 2 * pad)}px;min-width:${Math.ceil((graph.width + 2 * pad) * 0.6)}px`,
    role: 'img',
    'aria-label': `${title} graph`,
    'data-machine': graph.machine,
  });
  const defs = s('defs');
  defs.append(
    s(
      'marker',
      {
        id: `arrow-${graph.machine}`,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto',
      },
      s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#80868b' }),
    ),
  );
  svg.append(defs);

  const nodeEls = new Map<string, { g: SVGElement; rect: SVGElement; badge?: SVGElement }>();
  // Groups first so their inner states draw on top.
  const ordered = [...graph.nodes].sort((a, b) => Number(b.group) - Number(a.group));
  const nodeLayer = s('g', { class: 'nodes' });
  for (const node of ordered) {
    const marker = markerTypes.has(node.type);
    const cls = ['node', node.group ? 'group' : '', marker ? 'marker' : ''].filter(Boolean).join(' ');
    const g = s('g', {
      class: cls,
      'data-node-id': node.id,
      'data-type': node.type,
      'data-status': 'not-started',
      ...(marker || node.type === 'Branch' ? {} : { 'data-state': node.name }),
    });
    const rect = s('rect', {
      x: node.x,
      y: node.y,
      width: node.width,
      height: node.height,
      rx: marker ? node.height / 2 : 6,
      fill: stateStatusColours['not-started'],
    });
    g.append(rect);
    const tip = [node.name, node.type, node.comment, ...(node.retry ?? []).map((r) => `Retry ${r}`)]
      .filter(Boolean)
      .join('\n');
    g.append(s('title', {}, tip));
    if (node.group) {
      const label = node.mapMode
        ? `${node.name}  (${node.mapMode === 'DISTRIBUTED' ? 'Distributed Map' : 'Map'})`
        : node.name;
      g.append(s('text', { x: node.x + 10, y: node.y + 20, 'font-weight': 600 }, label));
    } else {
      g.append(
        s(
          'text',
          { x: node.x + node.width / 2, y: node.y + node.height / 2 + 4, 'text-anchor': 'middle' },
          node.name,
        ),
      );
    }
    const entry: { g: SVGElement; rect: SVGElement; badge?: SVGElement } = { g, rect };
    if (node.group) {
      const badge = s('text', { x: node.x + 10, y: node.y + 36, 'font-size': 11, fill: '#1a73e8' });
      g.append(badge);
      entry.badge = badge;
    } else if (!marker) {
      const badge = s('text', {
        x: node.x + node.width - 4,
        y: node.y + 11,
        'text-anchor': 'end',
        'font-size': 10,
        fill: '#b06000',
      });
      g.append(badge);
      entry.badge = badge;
    }
    nodeEls.set(node.id, entry);
    nodeLayer.append(g);
  }

  const edgeLayer = s('g', { class: 'edges' });
  for (const edge of graph.edges) {
    if (edge.points.length < 2) continue;
    const d = edge.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x},${y}`).join(' ');
    const g = s('g', { class: `edge ${edge.kind}`, 'data-from': edge.from, 'data-to': edge.to });
    g.append(s('path', { d, 'marker-end': `url(#arrow-${graph.machine})` }));
    if (edge.label && edge.labelPosition) {
      g.append(s('text', { x: edge.labelPosition[0], y: edge.labelPosition[1] }, edge.label));
    }
    edgeLayer.append(g);
  }
  // Groups under edges under states: edges stay visible across a group's background.
  const groups = s('g', { class: 'groups' });
  const states = s('g', { class: 'states' });
  for (const child of Array.from(nodeLayer.childNodes)) {
    ((child as SVGElement).classList.contains('group') ? groups : states).append(child);
  }
  svg.append(groups, edgeLayer, states);

  const legend = h('div', { class: 'legend' });
  for (const [status, colour] of Object.entries(stateStatusColours)) {
    legend.append(
      h(
        'span',
        {},
        h('i', {
          class: 'swatch',
          style: `display:inline-block;width:10px;height:10px;border:1px solid #80868b;background:${colour}`,
        }),
        ` ${status.replace('-', ' ')}`,
      ),
    );
  }
  const element = h(
    'section',
    { class: 'panel graph', 'data-graph': graph.machine },
    h('h2', {}, title),
    svg,
    legend,
  );

  return {
    element,
    setStatuses(statuses, retries = {}) {
      for (const [id, { g, rect, badge }] of nodeEls) {
        if (markerTypes.has(g.getAttribute('data-type') ?? '')) continue;
        const status = statuses[id] ?? 'not-started';
        g.setAttribute('data-status', status);
        rect.setAttribute('fill', stateStatusColours[status]);
        if (badge) {
          const name = g.getAttribute('data-state') ?? '';
          const n = retries[name] ?? 0;
          const extra = note?.(id);
          badge.textContent = [n > 0 ? `↻${n}` : '', extra ?? ''].filter(Boolean).join(' ');
        }
      }
    },
  };
}
