import {
  type CloudFormationClient,
  ContinueUpdateRollbackCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import type { AwsCredentialIdentity } from '@smithy/types';
import { functionEnvironment } from '../src/aws/ambient-identity';
import { functionError, isNoUpdatesError, isStackMissingError, isTerminalError } from '../src/aws/aws-errors';
import { eventsFlowing } from '../src/aws/stack-waits';
import { cfnCall, targetSession } from '../src/aws/target-cfn';
import { pinnedTemplateResources } from '../src/aws/template-source';
import { ErrorNames, InvalidInputError, StackFailedError, TargetTimedOutError } from '../src/core/errors';
import { eventWaitSeconds } from '../src/core/event-wait';
import { clientRequestToken, type StackOperationKind, StackTagKeys } from '../src/core/names';
import { firstFailedResource, planStackAction, StackActions } from '../src/core/stack-status';
import { STACK_WAIT_BUCKET_VARIABLE } from '../src/core/stack-waits';
import { cloudFormationRoleArn, parseTargetInput, type TargetInput } from '../src/core/target-input';
import {
  carryConvergeReason,
  failedProgress,
  previousProgress,
  secondsBetween,
  TargetOutcomes,
  type TargetProgress,
  TargetStatuses,
  targetIdentity,
  type WatchedOperation,
} from '../src/core/target-progress';
import {
  nextWaitSeconds,
  type TemplatePrior,
  templatePrior,
  waitForOtherOperationSeconds,
} from '../src/core/wait-policy';

/**
 * "Deploy stack": brings one target's stack towards the template. Validates the input, assumes
 * the execution role, looks at the stack and starts the one operation its status allows
 * (create, update, delete-then-create, continue-rollback) or reports that it must wait for
 * someone else's. Returns a small progress record for "Stack settled?"; credentials stay here.
 */

interface Context {
  readonly input: TargetInput;
  readonly cfn: CloudFormationClient;
  /** The execution role's session; never returned, never logged. */
  readonly credentials: AwsCredentialIdentity;
  readonly previous: Partial<TargetProgress> | undefined;
  readonly startedAt: string;
  readonly now: Date;
  /** Stack events on: whether forwarded events of the target's region came lately (event-wait.ts). */
  readonly eventsFlowing: boolean;
}

function base(ctx: Context) {
  const { accountId, region, stackName } = ctx.input;
  return { accountId, region, stackName, startedAt: ctx.startedAt, checks: ctx.previous?.checks ?? 0 };
}

function remainingBudget(ctx: Context): number {
  return ctx.input.timeoutSeconds - secondsBetween(ctx.startedAt, ctx.now);
}

async function describeStack(ctx: Context): Promise<Stack | undefined> {
  try {
    const answer = await ctx.cfn.send(new DescribeStacksCommand({ StackName: ctx.input.stackName }));
    return answer.Stacks?.[0];
  } catch (error) {
    if (isStackMissingError(error)) return undefined;
    return cfnCall(ctx.input, 'DescribeStacks', () => Promise.reject(error));
  }
}

function tagValue(stack: Stack | undefined, key: string): string | undefined {
  return stack?.Tags?.find((t) => t.Key === key)?.Value;
}

/**
 * The stack's tags. `stackfleet:rollout-id` names the rollout that brought the current template
 * version: when the version is unchanged the previous rollout id is kept, because a changed tag
 * is itself an update and would turn every re-run into a stack operation instead of NO_CHANGE.
 */
function stackTags(ctx: Context, existing: Stack | undefined) {
  const sameVersion = tagValue(existing, StackTagKeys.TemplateVersion) === ctx.input.templateVersion;
  const rolloutId = (sameVersion && tagValue(existing, StackTagKeys.RolloutId)) || ctx.input.rolloutId;
  return [
    ...Object.entries(ctx.input.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: StackTagKeys.RolloutId, Value: rolloutId },
    { Key: StackTagKeys.TemplateVersion, Value: ctx.input.templateVersion },
  ];
}

function stackInputs(ctx: Context, existing: Stack | undefined) {
  const roleArn = cloudFormationRoleArn(ctx.input);
  return {
    ...(roleArn ? { RoleARN: roleArn } : {}),
    TemplateURL: ctx.input.templateUrl,
    Parameters: Object.entries(ctx.input.parameters).map(([ParameterKey, ParameterValue]) => ({
      ParameterKey,
      ParameterValue,
    })),
    Tags: stackTags(ctx, existing),
    Capabilities: [...ctx.input.capabilities],
  };
}

function token(ctx: Context, kind: StackOperationKind): string {
  return clientRequestToken(kind, ctx.input.rolloutId, ctx.input.accountId, ctx.input.region);
}

/** Forgets cached templates (tests; a cold start). */
export { clearTemplateCache } from '../src/aws/template-source';

/**
 * How long the create should take, from the template's critical path (see wait-policy.ts). Only
 * an estimate: without it the wait policy goes by the events alone.
 */
async function createPrior(ctx: Context): Promise<TemplatePrior | undefined> {
  const resources = await pinnedTemplateResources(ctx.input, ctx.credentials);
  return resources ? templatePrior(resources) : undefined;
}

function inProgress(
  ctx: Context,
  operation: WatchedOperation,
  stackId: string,
  requestToken: string,
  reason: string,
  prior?: TemplatePrior,
): TargetProgress {
  const expected = prior && operation === 'CREATE' ? { expectedSeconds: prior.expectedSeconds } : {};
  const wait = nextWaitSeconds({
    elapsedSeconds: 0,
    checks: 0,
    remainingBudgetSeconds: remainingBudget(ctx),
    ...expected,
  });
  // With stack events on, "Stack settled?" waits for the operation's event (a task token) this long.
  const eventWait = ctx.input.stackEvents
    ? {
        eventWaitSeconds: eventWaitSeconds({
          elapsedSeconds: 0,
          checks: 0,
          pollSeconds: wait.seconds,
          remainingBudgetSeconds: remainingBudget(ctx),
          eventsFlowing: ctx.eventsFlowing,
          ...expected,
        }),
      }
    : {};
  return {
    ...base(ctx),
    status: TargetStatuses.InProgress,
    stackId,
    operation,
    clientRequestToken: requestToken,
    operationStartedAt: ctx.now.toISOString(),
    checks: 0,
    waitSeconds: wait.seconds,
    ...eventWait,
    reason,
    ...(prior ? { expectedSeconds: prior.expectedSeconds, resourceCount: prior.resourceCount } : {}),
  };
}

function waiting(
  ctx: Context,
  stack: Stack,
  reason: string,
  flags: Partial<TargetProgress> = {},
): TargetProgress {
  const waitingSince =
    ctx.previous?.status === TargetStatuses.Waiting && ctx.previous.waitingSince
      ? ctx.previous.waitingSince
      : ctx.now.toISOString();
  return {
    ...base(ctx),
    // Flags survive the loop: a second UPDATE_ROLLBACK_FAILED must be seen as the second.
    ...(ctx.previous?.recreating ? { recreating: true } : {}),
    ...(ctx.previous?.continuedRollback ? { continuedRollback: true } : {}),
    ...flags,
    status: TargetStatuses.Waiting,
    ...(stack.StackId ? { stackId: stack.StackId } : {}),
    ...(stack.StackStatus ? { stackStatus: stack.StackStatus } : {}),
    waitingSince,
    waitSeconds: waitForOtherOperationSeconds(secondsBetween(waitingSince, ctx.now), remainingBudget(ctx)),
    reason,
  };
}

async function create(ctx: Context): Promise<TargetProgress> {
  const kind = ctx.previous?.recreating ? 'recreate' : 'create';
  const requestToken = token(ctx, kind);
  const answer = await cfnCall(ctx.input, 'CreateStack', () =>
    ctx.cfn.send(
      new CreateStackCommand({
        StackName: ctx.input.stackName,
        ...stackInputs(ctx, undefined),
        ClientRequestToken: requestToken,
        EnableTerminationProtection: true,
      }),
    ),
  );
  const stackId = answer.StackId ?? ctx.input.stackName;
  const prior = await createPrior(ctx);
  return inProgress(
    ctx,
    'CREATE',
    stackId,
    requestToken,
    `Creating stack ${ctx.input.stackName} from template version ${ctx.input.templateVersion}`,
    prior,
  );
}

async function update(ctx: Context, stack: Stack): Promise<TargetProgress> {
  const stackId = stack.StackId ?? ctx.input.stackName;
  if (!stack.EnableTerminationProtection) {
    try {
      await cfnCall(ctx.input, 'UpdateTerminationProtection', () =>
        ctx.cfn.send(
          new UpdateTerminationProtectionCommand({ StackName: stackId, EnableTerminationProtection: true }),
        ),
      );
    } catch (error) {
      // Protection is a safeguard, not the baseline: a role that may not set it must not block the update.
      if (!(error instanceof Error) || error.name !== ErrorNames.RoleNotAssumable) throw error;
      console.warn(`Termination protection left off for ${stackId}: ${error.message}`);
    }
  }
  const requestToken = token(ctx, 'update');
  try {
    await ctx.cfn.send(
      new UpdateStackCommand({
        StackName: stackId,
        ...stackInputs(ctx, stack),
        ClientRequestToken: requestToken,
      }),
    );
  } catch (error) {
    if (!isNoUpdatesError(error)) return cfnCall(ctx.input, 'UpdateStack', () => Promise.reject(error));
    const reason = `Stack ${ctx.input.stackName} already matches template version ${ctx.input.templateVersion} and its parameters: CloudFormation had no updates to perform`;
    const durationSeconds = secondsBetween(ctx.startedAt, ctx.now);
    return {
      ...base(ctx),
      status: TargetStatuses.Succeeded,
      stackId,
      ...(stack.StackStatus ? { stackStatus: stack.StackStatus } : {}),
      waitSeconds: 0,
      reason,
      result: {
        accountId: ctx.input.accountId,
        region: ctx.input.region,
        stackName: ctx.input.stackName,
        stackId,
        outcome: TargetOutcomes.NoChange,
        reason,
        startedAt: ctx.startedAt,
        finishedAt: ctx.now.toISOString(),
        durationSeconds,
        checks: ctx.previous?.checks ?? 0,
      },
    };
  }
  return inProgress(
    ctx,
    'UPDATE',
    stackId,
    requestToken,
    `Updating stack ${ctx.input.stackName} to template version ${ctx.input.templateVersion}`,
  );
}

async function recreate(ctx: Context, stack: Stack): Promise<TargetProgress> {
  const stackId = stack.StackId ?? ctx.input.stackName;
  // Termination protection (which stackfleet turns on) would refuse the delete.
  if (stack.EnableTerminationProtection) {
    await cfnCall(ctx.input, 'UpdateTerminationProtection', () =>
      ctx.cfn.send(
        new UpdateTerminationProtectionCommand({ StackName: stackId, EnableTerminationProtection: false }),
      ),
    );
  }
  await cfnCall(ctx.input, 'DeleteStack', () =>
    ctx.cfn.send(new DeleteStackCommand({ StackName: stackId, ClientRequestToken: token(ctx, 'delete') })),
  );
  const why =
    stack.StackStatus === 'REVIEW_IN_PROGRESS'
      ? 'holds only a change set that was never executed'
      : 'is left in ROLLBACK_COMPLETE by a failed first create and can only be deleted';
  return waiting(
    ctx,
    stack,
    `Deleting stack ${ctx.input.stackName}, which ${why}; it will be created again`,
    { recreating: true },
  );
}

async function continueRollback(ctx: Context, stack: Stack): Promise<TargetProgress> {
  const stackId = stack.StackId ?? ctx.input.stackName;
  if (ctx.previous?.continuedRollback) {
    // Name the resource that could not roll back, like every other failure does.
    const page = await cfnCall(ctx.input, 'DescribeStackEvents', () =>
      ctx.cfn.send(new DescribeStackEventsCommand({ StackName: stackId })),
    );
    // The rollback's own failure is the newest failed resource event (events come newest first).
    const newest = (page?.StackEvents ?? []).find(
      (e) => e.LogicalResourceId !== ctx.input.stackName && (e.ResourceStatus ?? '').endsWith('_FAILED'),
    );
    const failed = newest ? firstFailedResource([newest], ctx.input.stackName) : undefined;
    const why = failed
      ? `${failed.logicalId} (${failed.type}) ${failed.status}: ${failed.statusReason}`
      : (stack.StackStatusReason ?? 'no reason given');
    throw new StackFailedError(
      `Stack ${ctx.input.stackName} is in UPDATE_ROLLBACK_FAILED again after ContinueUpdateRollback: ${why}. ` +
        'Fix or skip the resources that cannot roll back (ContinueUpdateRollback with ResourcesToSkip), then re-run the rollout.',
      failed ? { failedResource: failed } : undefined,
    );
  }
  await cfnCall(ctx.input, 'ContinueUpdateRollback', () =>
    ctx.cfn.send(
      new ContinueUpdateRollbackCommand({
        StackName: stackId,
        ClientRequestToken: token(ctx, 'continue-rollback'),
      }),
    ),
  );
  return waiting(
    ctx,
    stack,
    `Continuing the failed update rollback of stack ${ctx.input.stackName}; it will be updated once the rollback completes`,
    {
      continuedRollback: true,
    },
  );
}

function waitForOther(ctx: Context, stack: Stack): TargetProgress {
  const status = stack.StackStatus ?? 'unknown';
  const waited = secondsBetween(ctx.startedAt, ctx.now);
  if (remainingBudget(ctx) <= 0) {
    throw new TargetTimedOutError(
      `Stack ${ctx.input.stackName} was still ${status} (an operation stackfleet did not start) after ${waited} s; the per-target timeout is ${ctx.input.timeoutSeconds} s`,
    );
  }
  // A retried Deploy stack finds the operation it started itself: watch it instead of waiting for it.
  const ours =
    tagValue(stack, StackTagKeys.RolloutId) === ctx.input.rolloutId &&
    tagValue(stack, StackTagKeys.TemplateVersion) === ctx.input.templateVersion;
  if (ours && stack.StackId && (status === 'CREATE_IN_PROGRESS' || status === 'UPDATE_IN_PROGRESS')) {
    const operation = status === 'CREATE_IN_PROGRESS' ? 'CREATE' : 'UPDATE';
    const kind = operation === 'UPDATE' ? 'update' : ctx.previous?.recreating ? 'recreate' : 'create';
    return inProgress(
      ctx,
      operation,
      stack.StackId,
      token(ctx, kind),
      `Watching the ${status} this rollout already started`,
    );
  }
  return waiting(
    ctx,
    stack,
    `Stack ${ctx.input.stackName} is ${status}: waiting for that operation to finish before deploying`,
  );
}

async function refuse(ctx: Context, stack: Stack): Promise<never> {
  throw new StackFailedError(
    `Stack ${ctx.input.stackName} is in ${stack.StackStatus} (${stack.StackStatusReason ?? 'no reason given'}). ` +
      'stackfleet does not delete or repair a stack in this state because resources may be left behind; resolve it in CloudFormation, then re-run the rollout.',
  );
}

async function deploy(ctx: Context): Promise<TargetProgress> {
  const stack = await describeStack(ctx);
  const action = planStackAction(stack?.StackStatus);
  if (!stack || action === StackActions.Create) return create(ctx);
  switch (action) {
    case StackActions.Update:
      return update(ctx, stack);
    case StackActions.Recreate:
      return recreate(ctx, stack);
    case StackActions.ContinueRollback:
      return continueRollback(ctx, stack);
    case StackActions.Refuse:
      return refuse(ctx, stack);
    default:
      return waitForOther(ctx, stack);
  }
}

/** Lambda entry point; the state input is the deploy-target input plus the previous `stack` progress. */
/** Reads Match stack event's marker for the region (admin bucket); false when it cannot be read. */
async function eventsFlowingIn(region: string, now: Date): Promise<boolean> {
  const bucket = functionEnvironment(STACK_WAIT_BUCKET_VARIABLE);
  if (!bucket) return false;
  return eventsFlowing(
    bucket,
    functionEnvironment('AWS_REGION') ?? process.env.AWS_REGION ?? region,
    region,
    now,
  );
}

export async function handler(event: unknown): Promise<TargetProgress> {
  const now = new Date();
  const previous = previousProgress(event);
  const startedAt = previous?.startedAt ?? now.toISOString();
  const identity = targetIdentity(event);
  try {
    const input = parseTargetInput(event);
    if (input.mode !== 'deploy') {
      // The workflow routes other modes elsewhere; refusing here keeps a misrouted preview from changing a stack.
      throw new InvalidInputError(
        'mode',
        `mode must be deploy for Deploy stack, which changes stacks. Received: ${input.mode}`,
      );
    }
    const { cfn, credentials } = await targetSession(input);
    const flowing = input.stackEvents ? await eventsFlowingIn(input.region, now) : false;
    return carryConvergeReason(
      previous,
      await deploy({ input, cfn, credentials, previous, startedAt, now, eventsFlowing: flowing }),
    );
  } catch (error) {
    if (!isTerminalError(error)) throw functionError(error, targetIdentity(event));
    const stackId = previous?.stackId;
    return failedProgress(
      { ...identity, startedAt, checks: previous?.checks ?? 0 },
      error.name,
      {
        reason: error.message,
        ...(error instanceof StackFailedError && error.failedResource
          ? { failedResource: error.failedResource }
          : {}),
      },
      stackId ? { stackId } : {},
    );
  }
}
