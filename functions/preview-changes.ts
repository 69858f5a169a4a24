import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
} from '@aws-sdk/client-cloudformation';
import { functionError, isStackMissingError, isTerminalError } from '../src/aws/aws-errors';
import {
  cfnCall,
  deleteChangeSetQuietly,
  describeTargetStack,
  readChangeSet,
  targetCloudFormation,
} from '../src/aws/target-cfn';
import {
  capChanges,
  changeSetName,
  isChangeSetPending,
  isNoChangeReason,
  normaliseChanges,
  PreviewOutcomes,
  planPreview,
} from '../src/core/changes';
import { pollSeconds } from '../src/core/drift';
import {
  InvalidInputError,
  StackBusyError,
  StackFailedError,
  TargetTimedOutError,
  TemplateInvalidError,
} from '../src/core/errors';
import {
  asModeFailure,
  deployStackInputs,
  type ModeProgress,
  type ModeResult,
  ModeStatuses,
} from '../src/core/mode-progress';
import { parseTargetInput, type TargetInput } from '../src/core/target-input';
import {
  failedProgress,
  previousProgress,
  secondsBetween,
  targetIdentity,
} from '../src/core/target-progress';

/**
 * "Create change set" and "Read change set" of a preview: the first call (no change set in
 * `$.stack` yet) creates a CREATE or UPDATE change set from the pinned template with exactly the
 * parameters and tags a deploy would send; each later call reads it. Once CloudFormation has made
 * it, every page of changes is read, the change set is deleted (and the REVIEW_IN_PROGRESS stack
 * a CREATE change set made, so a new target is left as it was) and the target ends NO_CHANGE or
 * CHANGES with the list. Nothing in the target changes.
 */

interface Context {
  readonly input: TargetInput;
  readonly cfn: CloudFormationClient;
  readonly previous: Partial<ModeProgress> | undefined;
  readonly startedAt: string;
  readonly now: Date;
}

function base(ctx: Context) {
  const { accountId, region, stackName } = ctx.input;
  return { accountId, region, stackName, startedAt: ctx.startedAt, checks: ctx.previous?.checks ?? 0 };
}

async function create(ctx: Context): Promise<ModeProgress> {
  const stack = await describeTargetStack(ctx.cfn, ctx.input);
  const plan = planPreview(ctx.input.stackName, stack?.StackStatus);
  if (plan.kind === 'busy') throw new StackBusyError(plan.reason);
  if (plan.kind === 'blocked') throw new StackFailedError(plan.reason);
  const name = changeSetName('preview', ctx.input.rolloutId);
  const answer = await cfnCall(ctx.input, 'CreateChangeSet', () =>
    ctx.cfn.send(
      new CreateChangeSetCommand({
        StackName: ctx.input.stackName,
        ChangeSetName: name,
        ChangeSetType: plan.kind,
        ...deployStackInputs(ctx.input, plan.kind === 'UPDATE' ? stack?.Tags : undefined),
        // A retried call gets the same change set back instead of AlreadyExists.
        ClientToken: name,
        Description: `stackfleet preview ${ctx.input.rolloutId} of template version ${ctx.input.templateVersion}; deleted once read`,
      }),
    ),
  );
  if (!answer.Id) throw new Error(`CreateChangeSet returned no change set id for ${ctx.input.stackName}`);
  return {
    ...base(ctx),
    status: ModeStatuses.InProgress,
    ...(answer.StackId ? { stackId: answer.StackId } : {}),
    changeSetId: answer.Id,
    changeSetType: plan.kind,
    polls: 0,
    waitSeconds: pollSeconds(0),
    reason: `Creating ${plan.kind} change set ${name} for stack ${ctx.input.stackName}`,
  };
}

/** Deletes what the preview made: the change set and, for a CREATE, the empty stack it created. */
async function cleanUp(ctx: Context, changeSetId: string, type: string | undefined, stackId?: string) {
  await deleteChangeSetQuietly(ctx.cfn, ctx.input, changeSetId);
  if (type !== 'CREATE') return;
  try {
    await ctx.cfn.send(new DeleteStackCommand({ StackName: stackId ?? ctx.input.stackName }));
  } catch (error) {
    if (isStackMissingError(error)) return;
    await cfnCall(ctx.input, 'DeleteStack', () => Promise.reject(error));
  }
}

function finished(
  ctx: Context,
  stackId: string | undefined,
  result: Omit<ModeResult, keyof ReturnType<typeof resultBase>>,
): ModeProgress {
  const full: ModeResult = { ...resultBase(ctx, stackId), ...result };
  return {
    ...base(ctx),
    status: ModeStatuses.Succeeded,
    ...(stackId ? { stackId } : {}),
    waitSeconds: 0,
    reason: full.reason,
    result: full,
  };
}

function resultBase(ctx: Context, stackId: string | undefined) {
  return {
    accountId: ctx.input.accountId,
    region: ctx.input.region,
    stackName: ctx.input.stackName,
    stackId: stackId ?? '',
    startedAt: ctx.startedAt,
    finishedAt: ctx.now.toISOString(),
    durationSeconds: secondsBetween(ctx.startedAt, ctx.now),
    checks: ctx.previous?.checks ?? 0,
  };
}

async function read(
  ctx: Context,
  previous: Partial<ModeProgress> & { changeSetId: string },
): Promise<ModeProgress> {
  const type = previous.changeSetType;
  // A CREATE preview's stack is deleted afterwards: the result names no stack id.
  const keptStackId = type === 'CREATE' ? undefined : previous.stackId;
  const { first, changes, complete } = await readChangeSet(ctx.cfn, ctx.input, previous.changeSetId);
  const checks = (ctx.previous?.checks ?? 0) + 1;
  const withChecks: Context = { ...ctx, previous: { ...ctx.previous, checks } };

  if (isChangeSetPending(first.Status)) {
    const waited = secondsBetween(ctx.startedAt, ctx.now);
    if (waited >= ctx.input.timeoutSeconds) {
      await cleanUp(ctx, previous.changeSetId, type, previous.stackId);
      throw new TargetTimedOutError(
        `Change set for stack ${ctx.input.stackName} was still ${first.Status} after ${waited} s; the per-target timeout is ${ctx.input.timeoutSeconds} s`,
      );
    }
    const polls = (previous.polls ?? 0) + 1;
    return {
      ...base(withChecks),
      status: ModeStatuses.InProgress,
      ...(previous.stackId ? { stackId: previous.stackId } : {}),
      changeSetId: previous.changeSetId,
      ...(type ? { changeSetType: type } : {}),
      polls,
      waitSeconds: pollSeconds(polls),
      reason: `Change set for stack ${ctx.input.stackName} is ${first.Status}`,
    };
  }

  await cleanUp(ctx, previous.changeSetId, type, previous.stackId);

  if (first.Status === 'FAILED') {
    if (isNoChangeReason(first.StatusReason)) {
      return finished(withChecks, keptStackId, {
        outcome: PreviewOutcomes.NoChange,
        reason: `Stack ${ctx.input.stackName} already matches template version ${ctx.input.templateVersion} and its parameters: deploying would change nothing`,
        ...(type ? { changeSetType: type } : {}),
      });
    }
    throw new TemplateInvalidError(
      `CloudFormation could not make a change set for stack ${ctx.input.stackName}: ${first.StatusReason ?? 'no reason given'}`,
    );
  }
  if (first.Status !== 'CREATE_COMPLETE') {
    throw new StackFailedError(
      `Change set for stack ${ctx.input.stackName} ended in ${first.Status ?? 'no status'}: ${first.StatusReason ?? 'no reason given'}`,
    );
  }

  const list = normaliseChanges(changes);
  if (list.length === 0) {
    return finished(withChecks, keptStackId, {
      outcome: PreviewOutcomes.NoChange,
      reason: `Deploying template version ${ctx.input.templateVersion} would change no resource of stack ${ctx.input.stackName} (only stack tags or parameters without effect)`,
      ...(type ? { changeSetType: type } : {}),
    });
  }
  const capped = capChanges(list);
  const replaced = list.filter((c) => c.action === 'Modify' && c.replacement === 'True').length;
  const removed = list.filter((c) => c.action === 'Remove').length;
  const counts = ['Add', 'Modify', 'Remove']
    .map((a) => [a, list.filter((c) => c.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a}`)
    .join(', ');
  const warnings = [
    ...(removed > 0 ? [`${removed} removed`] : []),
    ...(replaced > 0 ? [`${replaced} replaced`] : []),
  ];
  return finished(withChecks, keptStackId, {
    outcome: PreviewOutcomes.Changes,
    reason:
      `${type === 'CREATE' ? 'Creating' : 'Updating'} stack ${ctx.input.stackName} to template version ${ctx.input.templateVersion} would change ${list.length} resource${list.length === 1 ? '' : 's'} (${counts})` +
      `${warnings.length > 0 ? `, ${warnings.join(' and ')}` : ''}${complete ? '' : '; more changes than stackfleet reads were left unread'}`,
    ...(type ? { changeSetType: type } : {}),
    ...capped,
  });
}

/** Lambda entry point; the state input is the deploy-target input plus the previous `stack` progress. */
export async function handler(event: unknown): Promise<ModeProgress> {
  const now = new Date();
  const previous = previousProgress(event) as Partial<ModeProgress> | undefined;
  const startedAt = previous?.startedAt ?? now.toISOString();
  try {
    const input = parseTargetInput(event);
    if (input.mode !== 'preview') {
      throw new InvalidInputError(
        'mode',
        `mode must be preview for Preview changes. Received: ${input.mode}`,
      );
    }
    const cfn = await targetCloudFormation(input);
    const ctx: Context = { input, cfn, previous, startedAt, now };
    if (previous?.changeSetId) return await read(ctx, { ...previous, changeSetId: previous.changeSetId });
    return await create(ctx);
  } catch (error) {
    if (!isTerminalError(error)) throw functionError(error, targetIdentity(event));
    return asModeFailure(
      failedProgress(
        { ...targetIdentity(event), startedAt, checks: previous?.checks ?? 0 },
        error.name,
        { reason: error.message },
        previous?.stackId && previous.changeSetType !== 'CREATE' ? { stackId: previous.stackId } : {},
      ),
    );
  }
}
