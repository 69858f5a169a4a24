/**
 * Principals, policies and builders shared by the evaluation cases (evaluate.test.ts): an admin
 * account running stackfleet, a target account with the execution role, and an outsider.
 */
import type {
  ApplicablePolicies,
  AuthorizationRequest,
  Decision,
  PolicyDocument,
  PolicyStatement,
  RequestContextValues,
  RequestPrincipal,
} from '../../../../src/sandbox/iam/types';

export const ADMIN = '111111111111';
export const TARGET = '222222222222';
export const OUTSIDER = '333333333333';
export const ORG = 'o-stackfleet1';

export const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement,
});
export const allow = (
  Action: string | string[],
  Resource: string | string[] = '*',
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: 'Allow', Action, Resource, ...extra }) as PolicyStatement;
export const denyStatement = (
  Action: string | string[],
  Resource: string | string[] = '*',
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: 'Deny', Action, Resource, ...extra }) as PolicyStatement;

export function session(
  account: string,
  role: string,
  name = 'run',
  extra: Partial<RequestPrincipal> = {},
): RequestPrincipal {
  // `role` is the role's path and name (`stackfleet/Deploy`); session ARNs carry the name only.
  const roleName = role.split('/').pop();
  return {
    kind: 'role-session',
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${name}`,
    accountId: account,
    roleArn: `arn:aws:iam::${account}:role/${role}`,
    ...extra,
  };
}
export const user = (account: string, name: string): RequestPrincipal => ({
  kind: 'user',
  arn: `arn:aws:iam::${account}:user/${name}`,
  accountId: account,
});
export const root = (account: string): RequestPrincipal => ({
  kind: 'root',
  arn: `arn:aws:iam::${account}:root`,
  accountId: account,
});
export const service = (name: string): RequestPrincipal => ({ kind: 'service', arn: name, service: name });
export const anonymous: RequestPrincipal = { kind: 'anonymous', arn: 'anonymous' };
export const federated = (account: string, name: string): RequestPrincipal => ({
  kind: 'federated-user',
  arn: `arn:aws:sts::${account}:federated-user/${name}`,
  accountId: account,
});

export function request(
  principal: RequestPrincipal,
  action: string,
  resource: string,
  context: RequestContextValues = {},
  resourceAccountId?: string,
): AuthorizationRequest {
  return resourceAccountId
    ? { principal, action, resource, context, resourceAccountId }
    : { principal, action, resource, context };
}

export const ALLOW: Decision = { effect: 'Allow' };
export const implicit = (policyKind: Extract<Decision, { effect: 'Deny' }>['policyKind']): Decision => ({
  effect: 'Deny',
  explicit: false,
  policyKind,
});
export const explicit = (
  policyKind: Extract<Decision, { effect: 'Deny' }>['policyKind'],
  sid?: string,
): Decision =>
  sid ? { effect: 'Deny', explicit: true, policyKind, sid } : { effect: 'Deny', explicit: true, policyKind };

// Fixtures shared by several rows.
export const deployer = session(ADMIN, 'stackfleet/Deploy');
export const deployerRole = deployer.roleArn!;
export const bucket = 'arn:aws:s3:::admin-artifacts';
export const object = `${bucket}/templates/baseline.yaml`;
export const key = `arn:aws:kms:eu-west-1:${ADMIN}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const executionRoleArn = `arn:aws:iam::${TARGET}:role/StackFleet-Execution`;
export const fullAccess = policy(allow('*'));
export const s3Only = policy(allow('s3:*'));
export const rootDelegation = policy(
  allow('kms:*', '*', { Sid: 'EnableIamPolicies', Principal: { AWS: `arn:aws:iam::${ADMIN}:root` } }),
);
export const regionGuard = policy(
  allow('*'),
  denyStatement('*', '*', {
    Sid: 'DenyOutsideEu',
    Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
  }),
);
export const executionTrust = policy(
  allow('sts:AssumeRole', '*', {
    Sid: 'AdminFunctionsAssume',
    Principal: { AWS: `arn:aws:iam::${ADMIN}:root` },
    Condition: {
      StringEquals: { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'ext-123' },
      ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ADMIN}:role/stackfleet/*` },
    },
  }),
);
export const trailKeyPolicy = policy(
  allow('kms:*', '*', { Sid: 'EnableIamPolicies', Principal: { AWS: `arn:aws:iam::${TARGET}:root` } }),
  allow('kms:GenerateDataKey*', '*', {
    Sid: 'CloudTrailEncryptsLogs',
    Principal: { Service: 'cloudtrail.amazonaws.com' },
    Condition: {
      StringEquals: { 'aws:SourceAccount': TARGET },
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${TARGET}:trail/*` },
    },
  }),
  allow(['kms:Decrypt', 'kms:ReEncryptFrom'], '*', {
    Sid: 'AccountReadsTrailLogs',
    Principal: { AWS: '*' },
    Condition: {
      StringEquals: { 'kms:CallerAccount': TARGET },
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${TARGET}:trail/*` },
    },
  }),
);
export const trailBucket = `arn:aws:s3:::trail-${TARGET}`;
export const trailBucketPolicy = policy(
  denyStatement('s3:*', [trailBucket, `${trailBucket}/*`], {
    Sid: 'DenyInsecureTransport',
    Principal: '*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  }),
  allow('s3:PutObject', `${trailBucket}/AWSLogs/${TARGET}/*`, {
    Sid: 'CloudTrailDelivers',
    Principal: { Service: 'cloudtrail.amazonaws.com' },
    Condition: {
      StringEquals: { 'aws:SourceAccount': TARGET },
      ArnLike: { 'aws:SourceArn': `arn:aws:cloudtrail:*:${TARGET}:trail/*` },
    },
  }),
);
export const trailSource = {
  'aws:SecureTransport': true,
  'aws:SourceAccount': TARGET,
  'aws:SourceArn': `arn:aws:cloudtrail:eu-west-1:${TARGET}:trail/baseline`,
};
export const artifactBucketPolicy = policy(
  allow(['s3:GetObject', 's3:GetObjectVersion'], `${bucket}/templates/*`, {
    Sid: 'ExecutionRolesReadTemplates',
    Principal: { AWS: '*' },
    Condition: {
      StringEquals: { 'aws:PrincipalOrgID': ORG },
      ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleet-Execution' },
    },
  }),
);
export const executionSession = session(TARGET, 'StackFleet-Execution', 'stackfleet-deploy');
/** S3 puts the bucket owner's account in every request's context (s3:ResourceAccount). */
export const inAdminBucket = { 's3:ResourceAccount': ADMIN };
export const readTemplates = policy(
  allow(['s3:GetObject', 's3:GetObjectVersion'], 'arn:aws:s3:::*/templates/*', {
    Condition: { StringEquals: { 's3:ResourceAccount': ADMIN } },
  }),
);

export const noChainingTrust = policy(
  allow('sts:AssumeRole', '*', { Principal: { AWS: [deployerRole, `arn:aws:iam::${ADMIN}:user/Adele`] } }),
  denyStatement('sts:AssumeRole', '*', {
    Sid: 'NoChaining',
    Principal: '*',
    Condition: { Null: { 'aws:TokenIssueTime': 'false' } },
  }),
);

/** The data-perimeter RCP from the Organizations guide's examples: only the organisation's principals and AWS services. */
export const orgPerimeterRcp = policy(
  allow('*', '*', { Principal: '*' }),
  denyStatement('s3:*', '*', {
    Sid: 'EnforceOrgIdentities',
    Principal: '*',
    Condition: {
      StringNotEqualsIfExists: { 'aws:PrincipalOrgID': ORG },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    },
  }),
);

export interface Row {
  name: string;
  request: AuthorizationRequest;
  policies: ApplicablePolicies;
  expected: Decision;
}
