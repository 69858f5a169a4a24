/**
 * Lays out a state machine graph with elkjs on the server, so the page (and a static export)
 * only draws rectangles and polylines: no layout engine ships to the browser.
 */
// elk's worker module, driven directly: its Dispatcher runs a layout synchronously.
// biome-ignore lint/suspicious/noExplicitAny: elk-worker ships no usable types for its Dispatcher
const { Worker: ElkWorker } = require('elkjs/lib/elk-worker.min.js') as { Worker: new () => any };

import type { UiGraph, UiGraphEdge, UiGraphNode } from './asl-graph';

export interface LaidOutNode extends UiGraphNode {
  /** Absolute position and size in the SVG's coordinate system. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Group nodes (Map, Parallel, Branch) hold other nodes and are drawn behind them. */
  group: boolean;
}

export interface LaidOutEdge extends UiGraphEdge {
  /** Polyline points in absolute coordinates. */
  points: Array<[number, number]>;
  labelPosition?: [number, number];
}

export interface LaidOutGraph {
  machine: string;
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
}

interface ElkShape {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  children?: ElkShape[];
  edges?: ElkEdgeShape[];
  labels?: Array<{ text: string; width: number; height: number; x?: number; y?: number }>;
  layoutOptions?: Record<string, string>;
}
interface ElkEdgeShape {
  id: string;
  sources: string[];
  targets: string[];
  labels?: Array<{ text: string; width: number; height: number; x?: number; y?: number }>;
  sections?: Array<{
    startPoint: { x: number; y: number };
    endPoint: { x: number; y: number };
    bendPoints?: Array<{ x: number; y: number }>;
  }>;
}

/** Rough text width in the page's 12px sans-serif; ELK needs sizes before the browser measures. */
export function textWidth(text: string, px = 12): number {
  return Math.ceil(text.length * px * 0.58);
}

/**
 * elkjs's own API hops through `setTimeout` twice per layout (its fake worker and promise
 * wrapper). Under the sandbox's virtual clock the timers only fire when the clock moves, so a
 * layout requested while a rollout is held would never finish. Calling the dispatcher directly
 * lays out synchronously with no timer at all.
 */
let elkWorker:
  | { onmessage: (e: { data: unknown }) => void; dispatcher: { saveDispatch(e: unknown): void } }
  | undefined;
let elkAnswer: { data?: unknown; error?: unknown } | undefined;
let elkId = 0;

function elkCall(message: Record<string, unknown>): unknown {
  if (!elkWorker) {
    elkWorker = new ElkWorker();
    elkWorker!.onmessage = (event) => {
      elkAnswer = event.data as typeof elkAnswer;
    };
    elkCall({ cmd: 'register', algorithms: ['layered'] });
  }
  elkAnswer = undefined;
  elkWorker!.dispatcher.saveDispatch({ data: { ...message, id: elkId++ } });
  const answer = elkAnswer as { data?: unknown; error?: unknown } | undefined;
  if (!answer) throw new Error('elkjs did not answer the layout request synchronously');
  if (answer.error)
    throw answer.error instanceof Error ? answer.error : new Error(JSON.stringify(answer.error));
  return answer.data;
}

/** Positions every node and routes every edge; groups are sized around their children. */
export async function layoutGraph(graph: UiGraph): Promise<LaidOutGraph> {
  const groupIds = new Set(graph.nodes.filter((n) => n.parent !== undefined).map((n) => n.parent as string));
  const shapes = new Map<string, ElkShape>();
  for (const node of graph.nodes) {
    const group = groupIds.has(node.id);
    const marker = node.type === 'Start' || node.type === 'End';
    const shape: ElkShape = { id: node.id };
    if (group) {
      shape.children = [];
      shape.layoutOptions = {
        // Room for "<name> (Distributed Map)" and, below it, the map run's progress line.
        'elk.padding': '[top=48,left=16,bottom=16,right=16]',
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${textWidth(`${node.name} (Distributed Map)`) + 28}, 80)`,
      };
    } else if (marker) {
      shape.width = 56;
      shape.height = 24;
    } else {
      shape.width = Math.max(120, textWidth(node.name) + 32);
      shape.height = 40;
    }
    shapes.set(node.id, shape);
  }
  const root: ElkShape = {
    id: 'root',
    children: [],
    edges: [],
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '44',
      'elk.spacing.nodeNode': '16',
      // Compact: drift-target (drift, repair and the deploy states it converges through) is wide enough already.
      'elk.spacing.edgeLabel': '2',
      'elk.spacing.edgeEdge': '6',
      'elk.spacing.edgeNode': '8',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '6',
      'elk.layered.spacing.edgeNodeBetweenLayers': '8',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
    },
  };
  for (const node of graph.nodes) {
    const shape = shapes.get(node.id)!;
    const parent = node.parent ? shapes.get(node.parent) : root;
    (parent ?? root).children!.push(shape);
  }
  for (const edge of graph.edges) {
    const e: ElkEdgeShape = { id: edge.id, sources: [edge.from], targets: [edge.to] };
    if (edge.label) e.labels = [{ text: edge.label, width: textWidth(edge.label, 11), height: 14 }];
    root.edges!.push(e);
  }

  const result = elkCall({ cmd: 'layout', graph: root, layoutOptions: {}, options: {} }) as ElkShape;

  const nodes: LaidOutNode[] = [];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const visit = (shape: ElkShape) => {
    for (const child of shape.children ?? []) {
      const source = byId.get(child.id)!;
      nodes.push({
        ...source,
        x: child.x ?? 0,
        y: child.y ?? 0,
        width: child.width ?? 0,
        height: child.height ?? 0,
        group: groupIds.has(child.id),
      });
      visit(child);
    }
  };
  visit(result);

  const edgeById = new Map(graph.edges.map((e) => [e.id, e]));
  const edges: LaidOutEdge[] = [];
  const collectEdges = (shape: ElkShape) => {
    for (const e of shape.edges ?? []) {
      const source = edgeById.get(e.id)!;
      const points: Array<[number, number]> = [];
      for (const section of e.sections ?? []) {
        points.push([section.startPoint.x, section.startPoint.y]);
        for (const bend of section.bendPoints ?? []) points.push([bend.x, bend.y]);
        points.push([section.endPoint.x, section.endPoint.y]);
      }
      const out: LaidOutEdge = { ...source, points };
      const label = e.labels?.[0];
      if (label && label.x !== undefined && label.y !== undefined)
        out.labelPosition = [label.x, label.y + 11];
      edges.push(out);
    }
    for (const child of shape.children ?? []) collectEdges(child);
  };
  collectEdges(result);
  return { machine: graph.machine, width: result.width ?? 0, height: result.height ?? 0, nodes, edges };
}
