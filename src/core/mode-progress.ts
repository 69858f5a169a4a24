import type { ResourceChange } from './changes';
import type { DriftedResource } from './drift';
import { StackTagKeys } from './names';
import { cloudFormationRoleArn, type TargetInput } from './target-input';

/**
 * The progress record the preview and drift steps leave in `$.stack` of the preview-target and
 * drift-target state, shaped like Deploy stack's (`status`, `startedAt`, `waitSeconds`, `reason`, and on
 * failure `error`/`cause`) so the shared states ("Target failed", the catch-all, Check stack)
 * read it unchanged. Only small facts: change lists and drift findings are capped.
 */

/** Routes of the preview and drift Choice states. */
export const ModeStatuses = {
  /** Waiting for CloudFormation (a change set being made, a drift detection, a stack update). */
  InProgress: 'IN_PROGRESS',
  /** Drift mode: the REVERT_DRIFT change set is being made; look again before executing it. */
  Preparing: 'PREPARING',
  /** Drift mode: missing, failed or outdated stack; route to Deploy stack. */
  Converge: 'CONVERGE',
  /** Drift mode: drift found and `repair` is true; route to the repair. */
  Repair: 'REPAIR',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
} as const;
export type ModeStatus = (typeof ModeStatuses)[keyof typeof ModeStatuses];

/** Execution output of a preview or drift target (the deploy-target output plus findings). */
export interface ModeResult {
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
  /** Empty when the stack does not exist (a CREATE preview). */
  readonly stackId: string;
  readonly outcome: string;
  readonly reason: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly checks: number;
  /** Preview: CREATE or UPDATE. */
  readonly changeSetType?: string;
  readonly changes?: readonly ResourceChange[];
  readonly changeCount?: number;
  readonly changesTruncated?: true;
  readonly drifted?: readonly DriftedResource[];
  readonly driftedCount?: number;
  readonly driftedTruncated?: true;
}

export interface ModeProgress {
  readonly status: ModeStatus;
  readonly accountId: string | null;
  readonly region: string | null;
  readonly stackName: string | null;
  readonly stackId?: string;
  readonly startedAt: string;
  readonly checks: number;
  readonly waitSeconds: number;
  readonly reason: string;
  /** Polls of the current change set or detection so far. */
  readonly polls?: number;
  readonly changeSetId?: string;
  readonly changeSetType?: 'CREATE' | 'UPDATE';
  readonly driftDetectionId?: string;
  /** REPAIR: what was found, carried to the end of the repair in `$.drift`. */
  readonly drift?: {
    readonly drifted: readonly DriftedResource[];
    readonly driftedCount: number;
    readonly driftedTruncated?: true;
    readonly repairReason: string;
  };
  /** IN_PROGRESS after ExecuteChangeSet: what Check stack watches. */
  readonly operation?: 'UPDATE';
  readonly clientRequestToken?: string;
  readonly operationStartedAt?: string;
  readonly result?: ModeResult;
  readonly error?: string;
  readonly cause?: string;
}

/** The stack inputs a deploy would send, so a preview or repair diffs exactly what a deploy would do. */
export function deployStackInputs(
  input: TargetInput,
  existingTags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined,
) {
  const tag = (key: string) => existingTags?.find((t) => t.Key === key)?.Value;
  // As Deploy stack does: an unchanged version keeps the rollout id that brought it, because a
  // changed tag is itself an update.
  const sameVersion = tag(StackTagKeys.TemplateVersion) === input.templateVersion;
  const rolloutId = (sameVersion && tag(StackTagKeys.RolloutId)) || input.rolloutId;
  // The execution role may only create change sets that pass the bootstrap service role.
  const roleArn = cloudFormationRoleArn(input);
  return {
    ...(roleArn ? { RoleARN: roleArn } : {}),
    TemplateURL: input.templateUrl,
    Parameters: Object.entries(input.parameters).map(([ParameterKey, ParameterValue]) => ({
      ParameterKey,
      ParameterValue,
    })),
    Tags: [
      ...Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
      { Key: StackTagKeys.RolloutId, Value: rolloutId },
      { Key: StackTagKeys.TemplateVersion, Value: input.templateVersion },
    ],
    Capabilities: [...input.capabilities],
  };
}

/** Deploy's FAILED record (from `failedProgress`) as a mode progress record: same fields, same Fail state. */
export function asModeFailure(failed: {
  accountId: string | null;
  region: string | null;
  stackName: string | null;
  stackId?: string;
  startedAt: string;
  checks: number;
  reason: string;
  error?: string;
  cause?: string;
}): ModeProgress {
  return {
    status: ModeStatuses.Failed,
    accountId: failed.accountId,
    region: failed.region,
    stackName: failed.stackName,
    ...(failed.stackId ? { stackId: failed.stackId } : {}),
    startedAt: failed.startedAt,
    checks: failed.checks,
    waitSeconds: 0,
    reason: failed.reason,
    ...(failed.error ? { error: failed.error } : {}),
    ...(failed.cause ? { cause: failed.cause } : {}),
  };
}
