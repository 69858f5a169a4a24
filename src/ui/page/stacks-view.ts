/**
 * The stacks form on the page (issue 17): which stack the matrix shows ("All stacks — worst
 * outcome", the server's per-target row, or one stack's rows), and the target panel's list and
 * small drawing of the target's graph of stacks with each stack's outcome.
 */
import { letsDependantsStart } from '../../core/lane-walk';
import { Outcomes, outcomeColours, type StackWire, unknownOutcomeColour } from '../wire';
import { h, s } from './dom';
import type { MatrixCell } from './matrix';

/** Every row the page received, by stack ('' = the target's own row, its worst stack's). */
export class StackCells {
  private readonly byStack = new Map<string, Map<string, MatrixCell>>();

  add(cells: readonly MatrixCell[]): void {
    for (const c of cells) {
      const stack = c.stack ?? '';
      let table = this.byStack.get(stack);
      if (!table) {
        table = new Map();
        this.byStack.set(stack, table);
      }
      table.set(`${c.account}|${c.region}`, c);
    }
  }

  clear(): void {
    this.byStack.clear();
  }

  /** The cells the matrix shows for `stack` ('' for every target's worst). */
  of(stack: string): MatrixCell[] {
    return [...(this.byStack.get(stack)?.values() ?? [])];
  }

  get(stack: string, account: string, region: string): MatrixCell | undefined {
    return this.byStack.get(stack)?.get(`${account}|${region}`);
  }
}

/** The query parameter that keeps the stack shown, so a reload or a shared link shows the same one. */
export const STACK_QUERY = 'stack';

/** Writes the stack shown into the page's address ('' removes it), without a reload or a history entry. */
function writeStackToAddress(stack: string): void {
  try {
    const url = new URL(location.href);
    if (stack) url.searchParams.set(STACK_QUERY, stack);
    else url.searchParams.delete(STACK_QUERY);
    history.replaceState(history.state, '', url.toString());
  } catch {
    // A page the browser will not rewrite the address of (some file: exports): the choice still applies.
  }
}

/**
 * The matrix's stack selector; hidden until the rollout turns out to hold a graph of stacks. The
 * choice lives in the address (`?stack=<name>`): the stack a link or a reload names is shown once
 * the rollout's stacks are known, if it is one of them.
 */
export function createStackSelector(onChange: (stack: string) => void) {
  const select = h('select', { 'aria-label': 'Stack shown', 'data-field': 'stack-select' });
  const element = h('label', { class: 'stack-select', hidden: '' }, 'Stack ', select);
  let known = '';
  let wanted = new URLSearchParams(location.search).get(STACK_QUERY) ?? '';
  select.addEventListener('change', () => {
    wanted = select.value;
    writeStackToAddress(select.value);
    onChange(select.value);
  });
  return {
    element,
    value: () => select.value,
    setStacks(stacks: readonly StackWire[] | undefined) {
      const names = (stacks ?? []).map((x) => x.name);
      if (names.join('\n') === known) return;
      known = names.join('\n');
      element.hidden = names.length === 0;
      select.replaceChildren(
        h('option', { value: '' }, 'All stacks — worst outcome'),
        ...names.map((n) => h('option', { value: n }, n)),
      );
      select.value = names.includes(wanted) ? wanted : '';
    },
  };
}

/** The failed dependency a BLOCKED stack waits on (following BLOCKED dependencies down). */
function blockedBy(
  stack: StackWire,
  graph: ReadonlyMap<string, StackWire>,
  outcomeOf: (name: string) => string | undefined,
  depth = 0,
): string | undefined {
  for (const d of stack.dependsOn) {
    const o = outcomeOf(d);
    if (o === Outcomes.Blocked && depth < graph.size) {
      const dep = graph.get(d);
      return (dep && blockedBy(dep, graph, outcomeOf, depth + 1)) ?? d;
    }
    // The lane walker's own rule for what stops a dependant (src/core/lane-walk.ts).
    if (o && !letsDependantsStart(o)) return d;
  }
  return undefined;
}

function badge(outcome: string): HTMLElement {
  const colour = outcomeColours[outcome] ?? unknownOutcomeColour;
  return h('span', { class: 'badge', style: `background:${colour}`, 'data-outcome': outcome }, outcome);
}

/**
 * A target's stacks in graph order, each with what it depends on and its outcome (BLOCKED names
 * the failed dependency), above a drawing of the graph; clicking a stack opens its execution.
 */
export function renderTargetStacks(
  stacks: readonly StackWire[],
  cellOf: (stack: string) => MatrixCell | undefined,
  onOpen: (cell: MatrixCell) => void,
  shown: string | undefined,
): HTMLElement {
  const graph = new Map(stacks.map((x) => [x.name, x]));
  const outcomeOf = (name: string) => cellOf(name)?.outcome;
  const list = h('ol', { class: 'stack-list', 'aria-label': 'Stacks of this target' });
  for (const stack of stacks) {
    const cell = cellOf(stack.name);
    const outcome = cell?.outcome ?? 'NOT_PLANNED';
    const by = outcome === Outcomes.Blocked ? blockedBy(stack, graph, outcomeOf) : undefined;
    const li = h(
      'li',
      {
        'data-stack': stack.name,
        'data-outcome': outcome,
        class: stack.name === shown ? 'shown' : undefined,
      },
      h('b', {}, stack.name),
      ' ',
      badge(outcome),
      stack.dependsOn.length
        ? h('span', { class: 'muted' }, ` depends on ${stack.dependsOn.join(', ')}`)
        : '',
      by ? h('span', { 'data-field': 'blocked-by' }, ` — blocked by ${by}`) : '',
    );
    if (cell?.name) li.addEventListener('click', () => onOpen(cell));
    list.append(li);
  }
  return h('div', { class: 'target-stacks' }, list, drawGraph(stacks, outcomeOf));
}

/** Columns by depth (a stack right of its dependencies), one box per stack in its outcome's colour. */
function drawGraph(stacks: readonly StackWire[], outcomeOf: (name: string) => string | undefined) {
  const level = new Map<string, number>();
  for (const x of stacks) {
    level.set(x.name, Math.max(-1, ...x.dependsOn.map((d) => level.get(d) ?? -1)) + 1);
  }
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  const W = 110;
  const H = 24;
  for (const x of stacks) {
    const col = level.get(x.name) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    at.set(x.name, { x: 4 + col * (W + 30), y: 4 + row * (H + 10) });
  }
  const width = 8 + (Math.max(0, ...level.values()) + 1) * (W + 30);
  const height = 8 + Math.max(1, ...rows.values()) * (H + 10);
  const svg = s('svg', { width, height, 'aria-label': 'Graph of stacks', class: 'stack-graph' });
  for (const x of stacks) {
    const to = at.get(x.name)!;
    for (const d of x.dependsOn) {
      const from = at.get(d);
      if (!from) continue;
      svg.append(
        s('line', { x1: from.x + W, y1: from.y + H / 2, x2: to.x, y2: to.y + H / 2, stroke: '#5f6368' }),
      );
    }
  }
  for (const x of stacks) {
    const p = at.get(x.name)!;
    const outcome = outcomeOf(x.name) ?? '';
    svg.append(
      s(
        'g',
        { 'data-stack': x.name },
        s('rect', {
          x: p.x,
          y: p.y,
          width: W,
          height: H,
          rx: 4,
          fill: outcomeColours[outcome] ?? unknownOutcomeColour,
          stroke: '#5f6368',
        }),
        s('text', { x: p.x + 6, y: p.y + 16, 'font-size': 12 }, x.name),
        s('title', {}, `${x.name}: ${outcome || 'not planned'}`),
      ),
    );
  }
  return svg;
}
