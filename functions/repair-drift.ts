import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { functionError, isTerminalError } from '../src/aws/aws-errors';
import {
  cfnCall,
  deleteChangeSetQuietly,
  describeTargetStack,
  readChangeSet,
  targetCloudFormation,
} from '../src/aws/target-cfn';
import { changeSetName, isChangeSetPending, isNoChangeReason } from '../src/core/changes';
import { DriftOutcomes, pollSeconds, repairRequestToken } from '../src/core/drift';
import { InvalidInputError, StackFailedError, TargetTimedOutError } from '../src/core/errors';
import { asModeFailure, deployStackInputs, type ModeProgress, ModeStatuses } from '../src/core/mode-progress';
import { parseTargetInput, type TargetInput } from '../src/core/target-input';
import {
  failedProgress,
  previousProgress,
  secondsBetween,
  targetIdentity,
} from '../src/core/target-progress';
import { nextWaitSeconds } from '../src/core/wait-policy';

/**
 * "Repair drift": brings drifted resources back to the template. The first call creates an UPDATE
 * change set with `DeploymentMode: REVERT_DRIFT` from the same pinned template, parameters and
 * tags (a plain update with an unchanged template would fix nothing); later calls look at it and,
 * once it is ready, execute it with a ClientRequestToken and hand the stack update to Check stack,
 * exactly as a deploy is watched.
 */

interface Context {
  readonly input: TargetInput;
  readonly cfn: CloudFormationClient;
  readonly previous: Partial<ModeProgress>;
  readonly startedAt: string;
  readonly now: Date;
}

function base(ctx: Context, checks = ctx.previous.checks ?? 0) {
  const { accountId, region, stackName } = ctx.input;
  return { accountId, region, stackName, startedAt: ctx.startedAt, checks };
}

async function create(ctx: Context): Promise<ModeProgress> {
  const stack = await describeTargetStack(ctx.cfn, ctx.input);
  if (!stack?.StackId) {
    throw new StackFailedError(
      `Stack ${ctx.input.stackName} disappeared between drift detection and repair; the next drift run deploys it again`,
    );
  }
  const name = changeSetName('repair', ctx.input.rolloutId);
  const answer = await cfnCall(ctx.input, 'CreateChangeSet', () =>
    ctx.cfn.send(
      new CreateChangeSetCommand({
        StackName: stack.StackId,
        ChangeSetName: name,
        ChangeSetType: 'UPDATE',
        DeploymentMode: 'REVERT_DRIFT',
        ...deployStackInputs(ctx.input, stack.Tags),
        ClientToken: name,
        Description: `stackfleet drift repair ${ctx.input.rolloutId} to template version ${ctx.input.templateVersion}`,
      }),
    ),
  );
  if (!answer.Id) throw new Error(`CreateChangeSet returned no change set id for ${ctx.input.stackName}`);
  return {
    ...base(ctx),
    status: ModeStatuses.Preparing,
    stackId: stack.StackId,
    changeSetId: answer.Id,
    changeSetType: 'UPDATE',
    polls: 0,
    waitSeconds: pollSeconds(0),
    reason: `Creating REVERT_DRIFT change set ${name} for stack ${ctx.input.stackName}`,
  };
}

async function executeWhenReady(ctx: Context, changeSetId: string, stackId: string): Promise<ModeProgress> {
  const { first } = await readChangeSet(ctx.cfn, ctx.input, changeSetId);
  const checks = (ctx.previous.checks ?? 0) + 1;
  if (isChangeSetPending(first.Status)) {
    const waited = secondsBetween(ctx.startedAt, ctx.now);
    if (waited >= ctx.input.timeoutSeconds) {
      await deleteChangeSetQuietly(ctx.cfn, ctx.input, changeSetId);
      throw new TargetTimedOutError(
        `REVERT_DRIFT change set for stack ${ctx.input.stackName} was still ${first.Status} after ${waited} s; the per-target timeout is ${ctx.input.timeoutSeconds} s`,
      );
    }
    const polls = (ctx.previous.polls ?? 0) + 1;
    return {
      ...base(ctx, checks),
      status: ModeStatuses.Preparing,
      stackId,
      changeSetId,
      changeSetType: 'UPDATE',
      polls,
      waitSeconds: pollSeconds(polls),
      reason: `REVERT_DRIFT change set for stack ${ctx.input.stackName} is ${first.Status}`,
    };
  }
  if (first.Status === 'FAILED') {
    await deleteChangeSetQuietly(ctx.cfn, ctx.input, changeSetId);
    if (isNoChangeReason(first.StatusReason)) {
      // Drift was detected but CloudFormation has nothing to revert (it resolved itself meanwhile).
      const reason = `Drift detected in stack ${ctx.input.stackName} had nothing left to revert: CloudFormation's REVERT_DRIFT change set held no changes`;
      return {
        ...base(ctx, checks),
        status: ModeStatuses.Succeeded,
        stackId,
        waitSeconds: 0,
        reason,
        result: {
          accountId: ctx.input.accountId,
          region: ctx.input.region,
          stackName: ctx.input.stackName,
          stackId,
          outcome: DriftOutcomes.InSync,
          reason,
          startedAt: ctx.startedAt,
          finishedAt: ctx.now.toISOString(),
          durationSeconds: secondsBetween(ctx.startedAt, ctx.now),
          checks,
        },
      };
    }
    throw new StackFailedError(
      `CloudFormation could not make the REVERT_DRIFT change set for stack ${ctx.input.stackName}: ${first.StatusReason ?? 'no reason given'}`,
    );
  }
  const token = repairRequestToken(ctx.input.rolloutId, ctx.input.accountId, ctx.input.region);
  await cfnCall(ctx.input, 'ExecuteChangeSet', () =>
    ctx.cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, ClientRequestToken: token })),
  );
  const wait = nextWaitSeconds({
    elapsedSeconds: 0,
    checks: 0,
    remainingBudgetSeconds: ctx.input.timeoutSeconds - secondsBetween(ctx.startedAt, ctx.now),
  });
  return {
    ...base(ctx, 0),
    status: ModeStatuses.InProgress,
    stackId,
    operation: 'UPDATE',
    clientRequestToken: token,
    operationStartedAt: ctx.now.toISOString(),
    waitSeconds: wait.seconds,
    reason: `Reverting drift of stack ${ctx.input.stackName} to template version ${ctx.input.templateVersion}`,
  };
}

/** Lambda entry point; the state input is the deploy-target input plus Detect drift's (or its own) `stack` progress. */
export async function handler(event: unknown): Promise<ModeProgress> {
  const now = new Date();
  const previous = (previousProgress(event) ?? {}) as Partial<ModeProgress>;
  const startedAt = previous.startedAt ?? now.toISOString();
  try {
    const input = parseTargetInput(event);
    if (input.mode !== 'drift') {
      throw new InvalidInputError('mode', `mode must be drift for Repair drift. Received: ${input.mode}`);
    }
    const cfn = await targetCloudFormation(input);
    const ctx: Context = { input, cfn, previous, startedAt, now };
    if (previous.status === ModeStatuses.Preparing && previous.changeSetId && previous.stackId) {
      return await executeWhenReady(ctx, previous.changeSetId, previous.stackId);
    }
    return await create(ctx);
  } catch (error) {
    if (!isTerminalError(error)) throw functionError(error, targetIdentity(event));
    return asModeFailure(
      failedProgress(
        { ...targetIdentity(event), startedAt, checks: previous.checks ?? 0 },
        error.name,
        { reason: error.message },
        previous.stackId ? { stackId: previous.stackId } : {},
      ),
    );
  }
}
