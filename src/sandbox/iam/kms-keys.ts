/**
 * KMS keys as authorization sees them: the key's ARN, owner and key policy, found by ARN, key id
 * or alias. The keys themselves live in the KMS state that CloudFormation's providers (and a KMS
 * API, if the sandbox grows one) write.
 */
import type { SandboxWorld } from '../types';

export interface KmsKeyFacts {
  arn: string;
  accountId: string;
  /** Key policy JSON; undefined when the key does not exist. */
  policy?: string;
}

interface KmsStateLike {
  keys?: Record<string, { arn: string; accountId: string; policy: string; keyId: string }>;
  aliases?: Record<string, string>;
}

/** Resolves a key reference as KMS does: a full key/alias ARN, or a key id / alias name in `region` of `accountId`. */
export function kmsKeyFacts(
  world: SandboxWorld,
  ref: string,
  region: string,
  accountId: string,
): KmsKeyFacts {
  const state = (world.state.kms ?? {}) as KmsStateLike;
  let arn = ref;
  if (!ref.startsWith('arn:')) {
    arn = ref.startsWith('alias/')
      ? `arn:aws:kms:${region}:${accountId}:${ref}`
      : `arn:aws:kms:${region}:${accountId}:key/${ref}`;
  }
  if (arn.includes(':alias/')) arn = state.aliases?.[arn] ?? arn;
  const owner = /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? accountId;
  const key = state.keys?.[arn];
  return key ? { arn, accountId: key.accountId, policy: key.policy } : { arn, accountId: owner };
}
