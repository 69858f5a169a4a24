/**
 * Why an operation failed, in words a person acts on: the first resource that failed in this
 * operation and its status reason, read from the stack's events (paging back until the
 * operation's start), else the stack's own reason. Check stack and Match stack event both report
 * a failed target this way, so a target fails with the same cause however its end was noticed.
 */
import {
  type CloudFormationClient,
  DescribeStackEventsCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import {
  firstFailedResource,
  operationEvents,
  type StackEventLike,
  stackLevelReason,
} from '../core/stack-status';
import type { TargetInput } from '../core/target-input';
import type { FailureCause } from '../core/target-progress';
import { cfnCall } from './target-cfn';

/** Pages read back through the events to find the first failure of a long operation. */
const MAX_EVENT_PAGES = 5;

/** Events of our operation, paging back until its start is seen. */
async function allOperationEvents(
  cfn: CloudFormationClient,
  input: TargetInput,
  watch: { stackId: string; clientRequestToken?: string },
  firstPage: { events: StackEvent[]; nextToken?: string },
): Promise<StackEventLike[]> {
  const events = [...firstPage.events];
  let nextToken = firstPage.nextToken;
  for (let page = 1; page < MAX_EVENT_PAGES && nextToken; page++) {
    if (operationEvents(events, input.stackName, watch.clientRequestToken).startSeen) break;
    const token = nextToken;
    const answer = await cfnCall(input, 'DescribeStackEvents', () =>
      cfn.send(new DescribeStackEventsCommand({ StackName: watch.stackId, NextToken: token })),
    );
    events.push(...(answer.StackEvents ?? []));
    nextToken = answer.NextToken;
  }
  return operationEvents(events, input.stackName, watch.clientRequestToken).events;
}

/**
 * The failure of the watched operation, which ended in `current.status`. `firstPage` is the newest
 * page of DescribeStackEvents when the caller already read it (one call fewer).
 */
export async function describeOperationFailure(
  cfn: CloudFormationClient,
  input: TargetInput,
  watch: { stackId: string; clientRequestToken?: string },
  current: { status: string; reason?: string },
  firstPage?: { events: StackEvent[]; nextToken?: string },
): Promise<Omit<FailureCause, 'accountId' | 'region' | 'stackName'>> {
  let page = firstPage;
  if (!page) {
    const answer = await cfnCall(input, 'DescribeStackEvents', () =>
      cfn.send(new DescribeStackEventsCommand({ StackName: watch.stackId })),
    );
    page = { events: answer.StackEvents ?? [], ...(answer.NextToken ? { nextToken: answer.NextToken } : {}) };
  }
  const opEvents = await allOperationEvents(cfn, input, watch, page);
  const failed = firstFailedResource(opEvents, input.stackName);
  const stackReason = stackLevelReason(opEvents, input.stackName) ?? current.reason;
  const reason = failed
    ? `${failed.logicalId} (${failed.type}) ${failed.status}: ${failed.statusReason}`
    : `Stack ${input.stackName} ended in ${current.status}: ${stackReason ?? 'CloudFormation gave no reason'}`;
  return { reason, stackStatus: current.status, ...(failed ? { failedResource: failed } : {}) };
}
