/**
 * Register stack wait: the Lambda behind "Wait for stack event" (lambda:invoke.waitForTaskToken).
 * Files the task token under the stack id and the operation's ClientRequestToken in the token
 * store (src/aws/stack-waits.ts), with an expiry past the task's TimeoutSeconds. If the
 * operation's final event came first, it answers the task itself at once (the same answer Match
 * stack event gives). Its own result is ignored by Step Functions: the task waits for the token.
 */
import { functionEnvironment } from '../src/aws/ambient-identity';
import { functionError } from '../src/aws/aws-errors';
import { answerStackWait } from '../src/aws/stack-wait-answer';
import {
  registerStackWait,
  s3StackWaitStore,
  sfnTaskCallbacks,
  stackWaitBucket,
} from '../src/aws/stack-waits';
import { InvalidInputError } from '../src/core/errors';
import { WAITER_GRACE_SECONDS, type WaiterRecord, waiterTarget } from '../src/core/stack-waits';
import { parseTargetInput } from '../src/core/target-input';
import { type TargetProgress, TargetStatuses, targetIdentity } from '../src/core/target-progress';

export interface RegisterStackWaitEvent {
  /** The deploy-target state: the target input plus `stack`, the IN_PROGRESS progress. */
  input: Record<string, unknown>;
  /** `$$.Task.Token` of the waiting task. */
  taskToken: string;
}

export interface RegisterStackWaitResult {
  key: string;
  /** False when the final event was already there and the task was answered at once. */
  registered: boolean;
}

function adminRegion(): string {
  return functionEnvironment('AWS_REGION') ?? process.env.AWS_REGION ?? 'us-east-1';
}

/** The waiting progress, refused (naming the field) unless it watches an operation with a token. */
function watchedProgress(input: Record<string, unknown>): TargetProgress & { eventWaitSeconds: number } {
  const stack = input.stack as Partial<TargetProgress> | undefined;
  if (stack?.status !== TargetStatuses.InProgress) {
    throw new InvalidInputError(
      'stack.status',
      `stack.status must be IN_PROGRESS. Received: ${String(stack?.status)}`,
    );
  }
  for (const field of ['stackId', 'clientRequestToken'] as const) {
    if (typeof stack[field] !== 'string' || stack[field] === '') {
      throw new InvalidInputError(
        `stack.${field}`,
        `stack.${field} must name the watched operation. Received: ${String(stack[field])}`,
      );
    }
  }
  const seconds = stack.eventWaitSeconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
    throw new InvalidInputError(
      'stack.eventWaitSeconds',
      `stack.eventWaitSeconds must be a whole number of seconds >= 1. Received: ${String(seconds)}`,
    );
  }
  return stack as TargetProgress & { eventWaitSeconds: number };
}

export async function handler(event: RegisterStackWaitEvent): Promise<RegisterStackWaitResult> {
  const now = new Date();
  try {
    if (typeof event?.taskToken !== 'string' || event.taskToken === '') {
      throw new InvalidInputError(
        'taskToken',
        `taskToken must be $$.Task.Token. Received: ${String(event?.taskToken)}`,
      );
    }
    parseTargetInput(event.input);
    const progress = watchedProgress(event.input);
    const waiter: WaiterRecord = {
      kind: 'waiter',
      taskToken: event.taskToken,
      registeredAt: now.toISOString(),
      expiresAt: new Date(
        now.getTime() + (progress.eventWaitSeconds + WAITER_GRACE_SECONDS) * 1000,
      ).toISOString(),
      target: waiterTarget(event.input),
      progress,
    };
    const region = adminRegion();
    const store = s3StackWaitStore(stackWaitBucket(), region);
    const filed = await registerStackWait(store, waiter, now);
    if (filed.registered) return { key: filed.key, registered: true };
    const outcome = await answerStackWait(waiter, filed.eventFirst.status, filed.eventFirst.reason, now);
    await sfnTaskCallbacks(region).send(event.taskToken, outcome);
    return { key: filed.key, registered: false };
  } catch (error) {
    // The task then fails and the machine polls (Catch to Check stack): events are only a speed-up.
    throw functionError(error, targetIdentity(event?.input));
  }
}
