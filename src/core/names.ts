import { createHash } from 'node:crypto';

/**
 * Names stackfleet derives from a rollout and a target. They are deterministic on purpose: a
 * retried Lambda sends the same ClientRequestToken (so CloudFormation does not start a second
 * operation) and CloudTrail shows the rollout id in every session the rollout opened.
 */

/** Tag keys stackfleet puts on every stack so a person (and the drift mode) can see what deployed it. */
export const StackTagKeys = {
  RolloutId: 'stackfleet:rollout-id',
  TemplateVersion: 'stackfleet:template-version',
} as const;

/** Prefix of every role session; with the rollout id it must fit STS's 64 characters. */
export const ROLE_SESSION_PREFIX = 'stackfleet-';
/** STS RoleSessionName / SourceIdentity limits. */
export const ROLE_SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
/** SourceIdentity set on every session: it survives role chaining, so CloudTrail in the target shows stackfleet. */
export const SOURCE_IDENTITY = 'stackfleet';

/** `stackfleet-<rolloutId>`; validated by `parseTargetInput` before any call. */
export function roleSessionName(rolloutId: string): string {
  return `${ROLE_SESSION_PREFIX}${rolloutId}`;
}

/** The partition a region belongs to, for ARNs (`aws`, `aws-cn`, `aws-us-gov`). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:<partition>:iam::<account>:role/<name>` of the execution role in a target account. */
export function executionRoleArn(accountId: string, roleName: string, region = 'us-east-1'): string {
  return `arn:${partitionOf(region)}:iam::${accountId}:role/${roleName}`;
}

/**
 * The CloudFormation service role the bootstrap template (templates/execution-role.yaml) makes in
 * each target. The execution role may only create or update stacks that pass it as RoleARN, so
 * the baseline's permissions sit with CloudFormation, not with the orchestrator.
 */
export const DEFAULT_CLOUDFORMATION_ROLE_NAME = 'StackFleetCloudFormation';

/** Kinds of stack operation Deploy stack starts; each gets its own token. */
export type StackOperationKind = 'create' | 'recreate' | 'update' | 'delete' | 'continue-rollback';

const TOKEN_MAX = 128;

/** Every ClientRequestToken stackfleet sends starts so (the admin bus rule matches its operations' events by it). */
export const CLIENT_REQUEST_TOKEN_PREFIX = 'sf-';

/**
 * ClientRequestToken for one operation of one rollout on one target: `sf-<kind>-<rollout>-<account>-<region>`,
 * limited to CloudFormation's 128 `[a-zA-Z0-9-]`. A token that would be longer keeps its start
 * and ends with a hash of the whole, so it stays unique and deterministic.
 */
export function clientRequestToken(
  kind: StackOperationKind,
  rolloutId: string,
  accountId: string,
  region: string,
): string {
  const raw = `${CLIENT_REQUEST_TOKEN_PREFIX}${kind}-${rolloutId}-${accountId}-${region}`;
  const clean = raw.replace(/[^a-zA-Z0-9-]/g, '-');
  if (clean.length <= TOKEN_MAX) return clean;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  return `${clean.slice(0, TOKEN_MAX - hash.length - 1)}-${hash}`;
}
