import { InvalidInputError } from './errors';
import {
  DEFAULT_CLOUDFORMATION_ROLE_NAME,
  executionRoleArn,
  ROLE_SESSION_NAME_PATTERN,
  roleSessionName,
  StackTagKeys,
} from './names';

/**
 * The deploy-target execution input, checked before any AWS call so a bad target is refused
 * with a message that names the field and the value, and no stack is touched.
 */

/** Modes of a rollout. Only `deploy` runs today; the others are accepted so the rollout can route them. */
export const TargetModes = ['deploy', 'preview', 'drift'] as const;
export type TargetMode = (typeof TargetModes)[number];

/** Capabilities a baseline may need; anything else is a typo CloudFormation would reject later. */
export const StackCapabilities = [
  'CAPABILITY_IAM',
  'CAPABILITY_NAMED_IAM',
  'CAPABILITY_AUTO_EXPAND',
] as const;
export type StackCapability = (typeof StackCapabilities)[number];

/** Public AWS region codes (commercial, opt-in, GovCloud, China). A region missing here is refused. */
export const AwsRegions = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-1',
  'ap-south-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
] as const;
export type AwsRegion = (typeof AwsRegions)[number];

/** Whether a string is a region stackfleet can target. */
export function isKnownRegion(value: string): value is AwsRegion {
  return (AwsRegions as readonly string[]).includes(value);
}

/** A validated target. */
export interface TargetInput {
  readonly rolloutId: string;
  readonly mode: TargetMode;
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly stackName: string;
  readonly templateUrl: string;
  readonly templateVersion: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly capabilities: readonly StackCapability[];
  readonly executionRoleName: string;
  /**
   * CloudFormation service role in the target, passed as RoleARN on creates, updates and change
   * sets. `null` or "" in the input: none (CloudFormation acts with the execution role itself).
   * @default 'StackFleetCloudFormation' (the bootstrap template's role)
   */
  readonly cloudFormationRoleName?: string;
  /** @default undefined (no ExternalId sent) */
  readonly externalId?: string;
  /** Per-target timeout. @default 3600 */
  readonly timeoutSeconds: number;
  /**
   * Wait for the stack's Stack Status Change event (a task token) instead of polling; polling stays
   * the fallback when no event comes. @default false
   */
  readonly stackEvents: boolean;
}

export const DEFAULT_TARGET_TIMEOUT_SECONDS = 3600;
export const MIN_TARGET_TIMEOUT_SECONDS = 60;
export const MAX_TARGET_TIMEOUT_SECONDS = 86_400;
/** CloudFormation allows 50 tags; stackfleet adds its own two. */
export const MAX_USER_TAGS = 50 - Object.keys(StackTagKeys).length;

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** Virtual-hosted (`bucket.s3[.-]region.amazonaws.com`) and path-style (`s3[.-]region.amazonaws.com/bucket`) hosts. */
const S3_HOST = /^(?:[a-z0-9][a-z0-9.-]*\.)?s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value === '' ? '"" (empty)' : value;
  return JSON.stringify(value);
}

function refuse(field: string, rule: string, value: unknown): never {
  throw new InvalidInputError(field, `${field} ${rule}. Received: ${show(value)}`);
}

function requireString(raw: Record<string, unknown>, field: string): string {
  const value = raw[field];
  if (typeof value !== 'string' || value === '')
    refuse(field, 'is required and must be a non-empty string', value);
  return value;
}

function stringMap(raw: Record<string, unknown>, field: string): Record<string, string> {
  const value = raw[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    refuse(field, 'must be an object of string values', value);
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    // CloudFormation parameters and tags are strings; numbers and booleans are written the obvious way.
    if (typeof item === 'string') out[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') out[key] = String(item);
    else refuse(`${field}.${key}`, 'must be a string', item);
  }
  return out;
}

function checkTemplateUrl(value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url) refuse('templateUrl', 'must be an https URL of a template in S3', value);
  if (url.protocol !== 'https:')
    refuse('templateUrl', 'must use https (CloudFormation reads templates only from https S3 URLs)', value);
  if (!S3_HOST.test(url.hostname))
    refuse('templateUrl', 'must point at S3 (https://<bucket>.s3.<region>.amazonaws.com/<key>)', value);
  if (url.pathname === '/' || url.pathname === '')
    refuse('templateUrl', 'must name a template object, not a bucket', value);
  // Every target of a rollout must deploy the same bytes, even if someone publishes meanwhile.
  if (!url.searchParams.get('versionId')) {
    refuse('templateUrl', 'must pin the template version with ?versionId=<S3 version id>', value);
  }
}

/** RoleARN for stack operations in the target, or undefined when the input asked for none. */
export function cloudFormationRoleArn(input: TargetInput): string | undefined {
  return input.cloudFormationRoleName === undefined
    ? undefined
    : executionRoleArn(input.accountId, input.cloudFormationRoleName, input.region);
}

/** Where a template URL points in S3; `undefined` for a URL that is not an S3 object URL. */
export function parseS3Url(
  value: string,
): { bucket: string; key: string; versionId?: string; region?: string } | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!S3_HOST.test(url.hostname)) return undefined;
  const path = url.pathname.replace(/^\//, '');
  const virtualHosted = /^(.+)\.s3[.-]/.exec(url.hostname);
  const bucket = virtualHosted ? virtualHosted[1] : path.split('/')[0];
  const key = virtualHosted ? path : path.split('/').slice(1).join('/');
  if (!bucket || !key) return undefined;
  const versionId = url.searchParams.get('versionId');
  const region = /(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws/.exec(
    url.hostname,
  )?.[1];
  return {
    bucket,
    key: decodeURIComponent(key),
    ...(versionId ? { versionId } : {}),
    ...(region ? { region } : {}),
  };
}

function checkTags(tags: Record<string, string>): void {
  const keys = Object.keys(tags);
  if (keys.length > MAX_USER_TAGS) refuse('tags', `must hold at most ${MAX_USER_TAGS} tags`, keys.length);
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128) refuse('tags', 'keys must be 1 to 128 characters', key);
    if (key.toLowerCase().startsWith('aws:'))
      refuse(`tags.${key}`, 'must not use the reserved aws: prefix', key);
    if (key.startsWith('stackfleet:'))
      refuse(`tags.${key}`, 'must not use the stackfleet: prefix (set by stackfleet)', key);
    if (value.length > 256) refuse(`tags.${key}`, 'must be at most 256 characters', value);
  }
}

/**
 * Validates and normalises a deploy-target input. Extra keys (the engine's
 * `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`, the workflow's own `stack` progress) are ignored.
 * Throws `InvalidInputError` naming the first field that is wrong.
 */
export function parseTargetInput(input: unknown): TargetInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError('input', `input must be an object. Received: ${show(input)}`);
  }
  const raw = input as Record<string, unknown>;

  const rolloutId = requireString(raw, 'rolloutId');
  const session = roleSessionName(rolloutId);
  if (session.length > 64) {
    refuse(
      'rolloutId',
      `is too long: the role session name "${session}" built from it has ${session.length} characters and STS allows 64`,
      rolloutId,
    );
  }
  if (!ROLE_SESSION_NAME_PATTERN.test(session)) {
    refuse(
      'rolloutId',
      'may contain only letters, digits and + = , . @ _ - (it becomes the STS role session name)',
      rolloutId,
    );
  }

  const mode = raw.mode;
  if (!(TargetModes as readonly unknown[]).includes(mode))
    refuse('mode', `must be one of ${TargetModes.join(', ')}`, mode);

  const accountId = raw.accountId;
  if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId))
    refuse('accountId', 'must be 12 digits', accountId);

  const region = raw.region;
  if (typeof region !== 'string' || !isKnownRegion(region))
    refuse('region', 'must be an AWS region code such as eu-west-1', region);

  const stackName = raw.stackName;
  if (typeof stackName !== 'string' || !STACK_NAME.test(stackName)) {
    refuse(
      'stackName',
      'must start with a letter and contain only letters, digits and hyphens, at most 128 characters',
      stackName,
    );
  }

  const templateUrl = requireString(raw, 'templateUrl');
  checkTemplateUrl(templateUrl);

  const templateVersion = requireString(raw, 'templateVersion');
  if (templateVersion.length > 256)
    refuse('templateVersion', 'must be at most 256 characters (it is a tag value)', templateVersion);

  const parameters = stringMap(raw, 'parameters');
  const tags = stringMap(raw, 'tags');
  checkTags(tags);

  const capabilitiesRaw = raw.capabilities ?? [];
  if (!Array.isArray(capabilitiesRaw))
    refuse('capabilities', `must be a list of ${StackCapabilities.join(', ')}`, capabilitiesRaw);
  for (const capability of capabilitiesRaw) {
    if (!(StackCapabilities as readonly unknown[]).includes(capability)) {
      refuse('capabilities', `may only hold ${StackCapabilities.join(', ')}`, capability);
    }
  }

  const executionRoleName = requireString(raw, 'executionRoleName');
  if (!ROLE_NAME.test(executionRoleName)) {
    refuse(
      'executionRoleName',
      'must be an IAM role name (1-64 letters, digits and + = , . @ _ -, no path)',
      executionRoleName,
    );
  }

  const cfnRoleRaw =
    raw.cloudFormationRoleName === undefined ? DEFAULT_CLOUDFORMATION_ROLE_NAME : raw.cloudFormationRoleName;
  if (
    cfnRoleRaw !== null &&
    cfnRoleRaw !== '' &&
    (typeof cfnRoleRaw !== 'string' || !ROLE_NAME.test(cfnRoleRaw))
  ) {
    refuse(
      'cloudFormationRoleName',
      'must be an IAM role name (1-64 letters, digits and + = , . @ _ -, no path), or null for none',
      cfnRoleRaw,
    );
  }
  const cloudFormationRoleName = typeof cfnRoleRaw === 'string' && cfnRoleRaw !== '' ? cfnRoleRaw : undefined;

  const externalIdRaw = raw.externalId;
  let externalId: string | undefined;
  if (externalIdRaw !== undefined && externalIdRaw !== null) {
    if (typeof externalIdRaw !== 'string' || !EXTERNAL_ID.test(externalIdRaw)) {
      refuse(
        'externalId',
        'must be 2-1224 characters of letters, digits and + = , . @ : / _ -',
        externalIdRaw,
      );
    }
    externalId = externalIdRaw;
  }

  const timeoutRaw = raw.timeoutSeconds ?? DEFAULT_TARGET_TIMEOUT_SECONDS;
  if (
    typeof timeoutRaw !== 'number' ||
    !Number.isInteger(timeoutRaw) ||
    timeoutRaw < MIN_TARGET_TIMEOUT_SECONDS ||
    timeoutRaw > MAX_TARGET_TIMEOUT_SECONDS
  ) {
    refuse(
      'timeoutSeconds',
      `must be a whole number of seconds from ${MIN_TARGET_TIMEOUT_SECONDS} to ${MAX_TARGET_TIMEOUT_SECONDS}`,
      timeoutRaw,
    );
  }

  const stackEvents = raw.stackEvents ?? false;
  if (typeof stackEvents !== 'boolean') refuse('stackEvents', 'must be true or false', stackEvents);

  return {
    rolloutId,
    mode: mode as TargetMode,
    accountId,
    region,
    stackName,
    templateUrl,
    templateVersion,
    parameters,
    tags,
    capabilities: capabilitiesRaw as StackCapability[],
    executionRoleName,
    ...(cloudFormationRoleName === undefined ? {} : { cloudFormationRoleName }),
    ...(externalId === undefined ? {} : { externalId }),
    timeoutSeconds: timeoutRaw,
    stackEvents,
  };
}
