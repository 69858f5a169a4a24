/**
 * The stacks form (issue 17, docs/stack-graphs.md) as the UI reads it: a rollout's graph of stacks
 * from its input, which stack a per-stack execution is (names are
 * `<account>-<region>-<stack>-<short rollout id>`, src/core/execution-name.ts), and a target's
 * worst outcome over its stacks, ranked by the same function as the CLI summary's
 * (src/core/graph-summary.ts `worseOutcome`), so the matrix and the summary never disagree on
 * finished targets. While a rollout runs, the matrix also holds outcomes the summary never has
 * (a stack pending or in progress): those rank below every final failure and above every other
 * final outcome (`worseInMatrix`).
 */
import { sanitizeNamePart, stackExecutionName } from '../core/execution-name';
import { worseOutcome } from '../core/graph-summary';
import { topologicalOrder } from '../core/stack-graph';
import type { ParsedTargetName } from './targets';
import { Outcomes, type StackWire } from './wire';

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

/** Outcomes of a stack that has not ended yet. */
const NOT_FINAL = new Set<string>([Outcomes.Pending, Outcomes.InProgress]);

/**
 * 0: a final failure (as bad as INOPERABLE or worse in the summary's ranking, unknown outcomes
 * included); 1: not ended yet; 2: any other final outcome.
 */
function tier(outcome: string): number {
  if (NOT_FINAL.has(outcome)) return 1;
  // SUCCEEDED: ended well, the finer outcome not read yet (the summary never holds it).
  if (outcome === Outcomes.Succeeded) return 2;
  return worseOutcome(outcome, Outcomes.Inoperable) === outcome ? 0 : 2;
}

/**
 * The worse of two outcomes in the matrix: a failed or blocked stack shows before one still
 * running (the target's failure is already certain), and a running one before any success or
 * finding (the target is not done). Within a tier, the summary's ranking; the first on a tie.
 */
export function worseInMatrix(a: string, b: string): string {
  const ta = tier(a);
  const tb = tier(b);
  if (ta !== tb) return tb < ta ? b : a;
  if (ta === 1) return b === Outcomes.InProgress && a !== Outcomes.InProgress ? b : a;
  // SUCCEEDED ranks as the mildest success (it may be a NO_CHANGE).
  const ranked = (o: string) => (o === Outcomes.Succeeded ? Outcomes.NoChange : o);
  return worseOutcome(ranked(a), ranked(b)) === ranked(b) && ranked(b) !== ranked(a) ? b : a;
}

/**
 * A target's row in the "all stacks" matrix: its worst stack's outcome (the summary's ranking),
 * that stack's execution (the cell opens it) and its reason, prefixed with the stack's name.
 * `stacks` is in graph order, so among equally bad stacks the first in the graph is shown. Ranked
 * by `worseInMatrix`: a stack still running never hides another's failure.
 */
export function worstStack(stacks: readonly StackOutcome[]): StackOutcome | undefined {
  let worst: StackOutcome | undefined;
  for (const s of stacks) {
    if (!worst || worseInMatrix(worst.outcome, s.outcome) !== worst.outcome) worst = s;
  }
  if (!worst) return undefined;
  return { ...worst, reason: worst.reason ? `${worst.stack}: ${worst.reason}` : '' };
}
