/**
 * KMS keys and aliases of the sandbox (state only, no KMS API yet): what CloudFormation stacks
 * create (`AWS::KMS::Key`, `AWS::KMS::Alias`) and what every authorization that touches a key
 * reads (its key policy, evaluated in mode 'kms'). Keys are regional: a key lives in one account
 * and region; aliases are unique per account and region (KMS Developer Guide, kms-alias).
 * The shape is what src/sandbox/iam/kms-keys.ts reads (`keys` by key ARN, `aliases` alias ARN ->
 * key ARN).
 */
import type { SandboxWorld } from '../types';

export const KMS_SECTION = 'kms';

/** Who created a key or alias: a stack's resource (CloudFormation reconciles these). */
export interface KmsManagedBy {
  stackId: string;
  logicalId: string;
}

export interface KmsKey {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  /** The key policy as JSON text (what GetKeyPolicy returns). */
  policy: string;
  description?: string;
  enabled: boolean;
  rotation: boolean;
  keySpec: string;
  keyUsage: string;
  tags: Record<string, string>;
  /** `Enabled`, or `PendingDeletion` once the stack that made it deleted it. */
  keyState: 'Enabled' | 'Disabled' | 'PendingDeletion';
  pendingDeletion?: boolean;
  createdAt: number;
  managedBy?: KmsManagedBy;
}

export interface KmsSection {
  version: 1;
  /** By key ARN. */
  keys: Record<string, KmsKey>;
  /** Alias ARN (`arn:aws:kms:R:A:alias/name`) -> key ARN. */
  aliases: Record<string, string>;
}

export function kmsSection(world: Pick<SandboxWorld, 'section'>): KmsSection {
  return world.section<KmsSection>(KMS_SECTION, () => ({ version: 1, keys: {}, aliases: {} }));
}

export function keyArnOf(accountId: string, region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

export function aliasArnOf(accountId: string, region: string, aliasName: string): string {
  return `arn:aws:kms:${region}:${accountId}:${aliasName}`;
}

export interface PutKeyInput {
  accountId: string;
  region: string;
  keyId: string;
  policy: string;
  description?: string;
  enabled?: boolean;
  rotation?: boolean;
  keySpec?: string;
  keyUsage?: string;
  tags?: Record<string, string>;
  managedBy?: KmsManagedBy;
  now: number;
}

/** Creates or updates a key (an update keeps its creation time). */
export function putKey(world: Pick<SandboxWorld, 'section'>, input: PutKeyInput): KmsKey {
  const section = kmsSection(world);
  const arn = keyArnOf(input.accountId, input.region, input.keyId);
  const existing = section.keys[arn];
  const key: KmsKey = {
    keyId: input.keyId,
    arn,
    accountId: input.accountId,
    region: input.region,
    policy: input.policy,
    enabled: input.enabled ?? true,
    rotation: input.rotation ?? false,
    keySpec: input.keySpec ?? 'SYMMETRIC_DEFAULT',
    keyUsage: input.keyUsage ?? 'ENCRYPT_DECRYPT',
    tags: { ...(input.tags ?? {}) },
    keyState: input.enabled === false ? 'Disabled' : 'Enabled',
    createdAt: existing?.createdAt ?? input.now,
  };
  if (input.description !== undefined) key.description = input.description;
  if (input.managedBy !== undefined) key.managedBy = input.managedBy;
  section.keys[arn] = key;
  return key;
}

/**
 * Schedules a key's deletion, as CloudFormation does when it deletes an `AWS::KMS::Key`
 * (PendingWindowInDays, 7-30 days): the key stays, unusable (CloudFormation User Guide,
 * aws-resource-kms-key, "PendingWindowInDays").
 */
export function scheduleKeyDeletion(world: Pick<SandboxWorld, 'section'>, keyArn: string): boolean {
  const key = kmsSection(world).keys[keyArn];
  if (!key) return false;
  key.keyState = 'PendingDeletion';
  key.pendingDeletion = true;
  key.enabled = false;
  return true;
}

/**
 * The key a key id, key ARN, alias name (`alias/x`) or alias ARN means, in the account and region
 * given (for ids and alias names), as KMS resolves a KeyId parameter.
 */
export function findKey(
  world: Pick<SandboxWorld, 'section'>,
  keyIdOrArn: string,
  accountId: string,
  region: string,
): KmsKey | undefined {
  const section = kmsSection(world);
  if (keyIdOrArn.startsWith('arn:')) {
    const direct = section.keys[keyIdOrArn];
    if (direct) return direct;
    const target = section.aliases[keyIdOrArn];
    return target ? section.keys[target] : undefined;
  }
  if (keyIdOrArn.startsWith('alias/')) {
    const target = section.aliases[aliasArnOf(accountId, region, keyIdOrArn)];
    return target ? section.keys[target] : undefined;
  }
  return section.keys[keyArnOf(accountId, region, keyIdOrArn)];
}

/** The key policy (JSON text) of a key ARN, if the key exists. */
export function keyPolicyOf(world: Pick<SandboxWorld, 'section'>, keyArn: string): string | undefined {
  return kmsSection(world).keys[keyArn]?.policy;
}

/** Points an alias at a key (a key id or key ARN); returns the alias ARN. */
export function putAlias(
  world: Pick<SandboxWorld, 'section'>,
  input: { accountId: string; region: string; name: string; targetKeyId: string },
): string {
  const arn = aliasArnOf(input.accountId, input.region, input.name);
  kmsSection(world).aliases[arn] = input.targetKeyId.startsWith('arn:')
    ? input.targetKeyId
    : keyArnOf(input.accountId, input.region, input.targetKeyId);
  return arn;
}

export function deleteAlias(world: Pick<SandboxWorld, 'section'>, aliasArn: string): boolean {
  const section = kmsSection(world);
  if (!section.aliases[aliasArn]) return false;
  delete section.aliases[aliasArn];
  return true;
}
