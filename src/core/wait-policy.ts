/**
 * How long "Wait for stack" waits before the next "Check stack".
 *
 * Why this shape. Every check is a state transition (billed) and a CloudFormation call
 * (throttled at scale), and every second waited past the real finish is latency for the whole
 * rollout. Fixed 10-30 s polling (CfCT, ADF) wastes checks on slow stacks and latency on fast
 * ones. Instead:
 *
 * 1. First look early (FIRST_WAIT_SECONDS). Templates that fail (bad property, missing
 *    permission) usually fail in the first resources, and by then the events show the
 *    stack's pace: which resources finished and how long each took.
 * 2. Then aim at the predicted finish. A running resource that has run r seconds is expected to
 *    finish like the finished resources of this operation that took longer than r (the median
 *    of those, minus r); if none took longer, like DEFAULT_RESOURCE_SECONDS. If the template's
 *    resource count is known and some have not started yet, one more wave of the median
 *    resource is added. The wait is the time to the latest predicted finish plus a margin
 *    (CloudFormation marks the stack complete a few seconds after its last resource). A flat
 *    1-3 minute baseline (most of its resources independent) thus settles in two or three
 *    checks: an early look and one at the predicted finish; each dependency wave that was not
 *    visible yet costs about one more. Fixed 30 s polling needs 2-6 for the same stacks.
 * 3. Back off for slow stacks. A resource already running longer than every finished one (and
 *    than the default) is expected to run about three quarters as long again (the longer something has taken, the longer it
 *    tends to keep taking), and no wait is shorter than a fifth of the time already spent. So
 *    checks grow geometrically and a 30-minute stack costs ~20 checks, not the 180 of 10 s polling.
 * 4. Bounds: at least MIN_WAIT_SECONDS (CloudFormation does not move faster than that), at
 *    most MAX_WAIT_SECONDS (so an operator watching sees progress and the timeout is enforced
 *    promptly), and never past the per-target timeout by more than a second.
 *
 * Pure: the check handler turns events into `ResourceProgress`; tests drive this table-wise.
 */

export const MIN_WAIT_SECONDS = 5;
export const MAX_WAIT_SECONDS = 120;
export const FIRST_WAIT_SECONDS = 20;
/** Expected duration of a running resource until finished ones say otherwise (baseline resources take 5-90 s). */
export const DEFAULT_RESOURCE_SECONDS = 60;
/** The smallest share of the elapsed time we wait (the back-off floor). */
export const BACKOFF_SHARE = 0.2;
/** When a resource outlives every finished one (and the default), the share of its running time we expect it still to need. */
export const SLOW_RESOURCE_SHARE = 0.75;

/** What the events say about this operation's resources. */
export interface ResourceProgress {
  /** Seconds each finished resource took (first IN_PROGRESS to COMPLETE). */
  readonly doneSeconds: readonly number[];
  /** Seconds each still-running resource has been running. */
  readonly runningSeconds: readonly number[];
  /** Resources the operation will touch, when known (e.g. from the template). */
  readonly total?: number;
}

export interface WaitContext {
  /** Seconds since the operation started. */
  readonly elapsedSeconds: number;
  /** Checks already made for this operation (0 right after Deploy stack). */
  readonly checks: number;
  /** From the latest check; absent before the first. */
  readonly progress?: ResourceProgress;
  /** Seconds left before the per-target timeout. */
  readonly remainingBudgetSeconds?: number;
}

export interface WaitDecision {
  /** Whole seconds for the Wait state's SecondsPath. */
  readonly seconds: number;
  /** Predicted seconds from the operation start to its finish. */
  readonly expectedFinishSeconds: number;
  /** One phrase on why, for the progress record. */
  readonly basis: string;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Seconds still needed by a resource that has run `running` seconds: the median of the finished
 * resources that took longer (its residual life), the default before any finished, and half its
 * running time again once it has outlived them all.
 */
export function expectedRemainingSeconds(running: number, doneSeconds: readonly number[]): number {
  const longer = median(doneSeconds.filter((d) => d > running));
  if (longer !== undefined) return longer - running;
  if (running < DEFAULT_RESOURCE_SECONDS) return DEFAULT_RESOURCE_SECONDS - running;
  return Math.max(MIN_WAIT_SECONDS, running * SLOW_RESOURCE_SHARE);
}

/** The next wait, following the policy described at the top of this file. */
export function nextWaitSeconds(context: WaitContext): WaitDecision {
  const elapsed = Math.max(0, context.elapsedSeconds);
  let remaining: number;
  let basis: string;

  if (context.checks === 0 || context.progress === undefined) {
    remaining = FIRST_WAIT_SECONDS;
    basis = 'first look';
  } else {
    const { doneSeconds, runningSeconds, total } = context.progress;
    const typical = median(doneSeconds) ?? DEFAULT_RESOURCE_SECONDS;
    const running =
      runningSeconds.length > 0
        ? Math.max(...runningSeconds.map((r) => expectedRemainingSeconds(r, doneSeconds)))
        : 0;
    const started = doneSeconds.length + runningSeconds.length;
    const pendingWave = total !== undefined && total > started ? typical : 0;
    if (runningSeconds.length === 0 && pendingWave === 0) {
      // Nothing running: CloudFormation is between waves or finishing the stack itself.
      remaining = MIN_WAIT_SECONDS;
      basis = `${doneSeconds.length} resources done, none running`;
    } else {
      remaining = running + pendingWave;
      basis = `${doneSeconds.length} done, ${runningSeconds.length} running, typical resource ${Math.round(typical)} s`;
    }
    // Margin: the stack completes a few seconds after its last resource.
    remaining += 3 + 0.1 * remaining;
  }

  const floor = BACKOFF_SHARE * elapsed;
  let seconds = clamp(Math.max(remaining, floor), MIN_WAIT_SECONDS, MAX_WAIT_SECONDS);
  if (context.remainingBudgetSeconds !== undefined) {
    seconds = Math.min(seconds, Math.max(1, context.remainingBudgetSeconds + 1));
  }
  seconds = Math.ceil(seconds);
  return { seconds, expectedFinishSeconds: Math.round(elapsed + remaining), basis };
}

/**
 * Wait while someone else's operation holds the stack (or our delete / continue-rollback runs).
 * Nothing predicts a foreign operation, so wait 15 s, then half of the time already waited, up to a minute.
 */
export function waitForOtherOperationSeconds(waitedSeconds: number, remainingBudgetSeconds?: number): number {
  let seconds = clamp(Math.max(15, waitedSeconds * 0.5), 15, 60);
  if (remainingBudgetSeconds !== undefined)
    seconds = Math.min(seconds, Math.max(1, remainingBudgetSeconds + 1));
  return Math.ceil(seconds);
}
