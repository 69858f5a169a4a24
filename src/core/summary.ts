import { type FailedResource, type ParsedFailure, parseFailure } from './failure-cause';
import type { PlannedLane } from './graph-plan';
import { type GraphRollup, plannedStacks, rollUp } from './graph-summary';
import type { PlannedTarget, SkippedTarget } from './plan';
import { missedEventsLine, TargetOutcomes, type TargetResult } from './target-result';

export {
  type DriftedResourceEntry,
  type MapRunResultEntry,
  missedEventsLine,
  parseResultFile,
  type ResourceChangeEntry,
  TargetOutcomes,
  type TargetResult,
  targetResultFromEntry,
} from './target-result';
export { type FailedResource, type ParsedFailure, parseFailure };

/**
 * Pure rollout summary: turns the Distributed Map's result files (written by ResultWriter) and the
 * plan's skipped targets into per-outcome counts, a per-target list and readable failures. Every
 * target ends with a definite outcome and a human reason, including targets the rollout never
 * reached because it stopped.
 */

/** How the rollout as a whole ended. */
export const RolloutStatuses = {
  SUCCEEDED: 'SUCCEEDED',
  /** More targets failed than the failure tolerance allows (or the fan-out itself failed). */
  FAILED: 'FAILED',
  CANARY_FAILED: 'CANARY_FAILED',
  /** The targets could not be planned (Organizations refused, an unknown OU, ...): nothing ran. */
  PLAN_FAILED: 'PLAN_FAILED',
} as const;
export type RolloutStatus = (typeof RolloutStatuses)[keyof typeof RolloutStatuses];

/** How many failures the small summary (state output, SNS message) lists; the rest are in S3. */
export const MAX_LISTED_FAILURES = 50;
const TEXT_FAILURES = 10;

/** A failed target as listed in the summary. */
export interface FailedTarget {
  accountId: string;
  region: string;
  /** The stacks form: the stack that failed. */
  stack?: string;
  error: string;
  reason: string;
  failedResource?: FailedResource;
  executionName?: string;
  phase: TargetResult['phase'];
}

/** Why a fan-out stopped early (the error the Map state raised). */
export interface FanOutStop {
  stage: 'canaries' | 'targets';
  error: string;
  cause?: string;
}

/** The small summary: the rollout's output, the SNS message, the Fail cause. */
export interface RolloutSummary {
  rolloutId: string;
  mode: string;
  status: RolloutStatus;
  /** Planned targets plus skipped ones. */
  total: number;
  counts: Record<string, number>;
  /** The first failures (at most MAX_LISTED_FAILURES); `failureCount` has them all. */
  failures: FailedTarget[];
  failureCount: number;
  stoppedBy?: { stage: FanOutStop['stage'] | 'plan'; error: string; reason: string };
  summaryBucket: string;
  summaryKey: string;
  /** The stacks form: outcome counts per stack and targets by their worst stack (summary.json also lists each target). */
  graph?: Omit<GraphRollup, 'targets'>;
  /** SNS subject: ASCII, at most 100 characters. */
  subject: string;
  /** Readable multi-line text (used as the Fail cause). */
  text: string;
}

/** summary.json: the small summary plus every target. */
export interface RolloutSummaryDocument extends RolloutSummary {
  generatedAt?: string;
  /** One entry per target, or in the stacks form per (target, stack) plus skipped targets. */
  targets: TargetResult[];
  /** The stacks form: each target's worst outcome and every stack's. */
  graphTargets?: GraphRollup['targets'];
}

export interface SummaryInput {
  rolloutId: string;
  mode: string;
  summaryBucket: string;
  summaryKey: string;
  /** Main fan-out targets and canaries, as planned. */
  targets: PlannedTarget[];
  canaries: PlannedTarget[];
  skipped: SkippedTarget[];
  /** Results in the order they were written; a later result for the same target wins. */
  results: TargetResult[];
  stops: FanOutStop[];
  generatedAt?: string;
  /** The stacks form: the fan-outs' lanes (then `targets`/`canaries` are the planned targets). */
  lanes?: { targets: PlannedLane[]; canaries: PlannedLane[]; stacks?: string[] };
}

const key = (t: { accountId: string; region: string; stack?: string }) =>
  `${t.accountId}/${t.region}${t.stack ? `/${t.stack}` : ''}`;

function stopReason(stop: FanOutStop): string {
  const parsed = parseFailure(stop.error, stop.cause);
  if (stop.error === 'States.ExceedToleratedFailureThreshold') {
    return stop.stage === 'canaries'
      ? 'A canary target failed, so no other target was started.'
      : 'More targets failed than the failure tolerance allows; targets not yet started were not started, and targets still running were aborted (their stack operations may still be running).';
  }
  return `The ${stop.stage === 'canaries' ? 'canary' : 'target'} fan-out stopped with ${parsed.error}: ${parsed.reason}`;
}

function describeFailure(f: FailedTarget): string {
  const resource = f.failedResource
    ? ` [${[f.failedResource.logicalId, f.failedResource.type, f.failedResource.status].filter(Boolean).join(' ')}]`
    : '';
  return `${f.accountId} ${f.region}${f.stack ? ` ${f.stack}` : ''}: ${f.error} - ${f.reason}${resource}`;
}

/**
 * Builds the summary. Status: CANARY_FAILED when the canary fan-out stopped or a canary failed,
 * FAILED when the main fan-out stopped (tolerance exceeded or the Map failed), SUCCEEDED otherwise
 * (failures within tolerance are listed but do not fail the rollout).
 */
export function summarizeRollout(input: SummaryInput): RolloutSummaryDocument {
  const latest = new Map<string, TargetResult>();
  for (const result of input.results) latest.set(key(result), result);

  const canaryStop = input.stops.find((s) => s.stage === 'canaries');
  const targetStop = input.stops.find((s) => s.stage === 'targets');
  const notStartedReason = canaryStop
    ? 'Not started: a canary target failed, so the rollout stopped before the other targets.'
    : targetStop
      ? 'Not started: the rollout stopped after more targets failed than its failure tolerance allows.'
      : 'Not started: no result was recorded for this target.';

  const targets: TargetResult[] = [];
  type Planned = Pick<PlannedTarget, 'accountId' | 'region' | 'executionName'> & { stack?: string };
  const planned: Array<[Planned, TargetResult['phase']]> = input.lanes
    ? [
        ...plannedStacks(input.lanes.canaries).map((t) => [t, 'canary'] as [Planned, TargetResult['phase']]),
        ...plannedStacks(input.lanes.targets).map((t) => [t, 'main'] as [Planned, TargetResult['phase']]),
      ]
    : [
        ...input.canaries.map((t) => [t, 'canary'] as [Planned, TargetResult['phase']]),
        ...input.targets.map((t) => [t, 'main'] as [Planned, TargetResult['phase']]),
      ];
  const plannedKeys = new Set<string>();
  for (const [target, phase] of planned) {
    plannedKeys.add(key(target));
    const result = latest.get(key(target));
    targets.push(
      result
        ? { ...result, executionName: result.executionName ?? target.executionName }
        : {
            accountId: target.accountId,
            region: target.region,
            ...(target.stack ? { stack: target.stack } : {}),
            phase,
            outcome: TargetOutcomes.NOT_STARTED,
            reason: notStartedReason,
            executionName: target.executionName,
          },
    );
  }
  // Results for targets the plan does not list (should not happen) are still reported.
  for (const [k, result] of latest) if (!plannedKeys.has(k)) targets.push(result);
  for (const s of input.skipped) {
    targets.push({
      accountId: s.accountId,
      region: s.region,
      phase: 'plan',
      outcome: TargetOutcomes.SKIPPED,
      reason: s.reason,
    });
  }

  const counts: Record<string, number> = {
    CREATED: 0,
    UPDATED: 0,
    NO_CHANGE: 0,
    FAILED: 0,
    SKIPPED: 0,
    NOT_STARTED: 0,
  };
  for (const t of targets) counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;

  const allFailures: FailedTarget[] = targets
    .filter((t) => t.outcome === TargetOutcomes.FAILED)
    .map((t) => {
      const f: FailedTarget = {
        accountId: t.accountId,
        region: t.region,
        ...(t.stack ? { stack: t.stack } : {}),
        error: t.error ?? 'Unknown',
        reason: t.reason ?? 'No reason recorded.',
        phase: t.phase,
      };
      if (t.failedResource) f.failedResource = t.failedResource;
      if (t.executionName) f.executionName = t.executionName;
      return f;
    });
  // Canary failures first: they are why the rollout stopped.
  allFailures.sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'canary' ? -1 : 1));

  const canaryFailed =
    Boolean(canaryStop) || targets.some((t) => t.phase === 'canary' && t.outcome === TargetOutcomes.FAILED);
  const status: RolloutStatus = canaryFailed
    ? RolloutStatuses.CANARY_FAILED
    : targetStop
      ? RolloutStatuses.FAILED
      : RolloutStatuses.SUCCEEDED;
  const stop = canaryStop ?? targetStop;

  const countText = Object.entries(counts)
    .filter(
      ([outcome, n]) => n > 0 || ['CREATED', 'UPDATED', 'NO_CHANGE', 'FAILED', 'SKIPPED'].includes(outcome),
    )
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  const rollup = input.lanes ? rollUp(targets, input.lanes.stacks) : undefined;
  const lines = rollup
    ? [
        `Rollout ${input.rolloutId} (${input.mode}) ${status}: ${rollup.targets.length} targets, ${rollup.stacks.length} stacks - ${countText} (per target and stack).`,
        ...rollup.stacks.map(
          (stack) =>
            `  ${stack}: ${Object.entries(rollup.byStack[stack] ?? {})
              .map(([o, n]) => `${n} ${o}`)
              .join(', ')}`,
        ),
      ]
    : [`Rollout ${input.rolloutId} (${input.mode}) ${status}: ${targets.length} targets - ${countText}.`];
  if (stop) lines.push(stopReason(stop));
  const aborted = targets.filter((t) => t.outcome === TargetOutcomes.ABORTED);
  if (aborted.length > 0) {
    lines.push('Aborted targets (stack operations may still be running):');
    for (const t of aborted.slice(0, TEXT_FAILURES)) lines.push(`  ${t.accountId} ${t.region}`);
    if (aborted.length > TEXT_FAILURES) lines.push(`  ... and ${aborted.length - TEXT_FAILURES} more`);
  }
  if (allFailures.length > 0) {
    lines.push('Failed targets:');
    for (const f of allFailures.slice(0, TEXT_FAILURES)) lines.push(`  ${describeFailure(f)}`);
    if (allFailures.length > TEXT_FAILURES)
      lines.push(`  ... and ${allFailures.length - TEXT_FAILURES} more`);
  }
  const missedEvents = missedEventsLine(targets);
  if (missedEvents) lines.push(missedEvents);
  lines.push(`Full summary: s3://${input.summaryBucket}/${input.summaryKey}`);

  const failed = counts.FAILED ?? 0;
  const subject =
    `stackfleet ${input.mode} ${input.rolloutId}: ${status}, ${failed} failed of ${targets.length}`
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 100);

  const summary: RolloutSummaryDocument = {
    rolloutId: input.rolloutId,
    mode: input.mode,
    status,
    total: targets.length,
    counts,
    failures: allFailures.slice(0, MAX_LISTED_FAILURES),
    failureCount: allFailures.length,
    summaryBucket: input.summaryBucket,
    summaryKey: input.summaryKey,
    subject,
    text: lines.join('\n'),
    targets,
  };
  if (stop) {
    summary.stoppedBy = { stage: stop.stage, error: stop.error, reason: stopReason(stop) };
  }
  if (rollup) {
    const { targets: graphTargets, ...counted } = rollup;
    summary.graph = counted;
    summary.graphTargets = graphTargets;
  }
  if (input.generatedAt) summary.generatedAt = input.generatedAt;
  return summary;
}

/** The summary without the per-target list (what the state machine carries and publishes). */
export function smallSummary(document: RolloutSummaryDocument): RolloutSummary {
  const { targets: _targets, generatedAt: _generatedAt, graphTargets: _graphTargets, ...small } = document;
  return small;
}
