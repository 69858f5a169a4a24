/** Role trust policies on sts:AssumeRole and friends (IAM User Guide, id_roles_compare-resource-policies). */
import {
  ADMIN,
  ALLOW,
  allow,
  deployer,
  deployerRole,
  executionRoleArn,
  executionTrust,
  explicit,
  fullAccess,
  implicit,
  noChainingTrust,
  ORG,
  policy,
  type Row,
  request,
  root,
  service,
  session,
  TARGET,
  user,
} from './fixtures';

export const roleTrustCases: Row[] = [
  // ---- role trust policies ----
  {
    name: '[role-trust] a trust policy naming the account root needs an identity Allow',
    request: request(deployer, 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:AssumeRole', '*', { Principal: { AWS: `arn:aws:iam::${ADMIN}:root` } }),
      ),
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[role-trust] the account root in the trust policy plus an identity Allow',
    request: request(deployer, 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(allow('sts:AssumeRole', '*', { Principal: { AWS: ADMIN } })),
      identityPolicies: [policy(allow('sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`))],
    },
    expected: ALLOW,
  },
  {
    name: '[role-trust] same account: a trust policy naming the role ARN directly needs no identity Allow',
    request: request(deployer, 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(allow('sts:AssumeRole', '*', { Principal: { AWS: deployerRole } })),
    },
    expected: ALLOW,
  },
  {
    name: '[role-trust] same account: a trust policy naming the user directly needs no identity Allow',
    request: request(user(ADMIN, 'Adele'), 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:AssumeRole', '*', { Principal: { AWS: `arn:aws:iam::${ADMIN}:user/Adele` } }),
      ),
    },
    expected: ALLOW,
  },
  {
    name: '[role-trust] no identity policy can stand in for a missing trust',
    request: request(deployer, 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:AssumeRole', '*', { Principal: { Service: 'lambda.amazonaws.com' } }),
      ),
      identityPolicies: [fullAccess],
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: "[role-trust] an account's root user may not assume a role whose trust names only a user",
    request: request(root(ADMIN), 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:AssumeRole', '*', { Principal: { AWS: `arn:aws:iam::${ADMIN}:user/Adele` } }),
      ),
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[role-trust] cross-account: the execution role trust (PrincipalOrgID, ExternalId, PrincipalArn) and an identity Allow',
    request: request(
      deployer,
      'sts:AssumeRole',
      executionRoleArn,
      { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'ext-123' },
      TARGET,
    ),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: executionTrust,
      identityPolicies: [policy(allow('sts:AssumeRole', 'arn:aws:iam::*:role/StackFleet-Execution'))],
    },
    expected: ALLOW,
  },
  {
    name: '[role-trust] cross-account: a wrong sts:ExternalId',
    request: request(
      deployer,
      'sts:AssumeRole',
      executionRoleArn,
      { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'guess' },
      TARGET,
    ),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: executionTrust,
      identityPolicies: [fullAccess],
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[role-trust] cross-account: no sts:ExternalId at all',
    request: request(deployer, 'sts:AssumeRole', executionRoleArn, { 'aws:PrincipalOrgID': ORG }, TARGET),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: executionTrust,
      identityPolicies: [fullAccess],
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[role-trust] cross-account: a role outside the admin path (aws:PrincipalArn ArnLike)',
    request: request(
      session(ADMIN, 'Intruder'),
      'sts:AssumeRole',
      executionRoleArn,
      { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'ext-123' },
      TARGET,
    ),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: executionTrust,
      identityPolicies: [fullAccess],
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[role-trust] cross-account: the trust allows but the caller has no identity Allow',
    request: request(
      deployer,
      'sts:AssumeRole',
      executionRoleArn,
      { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'ext-123' },
      TARGET,
    ),
    policies: { resourcePolicyMode: 'role-trust', resourcePolicy: executionTrust },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[role-trust] cross-account: a trust naming the role ARN directly still needs the identity Allow',
    request: request(deployer, 'sts:AssumeRole', executionRoleArn, {}, TARGET),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(allow('sts:AssumeRole', '*', { Principal: { AWS: deployerRole } })),
    },
    expected: implicit('identity-based policy'),
  },
  {
    name: '[role-trust] sts:SourceIdentity (StringLike) on sts:SetSourceIdentity',
    request: request(
      deployer,
      'sts:SetSourceIdentity',
      executionRoleArn,
      { 'sts:SourceIdentity': 'stackfleet-rollout-42' },
      TARGET,
    ),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:SetSourceIdentity', '*', {
          Principal: { AWS: ADMIN },
          Condition: { StringLike: { 'sts:SourceIdentity': 'stackfleet-*' } },
        }),
      ),
      identityPolicies: [policy(allow('sts:SetSourceIdentity'))],
    },
    expected: ALLOW,
  },
  {
    name: '[role-trust] the CloudFormation service role trusts cloudformation.amazonaws.com with aws:SourceAccount',
    request: request(
      service('cloudformation.amazonaws.com'),
      'sts:AssumeRole',
      `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
      { 'aws:SourceAccount': TARGET },
    ),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:AssumeRole', '*', {
          Principal: { Service: 'cloudformation.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': TARGET } },
        }),
      ),
    },
    expected: ALLOW,
  },
  {
    name: '[role-trust] a trust conditioned on aws:SourceAccount refuses a service call that does not send it',
    request: request(
      service('cloudtrail.amazonaws.com'),
      'sts:AssumeRole',
      `arn:aws:iam::${TARGET}:role/StackFleet-TrailToLogs`,
    ),
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: policy(
        allow('sts:AssumeRole', '*', {
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': TARGET } },
        }),
      ),
    },
    expected: implicit('resource-based policy'),
  },
  {
    name: '[elements Condition] Null "false" in a trust Deny: no aws:TokenIssueTime, the Deny does not apply',
    request: request(user(ADMIN, 'Adele'), 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`),
    policies: { resourcePolicyMode: 'role-trust', resourcePolicy: noChainingTrust },
    expected: ALLOW,
  },
  {
    name: '[role-trust] an explicit deny in the trust policy (a session, so aws:TokenIssueTime is present)',
    request: request(deployer, 'sts:AssumeRole', `arn:aws:iam::${ADMIN}:role/Reader`, {
      'aws:TokenIssueTime': '2026-11-30T12:00:00Z',
    }),
    policies: { resourcePolicyMode: 'role-trust', resourcePolicy: noChainingTrust },
    expected: explicit('resource-based policy', 'NoChaining'),
  },
];
