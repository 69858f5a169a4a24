import { ErrorNames } from './errors';
import { asObject, clip, type FailedResource, parseFailure, str } from './failure-cause';
import type { PlannedLaneStack } from './graph-plan';

/**
 * The pure part of walking one lane of a target's stacks (the walk-lane state machine, its "Next
 * stack" function): what a finished stack's execution says, whether a stack's dependencies let it
 * start, wait, or leave it BLOCKED, and the lane's result. The function gathers the facts (the
 * results other lanes wrote to S3, the dependencies' outputs) and this module decides.
 */

/** Where the walk goes next ("What next?" routes on it). */
export const LaneActions = {
  /** Start the next stack's execution of the mode's per-stack machine. */
  Run: 'RUN',
  /** A dependency in another lane has not finished: wait, then look again. */
  Wait: 'WAIT',
  /** Every stack of the lane has an outcome and none failed. */
  Done: 'DONE',
  /** Every stack has an outcome and at least one failed: the lane fails (the Map counts it). */
  Failed: 'FAILED',
} as const;
export type LaneAction = (typeof LaneActions)[keyof typeof LaneActions];

/** A stack that did not start because a dependency failed in this target. */
export const BLOCKED = 'BLOCKED';

/** Outcomes after which dependants must not start (their inputs or order cannot be trusted). */
const STOPPING_OUTCOMES = new Set(['FAILED', BLOCKED, 'ABORTED', 'TIMED_OUT', 'NOT_STARTED']);

/** Whether an outcome lets a stack's dependants go on. */
export function letsDependantsStart(outcome: string): boolean {
  return !STOPPING_OUTCOMES.has(outcome);
}

/** One stack's outcome in one target. Findings (preview changes, drifted resources) are copied as the per-stack output gives them. */
export interface LaneStackResult {
  stack: string;
  stackName: string;
  accountId: string;
  region: string;
  outcome: string;
  reason: string;
  error?: string;
  failedResource?: FailedResource;
  stackId?: string;
  executionName?: string;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** BLOCKED: the dependency that failed in this target. */
  blockedBy?: string;
  /** Parameters taken from dependencies' outputs: parameter -> `stack.Output`. */
  inputsFrom?: Record<string, string>;
  /** Preview: parameters whose value is the dependency's output after it changes (not known yet). */
  pendingInputs?: Record<string, string>;
  changeSetType?: string;
  changes?: unknown[];
  changeCount?: number;
  changesTruncated?: boolean;
  drifted?: unknown[];
  driftedCount?: number;
  driftedTruncated?: boolean;
  /** Stack events: its end was noticed by polling after the awaited event did not come. */
  stackEventMissed?: boolean;
}

/** The lane walker's output (Succeed) and, as JSON, its Fail Cause. */
export interface LaneOutput {
  accountId: string;
  region: string;
  lane: number;
  stacks: LaneStackResult[];
}

const FINDINGS = [
  'changeSetType',
  'changes',
  'changeCount',
  'changesTruncated',
  'drifted',
  'driftedCount',
  'driftedTruncated',
] as const;

/**
 * The result of a stack's execution: `ran` is what "Run stack" left (the child's Status and
 * Output on success, the Catch's `{Error, Cause}` otherwise).
 */
export function resultOfRun(
  base: Pick<LaneStackResult, 'stack' | 'stackName' | 'accountId' | 'region' | 'executionName'> & {
    inputsFrom?: Record<string, string>;
    pendingInputs?: Record<string, string>;
  },
  ran: unknown,
): LaneStackResult {
  const body = asObject(ran) ?? {};
  const output = asObject(body.Output);
  const extras = {
    ...(base.inputsFrom && Object.keys(base.inputsFrom).length > 0 ? { inputsFrom: base.inputsFrom } : {}),
    ...(base.pendingInputs && Object.keys(base.pendingInputs).length > 0
      ? { pendingInputs: base.pendingInputs }
      : {}),
  };
  const { inputsFrom: _i, pendingInputs: _p, ...identity } = base;
  if (body.Status === 'SUCCEEDED' && output && str(output.outcome)) {
    const result: LaneStackResult = {
      ...identity,
      ...extras,
      outcome: str(output.outcome) as string,
      reason: clip(str(output.reason) ?? String(output.outcome)),
    };
    for (const field of ['stackId', 'startedAt', 'finishedAt'] as const) {
      const value = str(output[field]);
      if (value) result[field] = value;
    }
    if (typeof output.durationSeconds === 'number') result.durationSeconds = output.durationSeconds;
    if (output.stackEventMissed === true) result.stackEventMissed = true;
    for (const field of FINDINGS) {
      if (output[field] !== undefined) (result as unknown as Record<string, unknown>)[field] = output[field];
    }
    return result;
  }
  const failure = parseFailure(str(body.Error), str(body.Cause) ?? (body.Cause as string | undefined));
  const result: LaneStackResult = {
    ...identity,
    ...extras,
    outcome: 'FAILED',
    error: failure.error,
    reason: failure.reason,
  };
  if (failure.failedResource) result.failedResource = failure.failedResource;
  return result;
}

/** What a stack's dependencies allow, from the results known so far (absent: not finished). */
export type DependencyVerdict =
  | { kind: 'ready' }
  | { kind: 'wait'; pending: string[] }
  | { kind: 'blocked'; by: string; via?: string; reason: string };

/**
 * Ready when every dependency finished with an outcome that lets dependants start; BLOCKED as
 * soon as one stopped (named after the stack that failed, through blocked ones); else wait.
 */
export function dependencyVerdict(
  dependencies: readonly string[],
  known: (name: string) => LaneStackResult | undefined,
): DependencyVerdict {
  const pending: string[] = [];
  for (const name of dependencies) {
    const result = known(name);
    if (!result) {
      pending.push(name);
      continue;
    }
    if (!letsDependantsStart(result.outcome)) {
      if (result.outcome === BLOCKED && result.blockedBy) {
        return { kind: 'blocked', by: result.blockedBy, via: name, reason: result.reason };
      }
      return { kind: 'blocked', by: name, reason: `${result.outcome}: ${result.reason}` };
    }
  }
  return pending.length > 0 ? { kind: 'wait', pending } : { kind: 'ready' };
}

/** A stack left BLOCKED by a failed dependency in this target. */
export function blockedResult(
  base: Pick<LaneStackResult, 'stack' | 'stackName' | 'accountId' | 'region' | 'executionName'>,
  verdict: { by: string; via?: string; reason: string },
  now: string,
): LaneStackResult {
  const where = `${base.accountId} ${base.region}`;
  const why = verdict.via
    ? `it depends on ${verdict.via}, which did not start because ${verdict.by} failed here`
    : `its dependency ${verdict.by} failed here (${verdict.reason})`;
  return {
    ...base,
    outcome: BLOCKED,
    blockedBy: verdict.by,
    reason: clip(
      `Not started in ${where}: ${why}. The target's other stacks went on; fix ${verdict.by} and run the rollout again.`,
    ),
    finishedAt: now,
  };
}

/**
 * A preview's dependant whose change set CloudFormation refused because a parameter fed by a
 * dependency that is not deployed yet held a placeholder (a KeyArn parameter with an
 * AllowedPattern refuses `(from logging.KeyArn)`): not a fault of the request, so the stack is
 * reported as one that would change, with no change list, naming the inputs it waits for.
 * Anything else the preview was refused for stays FAILED.
 */
export function previewAwaitingInputs(
  failed: LaneStackResult,
  placeholders: readonly string[],
): LaneStackResult {
  const named = placeholders.filter((p) => failed.pendingInputs?.[p] !== undefined);
  if (failed.outcome !== 'FAILED' || failed.error !== ErrorNames.TemplateInvalid || named.length === 0)
    return failed;
  const inputs = named.map((p) => `${p} (from ${failed.pendingInputs?.[p]})`).join(', ');
  const sources = [...new Set(named.map((p) => String(failed.pendingInputs?.[p]).split('.')[0]))];
  const { error: _e, failedResource: _f, ...rest } = failed;
  return {
    ...rest,
    outcome: 'CHANGES',
    reason: clip(
      `Not previewed yet: its parameters ${inputs} take outputs that ${sources.join(', ')} would create, known only once ${sources.length === 1 ? 'it is' : 'they are'} deployed, and CloudFormation refused a placeholder for them (${failed.reason}). Preview again after deploying ${sources.join(', ')}.`,
    ),
  };
}

/** A stack whose dependency in another lane did not finish within the per-stack timeout. */
export function dependencyTimedOut(
  base: Pick<LaneStackResult, 'stack' | 'stackName' | 'accountId' | 'region' | 'executionName'>,
  pending: readonly string[],
  waitedSeconds: number,
  now: string,
): LaneStackResult {
  return {
    ...base,
    outcome: 'FAILED',
    error: ErrorNames.TargetTimedOut,
    reason: `Not started: its dependencies ${pending.join(', ')} had not finished after ${waitedSeconds} s (the per-stack timeout).`,
    finishedAt: now,
  };
}

/** Seconds to wait before looking at a dependency again: short at first, at most a minute. */
export function dependencyWaitSeconds(waitedSeconds: number): number {
  return Math.min(60, Math.max(10, Math.round(waitedSeconds / 3)));
}

/** Stack Fail causes stay below Step Functions' 32,768-character limit for a Cause. */
export const MAX_CAUSE_CHARACTERS = 32_000;

/**
 * The lane's end: DONE with the results, or FAILED with the first failure's error name and the
 * results as the Cause (findings dropped, then reasons shortened, until it fits).
 */
export function finishLane(output: LaneOutput): {
  action: LaneAction;
  result: LaneOutput;
  error?: string;
  cause?: string;
} {
  const failed = output.stacks.find((s) => s.outcome === 'FAILED');
  if (!failed) return { action: LaneActions.Done, result: output };
  let cause = JSON.stringify(output);
  if (cause.length > MAX_CAUSE_CHARACTERS) {
    const lean = output.stacks.map((s) => {
      const copy = { ...s };
      for (const field of FINDINGS) delete copy[field];
      return copy;
    });
    cause = JSON.stringify({ ...output, stacks: lean });
    if (cause.length > MAX_CAUSE_CHARACTERS)
      cause = JSON.stringify({ ...output, stacks: lean.map((s) => ({ ...s, reason: clip(s.reason, 300) })) });
  }
  return { action: LaneActions.Failed, result: output, error: failed.error ?? 'StackFailed', cause };
}

/** The lane's stacks with results in lane order, for the summary when a lane could not say (aborted). */
export function laneStackNames(stacks: readonly PlannedLaneStack[]): string[] {
  return stacks.map((s) => s.name);
}
