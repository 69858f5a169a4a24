import { asObject, clip, parseFailure, str } from './failure-cause';
import type { PlannedLane } from './graph-plan';
import { BLOCKED, type LaneStackResult } from './lane-walk';
import type { MapRunResultEntry, TargetResult } from './summary';

/**
 * The stacks form's part of the rollout summary: each lane walker's result file entry becomes one
 * result per (target, stack), and the results roll up per stack and per target (a target's
 * outcome is its worst stack's). A lane that failed carries its stacks in its Cause; one that was
 * aborted or failed without saying leaves its stacks with that reason.
 */

/** Worst first: a target shows its worst stack's outcome. */
const SEVERITY = [
  'FAILED',
  'ABORTED',
  BLOCKED,
  'NOT_STARTED',
  'INOPERABLE',
  'MISSING',
  'OUTDATED',
  'DRIFTED',
  'CHANGES',
  'UPDATED',
  'CREATED',
  'DRIFT_REPAIRED',
  'NO_CHANGE',
  'IN_SYNC',
  'SKIPPED',
];

/** The worse of two outcomes (unknown outcomes count as bad as FAILED's neighbours). */
export function worseOutcome(a: string, b: string): string {
  const rank = (o: string) => {
    const i = SEVERITY.indexOf(o);
    return i < 0 ? 1 : i;
  };
  return rank(b) < rank(a) ? b : a;
}

/** One lane stack result as a summary entry. */
function fromLaneStack(s: LaneStackResult, phase: TargetResult['phase']): TargetResult {
  const result: TargetResult = {
    accountId: s.accountId,
    region: s.region,
    stack: s.stack,
    stackName: s.stackName,
    outcome: s.outcome,
    reason: s.reason,
    phase,
  };
  const copy = [
    'error',
    'failedResource',
    'stackId',
    'executionName',
    'startedAt',
    'finishedAt',
    'durationSeconds',
    'blockedBy',
    'inputsFrom',
    'pendingInputs',
    'changeSetType',
    'changes',
    'changeCount',
    'changesTruncated',
    'drifted',
    'driftedCount',
    'driftedTruncated',
    'stackEventMissed',
  ] as const;
  for (const field of copy) {
    if (s[field] !== undefined) (result as unknown as Record<string, unknown>)[field] = s[field];
  }
  return result;
}

/**
 * The results one lane walker's result entry stands for. `Input` names the lane (the item), so a
 * lane that could not report still accounts for each of its stacks.
 */
export function laneResultsFromEntry(entry: MapRunResultEntry, phase: TargetResult['phase']): TargetResult[] {
  const input = asObject(entry.Input);
  const item = asObject(input?.target) ?? input;
  const lane = asObject(item?.lane);
  const planned = (Array.isArray(lane?.stacks) ? lane.stacks : []) as Array<{
    name?: string;
    executionName?: string;
  }>;
  const accountId = str(item?.accountId) ?? 'unknown';
  const region = str(item?.region) ?? 'unknown';
  const reported =
    entry.Status === 'SUCCEEDED'
      ? asObject(entry.Output)
      : entry.Status === 'FAILED'
        ? laneCause(entry.Cause)
        : undefined;
  const stacks = (Array.isArray(reported?.stacks) ? reported.stacks : []) as LaneStackResult[];
  const out = stacks.map((s) => fromLaneStack(s, phase));
  // Stacks the lane did not report: it was aborted, or failed before it could say.
  const failure = entry.Status === 'ABORTED' ? undefined : parseFailure(entry.Error, entry.Cause);
  for (const p of planned) {
    if (!p.name || out.some((r) => r.stack === p.name)) continue;
    const result: TargetResult = {
      accountId,
      region,
      stack: p.name,
      phase,
      outcome: entry.Status === 'ABORTED' ? 'ABORTED' : 'FAILED',
      reason:
        entry.Status === 'ABORTED'
          ? clip(
              `Aborted: its lane was stopped when the fan-out failed (${str(entry.Cause) ?? str(entry.Error) ?? 'no detail'}). A stack operation it had started may still be running; run the rollout again to converge it.`,
            )
          : (failure?.reason ?? 'The lane failed without a result for this stack.'),
      ...(p.executionName ? { executionName: p.executionName } : {}),
    };
    if (entry.Status !== 'ABORTED') result.error = failure?.error ?? 'Unknown';
    out.push(result);
  }
  return out;
}

/**
 * The lane walker's own Cause (its results) inside a failed item's: the item's task wraps the
 * walker's DescribeExecution, whose Cause is the lane JSON.
 */
function laneCause(cause: unknown): Record<string, unknown> | undefined {
  let current = asObject(cause);
  for (let depth = 0; current && depth < 4; depth++) {
    if (Array.isArray(current.stacks)) return current;
    current = asObject(current.Cause ?? current.cause);
  }
  return undefined;
}

/** Every (target, stack) a fan-out's lanes plan, for NOT_STARTED entries. */
export function plannedStacks(
  lanes: readonly PlannedLane[],
): Array<{ accountId: string; region: string; stack: string; executionName: string }> {
  return lanes.flatMap((l) =>
    l.lane.stacks.map((s) => ({
      accountId: l.accountId,
      region: l.region,
      stack: s.name,
      executionName: s.executionName,
    })),
  );
}

/** The stacks form's rollups, in summary.json. */
export interface GraphRollup {
  /** Stack names in the order the request lists them (as far as results show them). */
  stacks: string[];
  /** Outcome counts per stack. */
  byStack: Record<string, Record<string, number>>;
  /** Targets by their worst stack's outcome. */
  targetCounts: Record<string, number>;
  /** Each target: its worst outcome and every stack's. */
  targets: Array<{ accountId: string; region: string; outcome: string; stacks: Record<string, string> }>;
}

/** Rolls (target, stack) results up per stack and per target. SKIPPED targets have no stack. */
export function rollUp(results: readonly TargetResult[], order: readonly string[] = []): GraphRollup {
  const stacks = [...order];
  const byStack: GraphRollup['byStack'] = {};
  const byTarget = new Map<string, GraphRollup['targets'][number]>();
  for (const r of results) {
    const id = `${r.accountId}/${r.region}`;
    const target = byTarget.get(id) ?? {
      accountId: r.accountId,
      region: r.region,
      outcome: r.outcome,
      stacks: {},
    };
    target.outcome = worseOutcome(target.outcome, r.outcome);
    byTarget.set(id, target);
    if (!r.stack) continue;
    if (!stacks.includes(r.stack)) stacks.push(r.stack);
    target.stacks[r.stack] = r.outcome;
    const counts = byStack[r.stack] ?? {};
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    byStack[r.stack] = counts;
  }
  const targets = [...byTarget.values()];
  const targetCounts: Record<string, number> = {};
  for (const t of targets) targetCounts[t.outcome] = (targetCounts[t.outcome] ?? 0) + 1;
  return { stacks, byStack, targetCounts, targets };
}
