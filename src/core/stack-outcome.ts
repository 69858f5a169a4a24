/**
 * The progress record of an operation that succeeded, whoever noticed it: Check stack reading the
 * events, or Match stack event hearing the Stack Status Change event. One builder, so a target's
 * output is the same either way (only `checks` and the reason's last words differ).
 */
import {
  secondsBetween,
  TargetOutcomes,
  type TargetProgress,
  TargetStatuses,
  type WatchedOperation,
} from './target-progress';

/** The operation being watched, as Deploy stack or the last check left it in `$.stack`. */
export interface WatchedProgress {
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
  readonly startedAt: string;
  readonly stackId: string;
  readonly operation: WatchedOperation;
  readonly clientRequestToken?: string;
  readonly operationStartedAt: string;
  readonly expectedSeconds?: number;
  readonly resourceCount?: number;
}

/**
 * SUCCEEDED with the target's result. `checks` counts the polls made (0 when the event came
 * first); `noticedBy` says how the end was seen; `eventMissed` that an event was awaited in vain.
 */
export function succeededProgress(
  watch: WatchedProgress,
  status: string,
  now: Date,
  checks: number,
  noticedBy: 'check' | 'event',
  eventMissed = false,
): TargetProgress {
  const created = watch.operation === 'CREATE';
  const elapsed = secondsBetween(watch.operationStartedAt, now);
  const how =
    noticedBy === 'event'
      ? `noticed from its Stack Status Change event after ${checks} check${checks === 1 ? '' : 's'}`
      : `after ${checks} check${checks === 1 ? '' : 's'}`;
  const reason = `Stack ${watch.stackName} ${created ? 'created' : 'updated'} (${status}) in ${elapsed} s ${how}`;
  return {
    accountId: watch.accountId,
    region: watch.region,
    stackName: watch.stackName,
    startedAt: watch.startedAt,
    checks,
    stackId: watch.stackId,
    operation: watch.operation,
    ...(watch.clientRequestToken ? { clientRequestToken: watch.clientRequestToken } : {}),
    operationStartedAt: watch.operationStartedAt,
    stackStatus: status,
    ...(watch.expectedSeconds === undefined ? {} : { expectedSeconds: watch.expectedSeconds }),
    ...(watch.resourceCount === undefined ? {} : { resourceCount: watch.resourceCount }),
    status: TargetStatuses.Succeeded,
    waitSeconds: 0,
    reason,
    result: {
      accountId: watch.accountId,
      region: watch.region,
      stackName: watch.stackName,
      stackId: watch.stackId,
      outcome: created ? TargetOutcomes.Created : TargetOutcomes.Updated,
      reason,
      startedAt: watch.startedAt,
      finishedAt: now.toISOString(),
      durationSeconds: secondsBetween(watch.startedAt, now),
      checks,
      ...(eventMissed ? { stackEventMissed: true as const } : {}),
    },
  };
}
