import {
  type CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  type StackResourceDrift,
} from '@aws-sdk/client-cloudformation';
import type { AwsCredentialIdentity } from '@smithy/types';
import { functionError, isTerminalError } from '../src/aws/aws-errors';
import {
  cfnCall,
  deployedTemplate,
  describeTargetStack,
  readPinnedTemplate,
  targetSession,
} from '../src/aws/target-cfn';
import {
  DRIFTED_RESOURCE_STATUSES,
  DriftOutcomes,
  type DriftPlan,
  driftedReason,
  driftFindings,
  MAX_DRIFT_PAGES,
  normaliseResourceDrifts,
  parseRepairFlag,
  planDrift,
  pollSeconds,
  reportOnlyOutcome,
  runsPinnedTemplate,
} from '../src/core/drift';
import { InvalidInputError, StackFailedError, TargetTimedOutError } from '../src/core/errors';
import { asModeFailure, type ModeProgress, ModeStatuses } from '../src/core/mode-progress';
import { parseTargetInput, type TargetInput } from '../src/core/target-input';
import {
  failedProgress,
  previousProgress,
  secondsBetween,
  targetIdentity,
} from '../src/core/target-progress';

/**
 * "Detect drift" and "Read drift detection" of a drift run. The first call looks at the stack:
 * missing, failed, busy, on another template version or with other parameters or tags than the
 * request -> CONVERGE (the workflow deploys it as in deploy mode), or, with `repair: false`, ends
 * MISSING, INOPERABLE or OUTDATED having changed nothing; otherwise it starts DetectStackDrift. Later calls read the detection: IN_SYNC ends
 * the target; DRIFTED reads the drifted resources and either ends DRIFTED (`repair: false`) or
 * hands them to the repair (REPAIR).
 */

interface Context {
  readonly input: TargetInput;
  readonly repair: boolean;
  readonly cfn: CloudFormationClient;
  readonly credentials: AwsCredentialIdentity;
  readonly previous: Partial<ModeProgress> | undefined;
  readonly startedAt: string;
  readonly now: Date;
}

function base(ctx: Context, checks = ctx.previous?.checks ?? 0) {
  const { accountId, region, stackName } = ctx.input;
  return { accountId, region, stackName, startedAt: ctx.startedAt, checks };
}

async function start(ctx: Context): Promise<ModeProgress> {
  const stack = await describeTargetStack(ctx.cfn, ctx.input);
  let plan: DriftPlan = planDrift(ctx.input.stackName, stack, ctx.input.templateVersion, {
    parameters: ctx.input.parameters,
    tags: ctx.input.tags,
  });
  if (plan.action === 'converge' && plan.versionOnly && stack?.StackId) {
    // The same template published again gets a new version id: detect drift rather than update tags.
    const [deployed, pinned] = await Promise.all([
      deployedTemplate(ctx.cfn, stack.StackId),
      readPinnedTemplate(ctx.input, ctx.credentials),
    ]);
    if (runsPinnedTemplate(deployed, pinned, stack.Parameters, ctx.input.parameters)) {
      plan = {
        action: 'detect',
        reason: `Stack ${ctx.input.stackName} runs the same template and parameters as version ${ctx.input.templateVersion} (tagged with an earlier upload of it): detecting drift`,
      };
    }
  }
  if (plan.action === 'converge' && !ctx.repair) {
    // Report only: nothing is deployed, deleted or updated, whatever state the stack is in.
    const { outcome, reason } = reportOnlyOutcome(plan);
    const stackId = stack?.StackId && stack.StackStatus !== 'DELETE_COMPLETE' ? stack.StackId : undefined;
    return {
      ...base(ctx),
      status: ModeStatuses.Succeeded,
      ...(stackId ? { stackId } : {}),
      waitSeconds: 0,
      reason,
      result: {
        accountId: ctx.input.accountId,
        region: ctx.input.region,
        stackName: ctx.input.stackName,
        stackId: stackId ?? '',
        outcome,
        reason,
        startedAt: ctx.startedAt,
        finishedAt: ctx.now.toISOString(),
        durationSeconds: secondsBetween(ctx.startedAt, ctx.now),
        checks: ctx.previous?.checks ?? 0,
      },
    };
  }
  if (plan.action === 'converge') {
    return {
      ...base(ctx),
      status: ModeStatuses.Converge,
      ...(stack?.StackId && stack.StackStatus !== 'DELETE_COMPLETE' ? { stackId: stack.StackId } : {}),
      waitSeconds: 0,
      reason: plan.reason,
    };
  }
  const stackId = stack?.StackId ?? ctx.input.stackName;
  const answer = await cfnCall(ctx.input, 'DetectStackDrift', () =>
    ctx.cfn.send(new DetectStackDriftCommand({ StackName: stackId })),
  );
  if (!answer.StackDriftDetectionId) {
    throw new Error(`DetectStackDrift returned no detection id for ${ctx.input.stackName}`);
  }
  return {
    ...base(ctx),
    status: ModeStatuses.InProgress,
    stackId,
    driftDetectionId: answer.StackDriftDetectionId,
    polls: 0,
    waitSeconds: pollSeconds(0),
    reason: plan.reason,
  };
}

async function driftedResources(ctx: Context, stackId: string): Promise<StackResourceDrift[]> {
  const rows: StackResourceDrift[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const next = token;
    const page = await cfnCall(ctx.input, 'DescribeStackResourceDrifts', () =>
      ctx.cfn.send(
        new DescribeStackResourceDriftsCommand({
          StackName: stackId,
          StackResourceDriftStatusFilters: [...DRIFTED_RESOURCE_STATUSES],
          ...(next ? { NextToken: next } : {}),
        }),
      ),
    );
    rows.push(...(page.StackResourceDrifts ?? []));
    token = page.NextToken;
    pages++;
  } while (token && pages < MAX_DRIFT_PAGES);
  return rows;
}

async function read(
  ctx: Context,
  previous: Partial<ModeProgress> & { driftDetectionId: string },
): Promise<ModeProgress> {
  const stackId = previous.stackId ?? ctx.input.stackName;
  const checks = (ctx.previous?.checks ?? 0) + 1;
  const detection = await cfnCall(ctx.input, 'DescribeStackDriftDetectionStatus', () =>
    ctx.cfn.send(
      new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: previous.driftDetectionId }),
    ),
  );
  const status = detection.DetectionStatus;
  if (status === 'DETECTION_IN_PROGRESS') {
    const waited = secondsBetween(ctx.startedAt, ctx.now);
    if (waited >= ctx.input.timeoutSeconds) {
      throw new TargetTimedOutError(
        `Drift detection of stack ${ctx.input.stackName} was still running after ${waited} s; the per-target timeout is ${ctx.input.timeoutSeconds} s`,
      );
    }
    const polls = (previous.polls ?? 0) + 1;
    return {
      ...base(ctx, checks),
      status: ModeStatuses.InProgress,
      stackId,
      driftDetectionId: previous.driftDetectionId,
      polls,
      waitSeconds: pollSeconds(polls),
      reason: `Drift detection of stack ${ctx.input.stackName} is running`,
    };
  }
  const driftStatus = detection.StackDriftStatus;
  // A detection that failed for some resources still reports the drift it found.
  if (status === 'DETECTION_FAILED' && driftStatus !== 'DRIFTED') {
    throw new StackFailedError(
      `Drift detection of stack ${ctx.input.stackName} failed: ${detection.DetectionStatusReason ?? 'no reason given'}`,
    );
  }
  const result = (outcome: string, reason: string, extra: object = {}): ModeProgress => ({
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
      outcome,
      reason,
      startedAt: ctx.startedAt,
      finishedAt: ctx.now.toISOString(),
      durationSeconds: secondsBetween(ctx.startedAt, ctx.now),
      checks,
      ...extra,
    },
  });
  if (driftStatus !== 'DRIFTED') {
    return result(
      DriftOutcomes.InSync,
      `Stack ${ctx.input.stackName} matches template version ${ctx.input.templateVersion}: no resource has drifted`,
    );
  }
  const rows = await driftedResources(ctx, stackId);
  const findings = driftFindings(normaliseResourceDrifts(rows), detection.DriftedStackResourceCount);
  const { repairReason, ...found } = findings;
  if (!ctx.repair) return result(DriftOutcomes.Drifted, driftedReason(findings), found);
  return {
    ...base(ctx, checks),
    status: ModeStatuses.Repair,
    stackId,
    waitSeconds: 0,
    drift: findings,
    reason: `${findings.driftedCount} drifted resource${findings.driftedCount === 1 ? '' : 's'} found in stack ${ctx.input.stackName}: repairing`,
  };
}

/** Lambda entry point; the state input is the deploy-target input (with `repair`) plus the previous `stack` progress. */
export async function handler(event: unknown): Promise<ModeProgress> {
  const now = new Date();
  const previous = previousProgress(event) as Partial<ModeProgress> | undefined;
  const startedAt = previous?.startedAt ?? now.toISOString();
  try {
    const input = parseTargetInput(event);
    if (input.mode !== 'drift') {
      throw new InvalidInputError('mode', `mode must be drift for Detect drift. Received: ${input.mode}`);
    }
    const repair = parseRepairFlag(event);
    const { cfn, credentials } = await targetSession(input);
    const ctx: Context = { input, repair, cfn, credentials, previous, startedAt, now };
    if (previous?.driftDetectionId) {
      return await read(ctx, { ...previous, driftDetectionId: previous.driftDetectionId });
    }
    return await start(ctx);
  } catch (error) {
    if (!isTerminalError(error)) throw functionError(error, targetIdentity(event));
    return asModeFailure(
      failedProgress(
        { ...targetIdentity(event), startedAt, checks: previous?.checks ?? 0 },
        error.name,
        { reason: error.message },
        previous?.stackId ? { stackId: previous.stackId } : {},
      ),
    );
  }
}
