import { asObject, clip, type FailedResource, type Json, parseFailure, str } from './failure-cause';
import type { PlannedTarget } from './plan';

/**
 * One target's result, read from a Distributed Map's result files (written by ResultWriter): its
 * outcome, a human reason and the findings its mode reports. src/core/summary.ts counts them.
 */

/** Outcomes a target can end in. Later modes add their own outcomes; they are counted generically. */
export const TargetOutcomes = {
  CREATED: 'CREATED',
  UPDATED: 'UPDATED',
  NO_CHANGE: 'NO_CHANGE',
  FAILED: 'FAILED',
  SKIPPED: 'SKIPPED',
  /** The rollout stopped (canary failure, tolerance exceeded) before this target started. */
  NOT_STARTED: 'NOT_STARTED',
  /**
   * The target was running when its fan-out failed, and Step Functions stopped its execution (AWS
   * aborts the running children of a failed Map Run). Its stack operation may still be running.
   */
  ABORTED: 'ABORTED',
  /** The stacks form: not started because a dependency failed in the same target. */
  BLOCKED: 'BLOCKED',
} as const;

/** One entry of a ResultWriter SUCCEEDED_n.json / FAILED_n.json file (AWS's field names). */
export interface MapRunResultEntry {
  ExecutionArn?: string;
  Name?: string;
  Status?: string;
  /** The item processor's input (a JSON string in AWS's files). */
  Input?: unknown;
  /** The item processor's output (a JSON string in AWS's files). */
  Output?: unknown;
  Error?: string;
  Cause?: string;
  StartDate?: string;
  StopDate?: string;
}

/** The outcome of one target, as written to summary.json. */
export interface TargetResult {
  accountId: string;
  region: string;
  /** The stacks form: which stack of the graph (absent for the one-template form and SKIPPED targets). */
  stack?: string;
  outcome: string;
  /** `canary` targets ran before the others. */
  phase: 'canary' | 'main' | 'plan';
  reason?: string;
  error?: string;
  failedResource?: FailedResource;
  stackName?: string;
  stackId?: string;
  executionName?: string;
  executionArn?: string;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** Preview mode: CREATE or UPDATE change set. */
  changeSetType?: string;
  /** Preview mode: the resource changes (at most 200 per target; `changeCount` is exact). */
  changes?: ResourceChangeEntry[];
  changeCount?: number;
  changesTruncated?: boolean;
  /** Drift mode: the drifted resources (at most 100 per target; `driftedCount` is exact). */
  drifted?: DriftedResourceEntry[];
  driftedCount?: number;
  driftedTruncated?: boolean;
  /** Stack events: the end was noticed by polling after its awaited event did not come. */
  stackEventMissed?: boolean;
  /** BLOCKED: the dependency that failed in this target. */
  blockedBy?: string;
  /** Parameters read from dependencies' outputs: parameter -> `stack.Output`. */
  inputsFrom?: Record<string, string>;
  /** Preview: parameters whose value comes from a dependency that would change: `(from stack.Output)`. */
  pendingInputs?: Record<string, string>;
}

/** A resource change of a preview target (src/core/changes.ts `ResourceChange`). */
export interface ResourceChangeEntry {
  action: string;
  logicalId: string;
  type: string;
  replacement?: string;
  properties?: string[];
}

/** A drifted resource of a drift target (src/core/drift.ts `DriftedResource`). */
export interface DriftedResourceEntry {
  logicalId: string;
  type: string;
  status: string;
  physicalId?: string;
  properties?: string[];
}

/** Copies the preview/drift findings a target's output carries into its summary entry. */
function copyFindings(output: Json, result: TargetResult): void {
  if (Array.isArray(output.changes)) result.changes = output.changes as ResourceChangeEntry[];
  if (typeof output.changeCount === 'number') result.changeCount = output.changeCount;
  if (output.changesTruncated === true) result.changesTruncated = true;
  const changeSetType = str(output.changeSetType);
  if (changeSetType) result.changeSetType = changeSetType;
  if (Array.isArray(output.drifted)) result.drifted = output.drifted as DriftedResourceEntry[];
  if (typeof output.driftedCount === 'number') result.driftedCount = output.driftedCount;
  if (output.driftedTruncated === true) result.driftedTruncated = true;
  if (output.stackEventMissed === true) result.stackEventMissed = true;
}

/**
 * One line when awaited Stack Status Change events did not come (issue 19): the rollout ended the
 * same by polling, but an operator should know, once, where the forwarding is missing or lossy.
 */
export function missedEventsLine(targets: readonly TargetResult[]): string | undefined {
  const missed = targets.filter((t) => t.stackEventMissed);
  if (missed.length === 0) return undefined;
  const regions = [...new Set(missed.map((t) => t.region))].sort();
  const n = missed.length;
  return `Stack events: no Stack Status Change event reached the admin bus for ${n} target${n === 1 ? '' : 's'} (regions: ${regions.join(', ')}); polling noticed ${n === 1 ? 'its end' : 'their ends'}. Is the baseline deployed there with AdminAccountId (its forwarding rule)?`;
}

/** The planned target an item processor worked on, from its Input (`{target, deployment}`). */
function itemTarget(entry: MapRunResultEntry): (Partial<PlannedTarget> & { stackName?: string }) | undefined {
  const input = asObject(entry.Input);
  if (!input) return undefined;
  const target = asObject(input.target) ?? input;
  const deployment = asObject(input.deployment);
  return {
    accountId: str(target.accountId),
    region: str(target.region),
    executionName: str(target.executionName),
    stackName: str(deployment?.stackName),
  };
}

function epochToIso(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return new Date(value < 1e12 ? value * 1000 : value).toISOString();
  return undefined;
}

/**
 * One ResultWriter entry as a target result. A SUCCEEDED entry's Output is the deploy-target output
 * `{accountId, region, stackName, stackId, outcome, reason, ...}`; anything else is a failure.
 */
export function targetResultFromEntry(entry: MapRunResultEntry, phase: TargetResult['phase']): TargetResult {
  const planned = itemTarget(entry);
  const base = {
    accountId: planned?.accountId ?? 'unknown',
    region: planned?.region ?? 'unknown',
    phase,
  };
  const withRun = (result: TargetResult): TargetResult => {
    const executionName = planned?.executionName;
    if (executionName && !result.executionName) result.executionName = executionName;
    if (entry.ExecutionArn && !result.executionArn) result.executionArn = entry.ExecutionArn;
    if (!result.stackName && planned?.stackName) result.stackName = planned.stackName;
    return result;
  };
  if (entry.Status === 'ABORTED') {
    const why = str(entry.Cause) ?? str(entry.Error) ?? 'the execution was stopped';
    const result: TargetResult = {
      ...base,
      outcome: TargetOutcomes.ABORTED,
      error: str(entry.Error) ?? 'States.Aborted',
      reason: clip(
        `Aborted while running: its fan-out failed and Step Functions stopped this target's execution (${why}). Its stack operation may still be running in the target account, unobserved: look at the stack, then run the rollout again to converge it.`,
      ),
    };
    const startedAt = epochToIso(entry.StartDate);
    const finishedAt = epochToIso(entry.StopDate);
    if (startedAt) result.startedAt = startedAt;
    if (finishedAt) result.finishedAt = finishedAt;
    return withRun(result);
  }
  if (entry.Status === 'SUCCEEDED') {
    let output = asObject(entry.Output);
    // Tolerate an item processor that returned the whole DescribeExecution result.
    if (output && output.outcome === undefined && asObject(output.Output)) output = asObject(output.Output);
    const outcome = str(output?.outcome);
    const result: TargetResult = {
      ...base,
      accountId: str(output?.accountId) ?? base.accountId,
      region: str(output?.region) ?? base.region,
      outcome: outcome ?? 'UNKNOWN',
      reason: clip(
        str(output?.reason) ?? (outcome ? `${outcome}` : 'The target finished without reporting an outcome.'),
      ),
    };
    const stackName = str(output?.stackName);
    const stackId = str(output?.stackId);
    const startedAt = epochToIso(output?.startedAt) ?? epochToIso(entry.StartDate);
    const finishedAt = epochToIso(output?.finishedAt) ?? epochToIso(entry.StopDate);
    if (stackName) result.stackName = stackName;
    if (stackId) result.stackId = stackId;
    if (startedAt) result.startedAt = startedAt;
    if (finishedAt) result.finishedAt = finishedAt;
    if (typeof output?.durationSeconds === 'number') result.durationSeconds = output.durationSeconds;
    if (output) copyFindings(output, result);
    return withRun(result);
  }
  const failure = parseFailure(
    entry.Error ?? (entry.Status && entry.Status !== 'FAILED' ? `States.${entry.Status}` : undefined),
    entry.Cause,
  );
  const result: TargetResult = {
    ...base,
    accountId: base.accountId !== 'unknown' ? base.accountId : (failure.accountId ?? base.accountId),
    region: base.region !== 'unknown' ? base.region : (failure.region ?? base.region),
    outcome: TargetOutcomes.FAILED,
    error: failure.error,
    reason: failure.reason,
  };
  if (failure.failedResource) result.failedResource = failure.failedResource;
  if (failure.stackName) result.stackName = failure.stackName;
  const startedAt = epochToIso(entry.StartDate);
  const finishedAt = epochToIso(entry.StopDate);
  if (startedAt) result.startedAt = startedAt;
  if (finishedAt) result.finishedAt = finishedAt;
  return withRun(result);
}

/** Reads a ResultWriter result file: a JSON array (OutputType JSON) or JSON Lines. */
export function parseResultFile(text: string): MapRunResultEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as MapRunResultEntry[];
  return trimmed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MapRunResultEntry);
}
