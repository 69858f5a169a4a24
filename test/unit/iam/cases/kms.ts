/** KMS key policies (KMS Developer Guide, key-policies: the key policy must allow, directly or by enabling IAM policies). */
import {
  ADMIN,
  ALLOW,
  allow,
  deployer,
  deployerRole,
  executionSession,
  fullAccess,
  implicit,
  key,
  OUTSIDER,
  policy,
  type Row,
  request,
  root,
  rootDelegation,
  service,
  session,
  TARGET,
  trailKeyPolicy,
} from './fixtures';

export const kmsCases: Row[] = [
  // ---- KMS key policies ----
  {
    name: '[kms] a key policy without the account delegation denies despite an identity Allow',
    request: request(deployer, 'kms:Decrypt', key),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: policy(allow('kms:*', '*', { Principal: { AWS: `arn:aws:iam::${ADMIN}:role/Other` } })),
      identityPolicies: [fullAccess],
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[kms] "Allows access to the AWS account and enables IAM policies": root delegation plus identity Allow',
    request: request(deployer, 'kms:Decrypt', key),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: rootDelegation,
      identityPolicies: [policy(allow('kms:Decrypt', key))],
    },
    expected: ALLOW,
  },
  {
    name: '[kms] root delegation without an identity Allow',
    request: request(deployer, 'kms:Decrypt', key),
    policies: { resourcePolicyMode: 'kms', resourcePolicy: rootDelegation, identityPolicies: [] },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[kms] a key policy naming the role allows without an identity policy',
    request: request(deployer, 'kms:Decrypt', key),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: policy(allow('kms:Decrypt', '*', { Principal: { AWS: deployerRole } })),
    },
    expected: ALLOW,
  },
  {
    name: "[kms] the account's root user is refused by a key policy that does not allow the account",
    request: request(root(ADMIN), 'kms:ScheduleKeyDeletion', key),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: policy(allow('kms:*', '*', { Principal: { AWS: deployerRole } })),
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[kms] kms:ViaService in the identity policy: decrypting through S3',
    request: request(deployer, 'kms:Decrypt', key, { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: rootDelegation,
      identityPolicies: [
        policy(
          allow('kms:Decrypt', '*', {
            Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
          }),
        ),
      ],
    },
    expected: ALLOW,
  },
  {
    name: '[kms] kms:ViaService absent (a direct call): the StringLike condition is false',
    request: request(deployer, 'kms:Decrypt', key),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: rootDelegation,
      identityPolicies: [
        policy(
          allow('kms:Decrypt', '*', {
            Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
          }),
        ),
      ],
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[kms] cross-account: the key policy allows the account and its identity policy allows',
    request: request(
      executionSession,
      'kms:Decrypt',
      key,
      { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
      ADMIN,
    ),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: policy(
        allow('kms:Decrypt', '*', { Principal: { AWS: `arn:aws:iam::${TARGET}:root` } }),
      ),
      identityPolicies: [policy(allow('kms:Decrypt', `arn:aws:kms:*:${ADMIN}:key/*`))],
    },
    expected: ALLOW,
  },
  {
    name: '[kms] cross-account: the key policy does not name the target account',
    request: request(executionSession, 'kms:Decrypt', key, {}, ADMIN),
    policies: { resourcePolicyMode: 'kms', resourcePolicy: rootDelegation, identityPolicies: [fullAccess] },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[kms] CloudTrail encrypts with kms:EncryptionContext:aws:cloudtrail:arn (StringLike) and aws:SourceAccount',
    request: request(service('cloudtrail.amazonaws.com'), 'kms:GenerateDataKey', key.replace(ADMIN, TARGET), {
      'aws:SourceAccount': TARGET,
      'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:eu-west-1:${TARGET}:trail/baseline`,
    }),
    policies: { resourcePolicyMode: 'kms', resourcePolicy: trailKeyPolicy },
    expected: ALLOW,
  },
  {
    name: '[kms] DescribeKey carries no encryption context, so a statement conditioned on it never allows it',
    request: request(service('cloudtrail.amazonaws.com'), 'kms:DescribeKey', key.replace(ADMIN, TARGET), {
      'aws:SourceAccount': TARGET,
    }),
    policies: {
      resourcePolicyMode: 'kms',
      resourcePolicy: policy(
        allow(['kms:GenerateDataKey*', 'kms:DescribeKey'], '*', {
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Condition: {
            StringLike: {
              'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${TARGET}:trail/*`,
            },
          },
        }),
      ),
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[kms] "Principal": {"AWS": "*"} with kms:CallerAccount lets the account read trail logs',
    request: request(session(TARGET, 'Auditor'), 'kms:Decrypt', key.replace(ADMIN, TARGET), {
      'kms:CallerAccount': TARGET,
      'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:eu-west-1:${TARGET}:trail/baseline`,
    }),
    policies: { resourcePolicyMode: 'kms', resourcePolicy: trailKeyPolicy },
    expected: ALLOW,
  },
  {
    name: '[kms] the same statement refuses another account (kms:CallerAccount differs)',
    request: request(
      session(OUTSIDER, 'Auditor'),
      'kms:Decrypt',
      key.replace(ADMIN, TARGET),
      {
        'kms:CallerAccount': OUTSIDER,
        'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:eu-west-1:${TARGET}:trail/baseline`,
      },
      TARGET,
    ),
    policies: { resourcePolicyMode: 'kms', resourcePolicy: trailKeyPolicy, identityPolicies: [fullAccess] },
    expected: implicit('resource-based policy'),
  },
];
