/**
 * Turns an ASL definition into the graph the page draws: one node per state (named as the
 * state, so people read the same names as in the console), Map and Parallel states as groups
 * holding their inner states, and edges for Next, Choice branches, Default and Catch.
 * Pure: the server lays it out and the page colours it.
 */

/** How an edge came to be; the page styles Catch edges dashed and labels Choice branches. */
export const EdgeKinds = {
  Next: 'next',
  Choice: 'choice',
  Default: 'default',
  Catch: 'catch',
} as const;
export type EdgeKind = (typeof EdgeKinds)[keyof typeof EdgeKinds];

export interface UiGraphNode {
  /** Unique in the graph: `state:<name>` for states, `start:<scope>`/`end:<scope>` for markers. */
  id: string;
  /** The state name (or "Start"/"End"). */
  name: string;
  /** ASL `Type`, or `Start`/`End` for the markers, `Branch` for a Parallel branch. */
  type: string;
  /** Id of the group node this node sits in (Map/Parallel/Branch). */
  parent?: string;
  comment?: string;
  /** Short Retry summaries, e.g. `Throttled, TransientError ×6`. */
  retry?: string[];
  /** For a Map: `DISTRIBUTED` or `INLINE`. */
  mapMode?: string;
  /** For a Distributed Map: its `Label` (map run ARNs carry it). */
  label?: string;
  /** For a Task: the resource, without placeholders resolved. */
  resource?: string;
}

export interface UiGraphEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface UiGraph {
  /** Which machine this is (e.g. `rollout`, `deploy-target`). */
  machine: string;
  nodes: UiGraphNode[];
  edges: UiGraphEdge[];
}

/** The ASL definition could not be read as a state machine; names the field that was wrong. */
export class AslGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AslGraphError';
  }
}

interface AslStates {
  StartAt?: unknown;
  States?: unknown;
}

type AslState = Record<string, unknown>;

/** Node id of a state; state names are unique across a whole state machine in ASL. */
export function stateNodeId(name: string): string {
  return `state:${name}`;
}

/** Builds the graph of a definition (string or parsed). */
export function aslToGraph(definition: string | object, machine: string): UiGraph {
  let parsed: unknown = definition;
  if (typeof definition === 'string') {
    try {
      parsed = JSON.parse(definition);
    } catch (error) {
      throw new AslGraphError(
        `The definition of ${machine} is not JSON: ${(error as Error).message}. Received: ${definition.slice(0, 60)}`,
      );
    }
  }
  const graph: UiGraph = { machine, nodes: [], edges: [] };
  addScope(graph, parsed as AslStates, 'root', undefined, machine);
  const ids = new Set(graph.nodes.map((n) => n.id));
  for (const e of graph.edges) {
    if (!ids.has(e.to)) {
      throw new AslGraphError(
        `A transition in ${machine} points at a state that does not exist. Received: ${e.to.replace(/^state:/, '')}`,
      );
    }
  }
  return graph;
}

function addScope(
  graph: UiGraph,
  scope: AslStates,
  scopeId: string,
  parent: string | undefined,
  where: string,
): void {
  const states = scope.States;
  if (!states || typeof states !== 'object' || Array.isArray(states)) {
    throw new AslGraphError(`States of ${where} must be an object. Received: ${JSON.stringify(states)}`);
  }
  const startAt = scope.StartAt;
  if (typeof startAt !== 'string' || !(startAt in states)) {
    throw new AslGraphError(
      `StartAt of ${where} must name one of its states. Received: ${JSON.stringify(startAt)}`,
    );
  }
  const startId = `start:${scopeId}`;
  const endId = `end:${scopeId}`;
  graph.nodes.push(withParent({ id: startId, name: 'Start', type: 'Start' }, parent));
  let endUsed = false;
  const edge = (from: string, to: string, kind: EdgeKind, label?: string) => {
    const id = `e${graph.edges.length}`;
    graph.edges.push(label === undefined ? { id, from, to, kind } : { id, from, to, kind, label });
  };
  edge(startId, stateNodeId(startAt), EdgeKinds.Next);

  for (const [name, raw] of Object.entries(states as Record<string, unknown>)) {
    const state = (raw ?? {}) as AslState;
    const id = stateNodeId(name);
    const type = typeof state.Type === 'string' ? state.Type : 'Unknown';
    const node: UiGraphNode = withParent({ id, name, type }, parent);
    if (typeof state.Comment === 'string') node.comment = state.Comment;
    if (typeof state.Resource === 'string') node.resource = state.Resource;
    const retry = summarizeRetry(state.Retry);
    if (retry.length > 0) node.retry = retry;
    graph.nodes.push(node);

    if (type === 'Map') {
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | (AslStates & { ProcessorConfig?: unknown })
        | undefined;
      const config = (processor?.ProcessorConfig ?? {}) as { Mode?: unknown };
      node.mapMode = typeof config.Mode === 'string' ? config.Mode : 'INLINE';
      if (typeof state.Label === 'string') node.label = state.Label;
      if (processor) addScope(graph, processor, name, id, `${where} > ${name}`);
    } else if (type === 'Parallel') {
      const branches = Array.isArray(state.Branches) ? (state.Branches as AslStates[]) : [];
      branches.forEach((branch, index) => {
        const branchId = `branch:${name}:${index}`;
        graph.nodes.push({ id: branchId, name: `Branch ${index + 1}`, type: 'Branch', parent: id });
        addScope(graph, branch, `${name}#${index}`, branchId, `${where} > ${name} branch ${index + 1}`);
      });
    }

    if (type === 'Choice') {
      const choices = Array.isArray(state.Choices) ? (state.Choices as AslState[]) : [];
      for (const rule of choices) {
        if (typeof rule.Next === 'string')
          edge(id, stateNodeId(rule.Next), EdgeKinds.Choice, describeChoiceRule(rule));
      }
      if (typeof state.Default === 'string')
        edge(id, stateNodeId(state.Default), EdgeKinds.Default, 'Default');
    } else if (typeof state.Next === 'string') {
      edge(id, stateNodeId(state.Next), EdgeKinds.Next);
    } else if (state.End === true || type === 'Succeed' || type === 'Fail') {
      edge(id, endId, EdgeKinds.Next);
      endUsed = true;
    }
    if (Array.isArray(state.Catch)) {
      for (const catcher of state.Catch as AslState[]) {
        if (typeof catcher.Next !== 'string') continue;
        const errors = Array.isArray(catcher.ErrorEquals) ? (catcher.ErrorEquals as string[]) : [];
        const names = errors.map((e) => (e === 'States.ALL' ? 'any error' : e.replace(/^States\./, '')));
        edge(id, stateNodeId(catcher.Next), EdgeKinds.Catch, `catch ${shortList(names)}`);
      }
    }
  }
  if (endUsed) graph.nodes.push(withParent({ id: endId, name: 'End', type: 'End' }, parent));
}

function withParent(node: UiGraphNode, parent: string | undefined): UiGraphNode {
  if (parent !== undefined) node.parent = parent;
  return node;
}

/** The last member of a JSONPath (`$.stack.status` -> `status`), for labels. */
function shortPath(path: string): string {
  const m = /([A-Za-z0-9_]+)\]?$/.exec(path);
  return m ? m[1]! : path;
}

function shortList(items: string[]): string {
  if (items.length <= 2) return items.join(', ');
  return `${items.slice(0, 2).join(', ')} +${items.length - 2}`;
}

function summarizeRetry(retry: unknown): string[] {
  if (!Array.isArray(retry)) return [];
  return (retry as AslState[]).map((r) => {
    const errors = Array.isArray(r.ErrorEquals) ? (r.ErrorEquals as string[]) : [];
    const attempts = typeof r.MaxAttempts === 'number' ? r.MaxAttempts : 3;
    return `${shortList(errors)} ×${attempts}`;
  });
}

const comparators: Record<string, string> = {
  StringEquals: '==',
  StringEqualsPath: '==',
  NumericEquals: '==',
  NumericEqualsPath: '==',
  BooleanEquals: '==',
  BooleanEqualsPath: '==',
  TimestampEquals: '==',
  StringLessThan: '<',
  NumericLessThan: '<',
  NumericLessThanPath: '<',
  TimestampLessThan: '<',
  StringGreaterThan: '>',
  NumericGreaterThan: '>',
  NumericGreaterThanPath: '>',
  TimestampGreaterThan: '>',
  NumericLessThanEquals: '<=',
  NumericGreaterThanEquals: '>=',
  StringLessThanEquals: '<=',
  StringGreaterThanEquals: '>=',
  StringMatches: 'matches',
  IsPresent: 'present',
  IsNull: 'null',
  IsString: 'is string',
  IsNumeric: 'is number',
  IsBoolean: 'is boolean',
  IsTimestamp: 'is timestamp',
};

/** A short human reading of a Choice rule, for the edge label (`$.status == "FAILED"`). */
export function describeChoiceRule(rule: AslState): string {
  const text = describeRule(rule);
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

function describeRule(rule: AslState): string {
  if (typeof rule.Condition === 'string') return rule.Condition;
  if (Array.isArray(rule.And)) return (rule.And as AslState[]).map(describeRule).join(' and ');
  if (Array.isArray(rule.Or)) return (rule.Or as AslState[]).map(describeRule).join(' or ');
  if (rule.Not && typeof rule.Not === 'object') return `not (${describeRule(rule.Not as AslState)})`;
  // Edge labels widen the layout: `$.stack.status` reads as `status`, string values unquoted.
  const variable = typeof rule.Variable === 'string' ? shortPath(rule.Variable) : '?';
  for (const [key, op] of Object.entries(comparators)) {
    if (key in rule) {
      const value = rule[key];
      if (op === 'present' || op === 'null')
        return value === false ? `${variable} not ${op}` : `${variable} ${op}`;
      if (op.startsWith('is '))
        return value === false ? `${variable} not ${op.slice(3)}` : `${variable} ${op}`;
      const shown =
        typeof value === 'string' ? (key.endsWith('Path') ? shortPath(value) : value) : JSON.stringify(value);
      return `${variable} ${op} ${shown}`;
    }
  }
  return variable;
}
