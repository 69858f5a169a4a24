/**
 * IAM evaluation throughput: evaluations per second of `evaluate` for the requests a rollout makes
 * most (after warm-up, documents compiled once). Each sandbox call evaluates once, so the figure
 * bounds what IAM adds to a call: at 200,000/s it is 5 microseconds.
 * - simple: one identity policy, one statement, no conditions;
 * - execution role: the execution role's DriveBaselineStacks policy (templates/execution-role.yaml)
 *   under three SCP levels with a region guard, a CreateStack conditioned on cloudformation:RoleArn;
 * - trust: the admin function assuming the execution role across accounts (PrincipalOrgID,
 *   ExternalId, ArnLike on aws:PrincipalArn) with its identity policy;
 * - bucket: the execution role reading a template from the admin bucket (bucket policy with
 *   PrincipalOrgID, identity policy with s3:ResourceAccount), cross-account.
 *
 *   tsx scripts/bench-iam.ts [--seconds S]
 */
import { performance } from 'node:perf_hooks';
import { evaluate } from '../src/sandbox/iam/evaluate';
import { parsePolicy } from '../src/sandbox/iam/policy';
import type { ApplicablePolicies, AuthorizationRequest, PolicyDocument } from '../src/sandbox/iam/types';

const at = process.argv.indexOf('--seconds');
const seconds = at < 0 ? 1 : Number(process.argv[at + 1]);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number. Received: ${process.argv[at + 1]}`);

const ADMIN = '111111111111';
const TARGET = '222222222222';
const ORG = 'o-stackfleet1';
const doc = (d: unknown, where: string, kind: 'identity' | 'resource' | 'scp'): PolicyDocument =>
  parsePolicy(d as PolicyDocument, where, { kind });

const executionSession = {
  kind: 'role-session' as const,
  arn: `arn:aws:sts::${TARGET}:assumed-role/StackFleet-Execution/stackfleet-deploy`,
  accountId: TARGET,
  roleArn: `arn:aws:iam::${TARGET}:role/StackFleet-Execution`,
};
const adminFunction = {
  kind: 'role-session' as const,
  arn: `arn:aws:sts::${ADMIN}:assumed-role/DeployFn/deploy`,
  accountId: ADMIN,
  roleArn: `arn:aws:iam::${ADMIN}:role/stackfleet/DeployFn`,
};

const driveBaselineStacks = doc(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ChangeStacksOnlyThroughTheServiceRole',
        Effect: 'Allow',
        Action: [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:CreateChangeSet',
        ],
        Resource: `arn:aws:cloudformation:*:${TARGET}:stack/StackFleet-*/*`,
        Condition: {
          StringEquals: { 'cloudformation:RoleArn': `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation` },
        },
      },
      {
        Sid: 'OperatePrefixedStacks',
        Effect: 'Allow',
        Action: [
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:DeleteStack',
        ],
        Resource: `arn:aws:cloudformation:*:${TARGET}:stack/StackFleet-*/*`,
      },
      {
        Sid: 'PassOnlyTheServiceRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      },
      {
        Sid: 'ReadTemplatesFromTheAdminArtifactBucket',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: 'arn:aws:s3:::*/templates/*',
        Condition: { StringEquals: { 's3:ResourceAccount': ADMIN } },
      },
      {
        Sid: 'DecryptTemplatesFromTheAdminArtifactBucket',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:*:${ADMIN}:key/*`,
        Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      },
    ],
  },
  'execution role policy',
  'identity',
);
const fullAccess = doc(
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  'FullAWSAccess',
  'scp',
);
const regionGuard = doc(
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyOutsideEu',
        Effect: 'Deny',
        NotAction: ['iam:*', 'organizations:*', 'sts:*'],
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
      },
    ],
  },
  'region guard',
  'scp',
);

const cases: { name: string; request: AuthorizationRequest; policies: ApplicablePolicies }[] = [
  {
    name: 'simple',
    request: {
      principal: executionSession,
      action: 'cloudformation:DescribeStacks',
      resource: '*',
      context: {},
    },
    policies: {
      identityPolicies: [
        doc(
          {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: '*' }],
          },
          'simple',
          'identity',
        ),
      ],
    },
  },
  {
    name: 'execution role',
    request: {
      principal: executionSession,
      action: 'cloudformation:CreateStack',
      resource: `arn:aws:cloudformation:eu-west-1:${TARGET}:stack/StackFleet-baseline/1a2b`,
      context: {
        'aws:RequestedRegion': 'eu-west-1',
        'aws:PrincipalOrgID': ORG,
        'aws:SecureTransport': true,
        'cloudformation:RoleArn': `arn:aws:iam::${TARGET}:role/StackFleet-CloudFormation`,
      },
    },
    policies: {
      scps: [[fullAccess], [fullAccess, regionGuard], [fullAccess]],
      identityPolicies: [driveBaselineStacks],
    },
  },
  {
    name: 'trust',
    request: {
      principal: adminFunction,
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${TARGET}:role/StackFleet-Execution`,
      resourceAccountId: TARGET,
      context: { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'ext-123', 'aws:SecureTransport': true },
    },
    policies: {
      resourcePolicyMode: 'role-trust',
      resourcePolicy: doc(
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ADMIN}:root` },
              Action: 'sts:AssumeRole',
              Condition: {
                StringEquals: { 'aws:PrincipalOrgID': ORG, 'sts:ExternalId': 'ext-123' },
                ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ADMIN}:role/stackfleet/*` },
              },
            },
          ],
        },
        'execution role trust',
        'resource',
      ),
      identityPolicies: [
        doc(
          {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Resource: 'arn:aws:iam::*:role/StackFleet-Execution',
              },
            ],
          },
          'deploy function policy',
          'identity',
        ),
      ],
    },
  },
  {
    name: 'bucket',
    request: {
      principal: executionSession,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::admin-artifacts/templates/baseline/v3.yaml',
      resourceAccountId: ADMIN,
      context: {
        'aws:RequestedRegion': 'eu-west-1',
        'aws:PrincipalOrgID': ORG,
        's3:ResourceAccount': ADMIN,
        'aws:SecureTransport': true,
      },
    },
    policies: {
      scps: [[fullAccess], [fullAccess, regionGuard]],
      resourcePolicy: doc(
        {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ExecutionRolesReadTemplates',
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Resource: 'arn:aws:s3:::admin-artifacts/templates/*',
              Condition: {
                StringEquals: { 'aws:PrincipalOrgID': ORG },
                ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleet-Execution' },
              },
            },
          ],
        },
        'artifact bucket policy',
        'resource',
      ),
      identityPolicies: [driveBaselineStacks],
    },
  },
];

for (const { name, request, policies } of cases) {
  const decision = evaluate(request, policies);
  if (decision.effect !== 'Allow')
    throw new Error(`${name}: expected Allow, got ${JSON.stringify(decision)}`);
  for (let i = 0; i < 20_000; i++) evaluate(request, policies); // warm-up
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) evaluate(request, policies);
    n += 1000;
    now = performance.now();
  }
  const perSecond = n / ((now - start) / 1000);
  console.log(
    `${name.padEnd(16)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} evaluations/s  ${(1e6 / perSecond).toFixed(2)} µs each`,
  );
}
