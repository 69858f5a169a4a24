/**
 * Replays recorded stack timelines through the wait policy, without the engine or the sandbox:
 * when each check of a create would come, and what the schedule would cost. A full rollout
 * records the timelines once (scripts/bench-replay.ts); then dozens of tunings of the policy
 * are compared in a second, on exactly the same stacks. The figures are the bench's
 * (makespan against the lower bound, median notice lag, checks, transitions and
 * CloudFormation calls per target), for the stackfleet deploy path: Deploy stack, then
 * (Wait for stack, Check stack, Stack settled?) per check, in deploy-target, plus one
 * transition in the Distributed Map child.
 */

import { observedResources, resourceProgress, type StackEventLike } from '../../src/core/stack-status';
import {
  type CreateTuning,
  nextWaitSeconds,
  type ObservedResource,
  projectCreateFinishSeconds,
  type TemplateResource,
  templatePrior,
} from '../../src/core/wait-policy';
import { listScheduleMakespan, makespanLowerBound, median } from './stats';

/** One resource event of a create, seconds after the operation started. */
export interface TimelineEvent {
  readonly at: number;
  readonly logicalId: string;
  /** A resource status, e.g. CREATE_IN_PROGRESS or CREATE_COMPLETE. */
  readonly status: string;
}

/** A create as it happened: when it started (for the start order), how long it took, its events. */
export interface StackTimeline {
  readonly startedAt: number;
  readonly seconds: number;
  /** The template's resources for this target (what Check stack projects with). */
  readonly resources: Readonly<Record<string, TemplateResource>>;
  readonly events: readonly TimelineEvent[];
}

/** Seconds a target's slot stays taken besides its stack (Lambda calls, the child's own states). */
export const SLOT_OVERHEAD_SECONDS = 1;
/** Transitions of a target besides its checks: Deploy stack, Stack settled?, Stack up to date, and the map child's one. */
const FIXED_TRANSITIONS = 4;
/** CloudFormation calls of Deploy stack for a create (DescribeStacks, CreateStack). */
const DEPLOY_CALLS = 2;

/** The timeline as DescribeStackEvents would give it: newest first, times from the operation start. */
function asStackEvents(events: readonly TimelineEvent[]): Array<StackEventLike & { at: number }> {
  return events
    .map((e) => ({
      at: e.at,
      Timestamp: new Date(e.at * 1000),
      LogicalResourceId: e.logicalId,
      ResourceStatus: e.status,
    }))
    .sort((a, b) => b.at - a.at);
}

/** The stack name the replayed events are read with (resource events never carry it). */
const REPLAYED_STACK = 'replayed-stack';

/** What the events show at `now`: when each resource started and, if it did, ended. */
export function observedAt(events: readonly TimelineEvent[], now: number): Map<string, ObservedResource> {
  return observedResources(
    asStackEvents(events).filter((e) => e.at <= now),
    REPLAYED_STACK,
    0,
  );
}

/** The checks a create gets under `tuning`, and how long after its end the last one came. */
export function replayChecks(
  stack: StackTimeline,
  tuning?: CreateTuning,
): { checks: number; lagSeconds: number; slotSeconds: number } {
  const expectedSeconds = templatePrior(stack.resources).expectedSeconds;
  let elapsed = nextWaitSeconds({ elapsedSeconds: 0, checks: 0, expectedSeconds }, tuning).seconds;
  let checks = 1;
  // A check at or after the end sees the stack complete; a 24 h cap guards against a policy bug.
  // Read the events exactly as Check stack does (functions/check-stack.ts).
  const events = asStackEvents(stack.events);
  while (elapsed < stack.seconds && checks < 10_000) {
    const now = elapsed;
    const seen = events.filter((e) => e.at <= now);
    const observed = observedResources(seen, REPLAYED_STACK, 0);
    elapsed += nextWaitSeconds(
      {
        elapsedSeconds: elapsed,
        checks,
        expectedSeconds,
        progress: resourceProgress(seen, REPLAYED_STACK, new Date(now * 1000)),
        projectedFinishSeconds: projectCreateFinishSeconds(stack.resources, observed, now),
      },
      tuning,
    ).seconds;
    checks += 1;
  }
  return {
    checks,
    lagSeconds: elapsed - stack.seconds,
    slotSeconds: elapsed + SLOT_OVERHEAD_SECONDS,
  };
}

export interface ReplayFigures {
  makespanSeconds: number;
  lowerBoundSeconds: number;
  makespanRatio: number;
  noticeLagSecondsMedian: number;
  checksMedian: number;
  /** Share of targets that settle in at most two checks (the median stays at 2 while it is over half). */
  twoCheckShare: number;
  transitionsPerTargetMedian: number;
  cfnCallsPerTargetMedian: number;
}

/** The schedule the stacks would have had under `tuning`, started in the order they did start. */
export function replay(
  stacks: readonly StackTimeline[],
  concurrency: number,
  tuning?: CreateTuning,
): ReplayFigures {
  if (stacks.length === 0) throw new Error('replay needs at least one stack timeline. Received: none');
  const ordered = [...stacks].sort((a, b) => a.startedAt - b.startedAt);
  const results = ordered.map((stack) => replayChecks(stack, tuning));
  const makespan = listScheduleMakespan(
    results.map((r) => r.slotSeconds),
    concurrency,
  );
  const bound = makespanLowerBound(
    stacks.map((s) => s.seconds),
    concurrency,
  );
  const checks = results.map((r) => r.checks);
  return {
    makespanSeconds: makespan,
    lowerBoundSeconds: bound,
    makespanRatio: makespan / bound,
    noticeLagSecondsMedian: median(results.map((r) => r.lagSeconds)),
    checksMedian: median(checks),
    twoCheckShare: checks.filter((c) => c <= 2).length / checks.length,
    transitionsPerTargetMedian: median(checks.map((c) => FIXED_TRANSITIONS + 3 * c)),
    cfnCallsPerTargetMedian: median(checks.map((c) => DEPLOY_CALLS + c)),
  };
}
