/**
 * KMS keys as authorization sees them: the key's ARN, owner and key policy, found by ARN, key id
 * or alias. The keys themselves live in the KMS state that CloudFormation's providers (and a KMS
 * API, if the sandbox grows one) write.
 */
import { findKey } from '../services/kms-state';
import type { SandboxWorld } from '../types';

export interface KmsKeyFacts {
  arn: string;
  accountId: string;
  /** Key policy JSON; undefined when the key does not exist. */
  policy?: string;
  /** The key's tags (`aws:ResourceTag/<key>` of calls on it). */
  tags: Record<string, string>;
}

/** Resolves a key reference as KMS does: a full key/alias ARN, or a key id / alias name in `region` of `accountId`. */
export function kmsKeyFacts(
  world: SandboxWorld,
  ref: string,
  region: string,
  accountId: string,
): KmsKeyFacts {
  let arn = ref;
  if (!ref.startsWith('arn:')) {
    arn = ref.startsWith('alias/')
      ? `arn:aws:kms:${region}:${accountId}:${ref}`
      : `arn:aws:kms:${region}:${accountId}:key/${ref}`;
  }
  const owner = /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? accountId;
  const managed = /:alias\/aws\/([a-z0-9-]+)$/.exec(arn);
  if (managed)
    return {
      arn,
      accountId: owner,
      policy: awsManagedKeyPolicy(managed[1] as string, owner, region),
      tags: {},
    };
  const key = findKey(world, arn, owner, region);
  return key
    ? { arn: key.arn, accountId: key.accountId, policy: key.policy, tags: key.tags }
    : { arn, accountId: owner, tags: {} };
}

/**
 * The key policy of an AWS managed key (`aws/s3`, `aws/sns`): any principal of the owning account
 * may use it through that service, nobody else (KMS Developer Guide, concepts "AWS managed keys":
 * their policies "allow all principals in the account to use the key ... only through the service",
 * and they cannot be used across accounts).
 */
function awsManagedKeyPolicy(service: string, accountId: string, region: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Allow access through the AWS service for all principals in the account that are authorized to use it',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:CallerAccount': accountId,
            'kms:ViaService': `${service}.${region}.amazonaws.com`,
          },
        },
      },
    ],
  });
}
