import { TargetOutcomes, type TargetResult } from './target-result';

/**
 * Each (account, region, stack)'s last measured operation time, kept in the artifact bucket so the
 * next rollout can start its longest lanes first (issue 17). A template says what resources a stack
 * has, not that one account's stack is slow for reasons of its own; the previous rollout does.
 * Only ordering reads it: a missing, unreadable or stale history changes which lanes start first,
 * never what a rollout does. Two rollouts summarised at the same moment may each write their own
 * view (last write wins); that too only costs ordering.
 */

/**
 * The history object, directly under rollouts/ (not under a rollout id, so no rollout's keys can
 * collide with it), where Plan targets and Summarize already read and write.
 */
export const STACK_SECONDS_KEY = 'rollouts/stack-seconds.json';

/** The stored document: seconds by `account/region/stackName`. */
export interface StackSecondsHistory {
  version: 1;
  updatedAt: string;
  seconds: Record<string, number>;
}

/** The history's key of one stack in one target (the CloudFormation stack name: what the target holds). */
export function stackSecondsKey(accountId: string, region: string, stackName: string): string {
  return `${accountId}/${region}/${stackName}`;
}

/** Reads a stored history; anything unreadable is an empty history (it only orders lanes). */
export function parseStackSeconds(text: string | undefined): Record<string, number> {
  if (!text) return {};
  try {
    const doc = JSON.parse(text) as Partial<StackSecondsHistory>;
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(doc.seconds ?? {}))
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
    return out;
  } catch {
    return {};
  }
}

/** Outcomes whose duration is the time of an operation that ran to its end. */
const MEASURED: ReadonlySet<string> = new Set([TargetOutcomes.CREATED, TargetOutcomes.UPDATED]);

/**
 * The history after a rollout: each stack that was created or updated gets its new time; every
 * other entry (stacks unchanged, failed, blocked or not in this rollout) keeps its last measure.
 * `stackNameOf` maps a result's graph stack name (undefined in the one-template form) to its
 * CloudFormation stack name.
 */
export function recordStackSeconds(
  previous: Readonly<Record<string, number>>,
  results: readonly TargetResult[],
  stackNameOf: (stack: string | undefined) => string | undefined,
): Record<string, number> {
  const out = { ...previous };
  for (const r of results) {
    if (!MEASURED.has(r.outcome) || typeof r.durationSeconds !== 'number' || r.durationSeconds <= 0) continue;
    const stackName = stackNameOf(r.stack);
    if (!stackName) continue;
    out[stackSecondsKey(r.accountId, r.region, stackName)] = r.durationSeconds;
  }
  return out;
}

/** The stored document for `seconds`. */
export function stackSecondsDocument(seconds: Record<string, number>, now: Date): StackSecondsHistory {
  return { version: 1, updatedAt: now.toISOString(), seconds };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * An estimator of one stack's seconds in one target: its last measured time there; for a target
 * where it never ran, the median of its measured times elsewhere (so a new account is not ranked
 * below every measured one by a template prior that counts in different seconds); with no measure
 * at all, `prior`.
 */
export function measuredOrPrior(
  history: Readonly<Record<string, number>>,
  prior: (stackName: string, accountId: string, region: string) => number,
): (stackName: string, accountId: string, region: string) => number {
  const byStack = new Map<string, number[]>();
  for (const [key, seconds] of Object.entries(history)) {
    const stackName = key.split('/').slice(2).join('/');
    byStack.set(stackName, [...(byStack.get(stackName) ?? []), seconds]);
  }
  const medians = new Map<string, number | undefined>();
  return (stackName, accountId, region) => {
    const own = history[stackSecondsKey(accountId, region, stackName)];
    if (own !== undefined) return own;
    if (!medians.has(stackName)) medians.set(stackName, median(byStack.get(stackName) ?? []));
    return medians.get(stackName) ?? prior(stackName, accountId, region);
  };
}
