/**
 * What a waiting "Wait for stack event" task is told when its operation's final Stack Status
 * Change event comes (Match stack event) or had come first (Register stack wait): the same records
 * Check stack returns, so a target's output and failure do not depend on how its end was noticed.
 * - succeeded: SendTaskSuccess with the SUCCEEDED progress (src/core/stack-outcome.ts);
 * - failed: SendTaskFailure with Error `StackFailed` and the failure cause JSON Check stack would
 *   give (the first failed resource from DescribeStackEvents, src/aws/stack-failure.ts), which
 *   the machine's Catch turns into the same Fail as a polled failure.
 */
import { ErrorNames } from '../core/errors';
import { succeededProgress, type WatchedProgress } from '../core/stack-outcome';
import { classifyStackStatus, StackPhases } from '../core/stack-status';
import type { WaiterRecord } from '../core/stack-waits';
import { parseTargetInput } from '../core/target-input';
import type { FailureCause, WatchedOperation } from '../core/target-progress';
import { describeOperationFailure } from './stack-failure';
import type { StackWaitOutcome } from './stack-waits';
import { targetSession } from './target-cfn';

/** The watched operation a waiter holds, as stack-outcome.ts takes it. */
function watchedOf(waiter: WaiterRecord): WatchedProgress {
  const p = waiter.progress;
  return {
    accountId: p.accountId ?? '',
    region: p.region ?? '',
    stackName: p.stackName ?? '',
    startedAt: p.startedAt,
    stackId: p.stackId ?? '',
    operation: (p.operation ?? 'UPDATE') as WatchedOperation,
    ...(p.clientRequestToken ? { clientRequestToken: p.clientRequestToken } : {}),
    operationStartedAt: p.operationStartedAt ?? p.startedAt,
    ...(p.expectedSeconds === undefined ? {} : { expectedSeconds: p.expectedSeconds }),
    ...(p.resourceCount === undefined ? {} : { resourceCount: p.resourceCount }),
  };
}

/**
 * The outcome for a final `status` (in-progress statuses are not final: the caller does not get
 * here with one). A failure's reason is read in the target as its execution role.
 */
export async function answerStackWait(
  waiter: WaiterRecord,
  status: string,
  reason: string,
  now: Date,
): Promise<StackWaitOutcome> {
  const watch = watchedOf(waiter);
  if (classifyStackStatus(status) === StackPhases.Succeeded) {
    return {
      kind: 'success',
      output: succeededProgress(watch, status, now, waiter.progress.checks, 'event'),
    };
  }
  const input = parseTargetInput(waiter.target);
  const { cfn } = await targetSession(input);
  const failure = await describeOperationFailure(
    cfn,
    input,
    {
      stackId: watch.stackId,
      ...(watch.clientRequestToken ? { clientRequestToken: watch.clientRequestToken } : {}),
    },
    { status, ...(reason ? { reason } : {}) },
  );
  const cause: FailureCause = {
    ...failure,
    accountId: watch.accountId,
    region: watch.region,
    stackName: watch.stackName,
  };
  return { kind: 'failure', error: ErrorNames.StackFailed, cause: JSON.stringify(cause) };
}
