import {
  type CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { functionError, isStackMissingError, isTerminalError } from '../src/aws/aws-errors';
import { describeOperationFailure } from '../src/aws/stack-failure';
import { cfnCall, targetSession } from '../src/aws/target-cfn';
import { pinnedTemplateResources } from '../src/aws/template-source';
import { ErrorNames, InvalidInputError } from '../src/core/errors';
import { eventWaitSeconds } from '../src/core/event-wait';
import { succeededProgress } from '../src/core/stack-outcome';
import {
  classifyStackStatus,
  observedResources,
  operationEvents,
  readStackStatusFromEvents,
  resourceProgress,
  StackPhases,
} from '../src/core/stack-status';
import { parseTargetInput, type TargetInput } from '../src/core/target-input';
import {
  carryConvergeReason,
  failedProgress,
  previousProgress,
  secondsBetween,
  type TargetProgress,
  TargetStatuses,
  targetIdentity,
  type WatchedOperation,
} from '../src/core/target-progress';
import { nextWaitSeconds, projectCreateFinishSeconds, type TemplateResource } from '../src/core/wait-policy';

/**
 * "Check stack": one look at the operation Deploy stack started. Usually one CloudFormation
 * call: the newest page of DescribeStackEvents holds both the stack's latest status event and
 * the resource progress the wait policy needs; DescribeStacks only when that page has no status
 * event of the stack. On failure it pages back to the first failed resource of this operation.
 */

interface Watch {
  readonly stackId: string;
  readonly operation: WatchedOperation;
  readonly clientRequestToken?: string;
  readonly startedAt: string;
  readonly operationStartedAt: string;
  readonly checks: number;
  readonly expectedSeconds?: number;
  readonly resourceCount?: number;
  /** This check follows a "Wait for stack event" that timed out (its Catch left `$.eventWait`). */
  readonly afterEventTimeout: boolean;
}

function watchFrom(event: unknown): Watch {
  const previous = previousProgress(event);
  if (!previous?.stackId || (previous.operation !== 'CREATE' && previous.operation !== 'UPDATE')) {
    throw new InvalidInputError(
      'stack',
      `stack must hold the progress Deploy stack returned (stackId and operation CREATE or UPDATE). Received: ${JSON.stringify(previous ?? null)}`,
    );
  }
  return {
    stackId: previous.stackId,
    operation: previous.operation,
    ...(previous.clientRequestToken ? { clientRequestToken: previous.clientRequestToken } : {}),
    startedAt: previous.startedAt ?? new Date().toISOString(),
    operationStartedAt: previous.operationStartedAt ?? previous.startedAt ?? new Date().toISOString(),
    checks: previous.checks ?? 0,
    ...(typeof previous.expectedSeconds === 'number' ? { expectedSeconds: previous.expectedSeconds } : {}),
    ...(typeof previous.resourceCount === 'number' ? { resourceCount: previous.resourceCount } : {}),
    afterEventTimeout:
      (event as { eventWait?: { Error?: unknown } } | null)?.eventWait?.Error === 'States.Timeout',
  };
}

async function check(
  cfn: CloudFormationClient,
  input: TargetInput,
  watch: Watch,
  now: Date,
  resources: () => Promise<Record<string, TemplateResource> | undefined>,
): Promise<TargetProgress> {
  const page = await cfnCall(input, 'DescribeStackEvents', () =>
    cfn.send(new DescribeStackEventsCommand({ StackName: watch.stackId })),
  );
  const events = page.StackEvents ?? [];
  let current = readStackStatusFromEvents(events, input.stackName, watch.clientRequestToken);
  if (!current) {
    // A stack that is gone (deleted by someone while we watched) is a failure, not a template error.
    const answer = await cfnCall(input, 'DescribeStacks', () =>
      cfn.send(new DescribeStacksCommand({ StackName: watch.stackId })).catch((error: unknown) => {
        if (isStackMissingError(error)) return { Stacks: [] };
        throw error;
      }),
    );
    const stack = answer.Stacks?.[0];
    current = {
      status: stack?.StackStatus ?? 'DELETE_COMPLETE',
      ...(stack?.StackStatusReason ? { reason: stack.StackStatusReason } : {}),
    };
  }

  const checks = watch.checks + 1;
  const base = {
    accountId: input.accountId,
    region: input.region,
    stackName: input.stackName,
    startedAt: watch.startedAt,
    checks,
  };
  const watched = {
    stackId: watch.stackId,
    operation: watch.operation,
    ...(watch.clientRequestToken ? { clientRequestToken: watch.clientRequestToken } : {}),
    operationStartedAt: watch.operationStartedAt,
    stackStatus: current.status,
    ...(watch.expectedSeconds === undefined ? {} : { expectedSeconds: watch.expectedSeconds }),
    ...(watch.resourceCount === undefined ? {} : { resourceCount: watch.resourceCount }),
  };
  const phase = classifyStackStatus(current.status);
  const elapsed = secondsBetween(watch.operationStartedAt, now);
  const durationSeconds = secondsBetween(watch.startedAt, now);

  if (phase === StackPhases.Succeeded) {
    return succeededProgress(
      {
        accountId: input.accountId,
        region: input.region,
        stackName: input.stackName,
        startedAt: watch.startedAt,
        stackId: watch.stackId,
        operation: watch.operation,
        ...(watch.clientRequestToken ? { clientRequestToken: watch.clientRequestToken } : {}),
        operationStartedAt: watch.operationStartedAt,
        ...(watch.expectedSeconds === undefined ? {} : { expectedSeconds: watch.expectedSeconds }),
        ...(watch.resourceCount === undefined ? {} : { resourceCount: watch.resourceCount }),
      },
      current.status,
      now,
      checks,
      'check',
      // Only a check that follows a timed-out event wait runs with events on: the end came and
      // its event did not (lost, or no forwarding rule in this region).
      watch.afterEventTimeout,
    );
  }

  if (phase === StackPhases.Failed) {
    const failure = await describeOperationFailure(cfn, input, watch, current, {
      events,
      ...(page.NextToken ? { nextToken: page.NextToken } : {}),
    });
    return failedProgress(base, ErrorNames.StackFailed, failure, watched);
  }

  const budget = input.timeoutSeconds - durationSeconds;
  if (budget <= 0) {
    return failedProgress(
      base,
      ErrorNames.TargetTimedOut,
      {
        reason: `Stack ${input.stackName} was still ${current.status} after ${durationSeconds} s (${checks} checks); the per-target timeout is ${input.timeoutSeconds} s. The operation goes on in CloudFormation; the next rollout waits for it.`,
        stackStatus: current.status,
      },
      watched,
    );
  }

  const opEvents = operationEvents(events, input.stackName, watch.clientRequestToken).events;
  const progress = resourceProgress(opEvents, input.stackName, now);
  const graph = watch.operation === 'CREATE' ? await resources() : undefined;
  const projectedFinishSeconds = graph
    ? projectCreateFinishSeconds(
        graph,
        observedResources(opEvents, input.stackName, Date.parse(watch.operationStartedAt)),
        elapsed,
      )
    : undefined;
  const wait = nextWaitSeconds({
    elapsedSeconds: elapsed,
    checks,
    progress: watch.resourceCount === undefined ? progress : { ...progress, total: watch.resourceCount },
    remainingBudgetSeconds: budget,
    ...(watch.expectedSeconds === undefined ? {} : { expectedSeconds: watch.expectedSeconds }),
    ...(projectedFinishSeconds === undefined ? {} : { projectedFinishSeconds }),
  });
  return {
    ...base,
    ...watched,
    status: TargetStatuses.InProgress,
    waitSeconds: wait.seconds,
    ...(input.stackEvents
      ? {
          eventWaitSeconds: eventWaitSeconds({
            elapsedSeconds: elapsed,
            checks,
            pollSeconds: wait.seconds,
            remainingBudgetSeconds: budget,
          }),
        }
      : {}),
    reason: `Stack ${input.stackName} is ${current.status} after ${elapsed} s (${wait.basis}); expected to finish at about ${wait.expectedFinishSeconds} s`,
  };
}

/** Lambda entry point; the state input is the deploy-target input plus Deploy stack's `stack` progress. */
export async function handler(event: unknown): Promise<TargetProgress> {
  const now = new Date();
  const previous = previousProgress(event);
  const startedAt = previous?.startedAt ?? now.toISOString();
  try {
    const input = parseTargetInput(event);
    const watch = watchFrom(event);
    const { cfn, credentials } = await targetSession(input);
    return carryConvergeReason(
      previous,
      await check(cfn, input, watch, now, () => pinnedTemplateResources(input, credentials)),
    );
  } catch (error) {
    if (!isTerminalError(error)) throw functionError(error, targetIdentity(event));
    return failedProgress(
      { ...targetIdentity(event), startedAt, checks: (previous?.checks ?? 0) + 1 },
      error.name,
      { reason: error.message },
      previous?.stackId ? { stackId: previous.stackId } : {},
    );
  }
}
