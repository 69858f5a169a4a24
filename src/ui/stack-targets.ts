/**
 * The stacks form (issue 17, docs/stack-graphs.md) as the UI reads it: a rollout's graph of stacks
 * from its input, which stack a per-stack execution is (names are
 * `<account>-<region>-<stack>-<short rollout id>`, src/core/execution-name.ts), and a target's
 * worst outcome over its stacks, ranked by the same function as the CLI summary's
 * (src/core/graph-summary.ts `worseOutcome`), so the matrix and the summary never disagree.
 */
import { sanitizeNamePart, stackExecutionName } from '../core/execution-name';
import { worseOutcome } from '../core/graph-summary';
import { topologicalOrder } from '../core/stack-graph';
import type { ParsedTargetName } from './targets';
import type { StackWire } from './wire';

/** The request's stacks in graph order (each after its dependencies); undefined in the one-template form. */
export function rolloutStacksOf(input: string | undefined): StackWire[] | undefined {
  let stacks: unknown;
  try {
    stacks = (JSON.parse(input ?? '{}') as { stacks?: unknown }).stacks;
  } catch {
    return undefined;
  }
  if (!Array.isArray(stacks) || stacks.length === 0) return undefined;
  const specs: StackWire[] = [];
  for (const s of stacks) {
    const r = (s ?? {}) as Record<string, unknown>;
    if (typeof r.name !== 'string' || !r.name) continue;
    const dependsOn = Array.isArray(r.dependsOn)
      ? r.dependsOn.filter((d): d is string => typeof d === 'string')
      : [];
    specs.push({ name: r.name, dependsOn });
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  return topologicalOrder(specs).map((name) => byName.get(name)!);
}

/**
 * The stack a per-stack execution name stands for: the one whose name, with one of the rollout's
 * ids, gives exactly this name; else (ids not guessed) the longest stack name the name's middle
 * starts with. Undefined when it is no stack's (a lane walker's `lane<n>`, say).
 */
export function stackOfExecution(
  name: string,
  parsed: ParsedTargetName,
  stacks: readonly StackWire[],
  rolloutIds: readonly string[],
): string | undefined {
  for (const s of stacks) {
    for (const id of rolloutIds) {
      if (stackExecutionName(parsed.account, parsed.region, s.name, id) === name) return s.name;
    }
  }
  let best: string | undefined;
  for (const s of stacks) {
    const part = `${sanitizeNamePart(s.name)}-`;
    if (parsed.suffix.startsWith(part) && (!best || s.name.length > best.length)) best = s.name;
  }
  return best;
}

/** One stack's state in one target, as the tracker holds it. */
export interface StackOutcome {
  stack: string;
  outcome: string;
  name: string;
  reason: string;
}

/**
 * A target's row in the "all stacks" matrix: its worst stack's outcome (the summary's ranking),
 * that stack's execution (the cell opens it) and its reason, prefixed with the stack's name.
 * `stacks` is in graph order, so among equally bad stacks the first in the graph is shown.
 */
export function worstStack(stacks: readonly StackOutcome[]): StackOutcome | undefined {
  let worst: StackOutcome | undefined;
  for (const s of stacks) {
    if (!worst || worseOutcome(worst.outcome, s.outcome) !== worst.outcome) worst = s;
  }
  if (!worst) return undefined;
  return { ...worst, reason: worst.reason ? `${worst.stack}: ${worst.reason}` : '' };
}
