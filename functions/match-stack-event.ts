/**
 * Match stack event: the target of the admin bus rule that receives the Stack Status Change events
 * the targets' baselines forward (CloudFormation User Guide, event-detail-stack-status-change).
 * Finds the task waiting for the event's operation (stack id + ClientRequestToken) in the token
 * store and answers it: SendTaskSuccess with the target's SUCCEEDED progress, SendTaskFailure
 * with StackFailed and the first failed resource. In-progress statuses change nothing; an event
 * nobody waits for yet is kept for the operation's registration; duplicates are no-ops.
 */
import { functionEnvironment } from '../src/aws/ambient-identity';
import { answerStackWait } from '../src/aws/stack-wait-answer';
import {
  type MatchResult,
  markEventsFlowing,
  matchStackEvent,
  s3StackWaitStore,
  sfnTaskCallbacks,
  stackWaitBucket,
} from '../src/aws/stack-waits';
import { isFinal, parseStackStatusEvent } from '../src/core/stack-waits';

function adminRegion(): string {
  return functionEnvironment('AWS_REGION') ?? process.env.AWS_REGION ?? 'us-east-1';
}

export async function handler(event: unknown): Promise<MatchResult> {
  const now = new Date();
  const facts = parseStackStatusEvent(event);
  if (!isFinal(facts)) return { result: 'ignored', why: `${facts.status} is not the end of an operation` };
  const region = adminRegion();
  const bucket = stackWaitBucket();
  const result = await matchStackEvent(
    s3StackWaitStore(bucket, region),
    sfnTaskCallbacks(region),
    facts,
    now,
    (waiter) => answerStackWait(waiter, facts.status, facts.reason, now),
  );
  // Events of this region reach the admin bus: Deploy stack may now wait long for them there.
  await markEventsFlowing(bucket, region, facts.stackId.split(':')[3] ?? '', now);
  return result;
}
