import { printable } from '../core/printable';
import { wrapItems } from './failures-render';
import type { TargetReport } from './render';

/**
 * The stacks form's part of the summary on stdout: outcome counts grouped by stack (one row per
 * stack, one column per outcome) with a last row counting targets by their worst stack, and the
 * BLOCKED stacks grouped by the dependency that failed.
 */

/** What the summary document's `graph` holds. */
export interface GraphCounts {
  stacks: string[];
  byStack: Record<string, Record<string, number>>;
  targetCounts: Record<string, number>;
}

/** Table rows: `STACK | outcome...`, then `targets (worst)`. */
export function renderGraphCounts(
  graph: GraphCounts,
  order: (counts: Record<string, number>) => string[],
): string[][] {
  const all: Record<string, number> = {};
  for (const counts of [...Object.values(graph.byStack), graph.targetCounts]) {
    for (const [outcome, n] of Object.entries(counts)) all[outcome] = (all[outcome] ?? 0) + n;
  }
  const outcomes = order(all);
  const rows = [['STACK', ...outcomes]];
  for (const stack of graph.stacks) {
    const counts = graph.byStack[stack] ?? {};
    rows.push([printable(stack), ...outcomes.map((o) => (counts[o] ? String(counts[o]) : '-'))]);
  }
  rows.push([
    'targets (worst stack)',
    ...outcomes.map((o) => (graph.targetCounts[o] ? String(graph.targetCounts[o]) : '-')),
  ]);
  return rows;
}

/** BLOCKED stacks by the dependency that failed: "3 blocked by logging: config, detection in ...". */
export function renderBlocked(blocked: readonly TargetReport[], width: number): string[] {
  const byCause = new Map<string, TargetReport[]>();
  for (const t of blocked) {
    const cause = printable(t.blockedBy ?? 'a dependency');
    byCause.set(cause, [...(byCause.get(cause) ?? []), t]);
  }
  const lines: string[] = [];
  for (const [cause, list] of [...byCause.entries()].sort((a, b) => b[1].length - a[1].length)) {
    const stacks = [...new Set(list.map((t) => printable(t.stack ?? '?')))].join(', ');
    lines.push(`  ${list.length} blocked by ${cause} failing: ${stacks}`);
    const targets = [...new Set(list.map((t) => `${t.accountId} ${t.region}`))].sort();
    const shown = targets.slice(0, 12);
    if (targets.length > 12) shown.push(`+${targets.length - 12} more (see --json)`);
    lines.push(...wrapItems(shown, width, '    '));
  }
  return lines;
}
