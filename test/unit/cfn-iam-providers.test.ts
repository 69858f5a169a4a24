/**
 * What each resource handler calls, as the resource's properties imply (CloudFormation resource
 * schemas' handler permissions, narrowed to the properties set), which function a synthesized
 * Lambda is, and settleDue: operations that ended take effect before the next request.
 */

import { providerFor } from '../../src/sandbox/cfn/providers/index';
import type { ResourceRef } from '../../src/sandbox/cfn/providers/types';
import { settleDue } from '../../src/sandbox/cfn/settle-due';
import { cfnSection } from '../../src/sandbox/cfn/state';
import { cfnCaller, createTestWorld } from '../../src/sandbox/cfn/testing';
import { findRole, iamSection } from '../../src/sandbox/iam/state';
import { handlerIdOf } from '../../src/sandbox/services/lambda-handlers';

const world = createTestWorld();
const ref = (physicalId: string): ResourceRef => ({
  world,
  accountId: '222222222222',
  region: 'eu-west-1',
  stackId: 'arn:aws:cloudformation:eu-west-1:222222222222:stack/s/1',
  stackName: 's',
  logicalId: 'R',
  physicalId,
  now: 0,
});

function calls(
  type: string,
  props: Record<string, unknown>,
  phase: 'create' | 'update' | 'delete' = 'create',
) {
  return (providerFor(type)?.calls?.(phase, props, ref('Thing')) ?? []).map((s) => [
    s.action,
    s.context ?? {},
  ]);
}

describe('handler calls', () => {
  // The Service Authorization Reference lists iam:PermissionsBoundary for CreateRole, PutRolePolicy,
  // AttachRolePolicy and DeleteRole (not for TagRole): a policy conditioned on the boundary sees it.
  it('AWS::IAM::Role: CreateRole, PutRolePolicy per policy and AttachRolePolicy per ARN carry iam:PermissionsBoundary; TagRole the tags', () => {
    const boundary = 'arn:aws:iam::222222222222:policy/Boundary';
    expect(
      calls('AWS::IAM::Role', {
        PermissionsBoundary: boundary,
        Tags: [{ Key: 'team', Value: 'sec' }],
        Policies: [
          { PolicyName: 'a', PolicyDocument: { Statement: [] } },
          { PolicyName: 'b', PolicyDocument: { Statement: [] } },
        ],
        ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      }),
    ).toEqual([
      [
        'iam:CreateRole',
        { 'aws:TagKeys': ['team'], 'aws:RequestTag/team': 'sec', 'iam:PermissionsBoundary': boundary },
      ],
      ['iam:TagRole', { 'aws:TagKeys': ['team'], 'aws:RequestTag/team': 'sec' }],
      ['iam:PutRolePolicy', { 'iam:PermissionsBoundary': boundary }],
      ['iam:PutRolePolicy', { 'iam:PermissionsBoundary': boundary }],
      [
        'iam:AttachRolePolicy',
        { 'iam:PermissionsBoundary': boundary, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      ],
    ]);
    expect(calls('AWS::IAM::Role', { PermissionsBoundary: boundary }, 'delete')).toEqual([
      ['iam:DeleteRole', { 'iam:PermissionsBoundary': boundary }],
    ]);
  });

  it('a bare role needs CreateRole alone; deleting it needs DeleteRole', () => {
    expect(calls('AWS::IAM::Role', {})).toEqual([['iam:CreateRole', {}]]);
    expect(calls('AWS::IAM::Role', {}, 'delete')).toEqual([['iam:DeleteRole', {}]]);
  });

  it('AWS::S3::Bucket: CreateBucket plus one call per configuration the properties set, and nothing for the rest', () => {
    expect(
      calls('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } }).map(([a]) => a),
    ).toEqual(['s3:CreateBucket', 's3:PutBucketVersioning']);
    expect(
      calls('AWS::S3::Bucket', {
        BucketEncryption: {},
        LifecycleConfiguration: {},
        PublicAccessBlockConfiguration: {},
        OwnershipControls: {},
        LoggingConfiguration: {},
      }).map(([a]) => a),
    ).toEqual([
      's3:CreateBucket',
      's3:PutEncryptionConfiguration',
      's3:PutLifecycleConfiguration',
      's3:PutBucketPublicAccessBlock',
      's3:PutBucketOwnershipControls',
      's3:PutBucketLogging',
    ]);
  });

  it('AWS::KMS::Key: CreateKey on *, kms:TagResource with tags, EnableKeyRotation on the new key under its key policy', () => {
    const specs =
      providerFor('AWS::KMS::Key')?.calls?.(
        'create',
        { EnableKeyRotation: true, Tags: [{ Key: 'k', Value: 'v' }] },
        ref('kid'),
      ) ?? [];
    expect(specs.map((s) => [s.action, s.resource, s.resourcePolicyMode ?? ''])).toEqual([
      ['kms:CreateKey', '*', ''],
      ['kms:TagResource', '*', ''],
      ['kms:EnableKeyRotation', 'arn:aws:kms:eu-west-1:222222222222:key/kid', 'kms'],
    ]);
    // No KeyPolicy: KMS's default key policy (the account's root may do everything).
    expect(specs[2]?.resourcePolicy).toContain('arn:aws:iam::222222222222:root');
  });

  it.each([
    ['AWS::Lambda::Function', { Role: 'arn:aws:iam::222222222222:role/fn' }, 'lambda.amazonaws.com'],
    [
      'AWS::StepFunctions::StateMachine',
      { RoleArn: 'arn:aws:iam::222222222222:role/sm' },
      'states.amazonaws.com',
    ],
    [
      'AWS::CloudTrail::Trail',
      { CloudWatchLogsRoleArn: 'arn:aws:iam::222222222222:role/logs' },
      'cloudtrail.amazonaws.com',
    ],
    [
      'AWS::Config::ConfigurationRecorder',
      { RoleARN: 'arn:aws:iam::222222222222:role/cfg' },
      'config.amazonaws.com',
    ],
    [
      'AWS::Events::Rule',
      {
        Targets: [
          {
            Id: 't',
            Arn: 'arn:aws:events:eu-west-1:1:event-bus/x',
            RoleArn: 'arn:aws:iam::222222222222:role/fw',
          },
        ],
      },
      'events.amazonaws.com',
    ],
  ])('%s passes its role to its service (iam:PassRole with iam:PassedToService)', (type, props, service) => {
    expect(calls(type, props)).toContainEqual(['iam:PassRole', { 'iam:PassedToService': service }]);
  });

  it('a type the sandbox does not model has no provider: no checks, no effect', () => {
    expect(providerFor('AWS::AppSync::GraphQLApi')).toBeUndefined();
  });
});

describe('handlerIdOf', () => {
  it.each([
    [{ cdkPath: 'StackFleetAdmin/Functions/DeployStack/Resource' }, 'deploy-stack'],
    [{ description: 'stackfleet check-stack' }, 'check-stack'],
    [{ logicalId: 'FunctionsPlanTargets216B06F6' }, 'plan-targets'],
    [{ description: 'something else', logicalId: 'MyFunction' }, undefined],
  ])('%j is %s', (input, id) => {
    expect(handlerIdOf(input)).toBe(id);
  });
});

describe('settleDue', () => {
  it('folds exactly the operations that ended by now, so their effects are visible before anyone reads the stacks', async () => {
    const w = createTestWorld();
    const call = cfnCaller(w);
    const template = (name: string, extra = '') => `Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      RoleName: ${name}
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
${extra}`;
    await call('CreateStack', {
      StackName: 'fast',
      TemplateBody: template('Fast'),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    // The slow stack's role waits for a wait-condition handle first: it ends later.
    await call('CreateStack', {
      StackName: 'slow',
      TemplateBody: `${template('Slow')}    DependsOn: [W1]\n  W1:\n    Type: AWS::CloudFormation::WaitConditionHandle\n`,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    const target = cfnSection(w).targets['222222222222/eu-west-1'];
    const ends = Object.values(target?.stacks ?? {}).map((s) => s.pending?.at ?? 0);
    const [first, second] = [...ends].sort((a, b) => a - b) as [number, number];
    expect(first).toBeLessThan(second);
    expect(settleDue(w, first - 1)).toBe(0);
    expect(findRole(iamSection(w), '222222222222', 'Fast')).toBeUndefined();
    expect(settleDue(w, first)).toBe(1);
    expect(findRole(iamSection(w), '222222222222', 'Fast')?.name).toBe('Fast');
    expect(findRole(iamSection(w), '222222222222', 'Slow')).toBeUndefined();
    expect(settleDue(w, second)).toBe(1);
    expect(findRole(iamSection(w), '222222222222', 'Slow')?.name).toBe('Slow');
    expect(settleDue(w, second + 1)).toBe(0);
  });
});
