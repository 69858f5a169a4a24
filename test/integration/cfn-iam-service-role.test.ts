/**
 * The service role (CloudFormation User Guide, using-iam-servicerole): cloudformation.amazonaws.com
 * assumes it (its trust policy must admit the service), the resulting session makes the resource
 * calls, and what the stack creates takes effect in IAM, S3 and KMS once the operation settles.
 * Every test fails on the old sandbox, where a stack's resources were only records.
 */
import { decide } from '../../src/sandbox/iam/authorize';
import { resolvePrincipal } from '../../src/sandbox/iam/principal';
import { findRole, iamSection } from '../../src/sandbox/iam/state';
import type { PolicyDocument } from '../../src/sandbox/iam/types';
import { settleDue } from '../../src/sandbox/services/cloudformation';
import { bucketPolicyOf } from '../../src/sandbox/services/s3-state';
import {
  ADMIN,
  allow,
  cfnAs,
  givenObject,
  givenRole,
  later,
  MEMBER,
  ORG_ID,
  openWorld,
  REGION,
  rootOf,
  sessionOf,
  trustService,
} from '../helpers/cfn-iam';

const SERVICE_ROLE = `arn:aws:iam::${MEMBER}:role/StackFleetCloudFormation`;

const ROLE_TEMPLATE = `Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: StackFleet-App
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:aws:iam::\${AWS::AccountId}:role/Deployer" }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: ReadReports
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::reports/*
`;

type Resource = { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string };

async function world(
  serviceRolePolicy: PolicyDocument,
  trust: PolicyDocument = trustService('cloudformation.amazonaws.com'),
) {
  const opened = await openWorld();
  givenRole(opened.world, MEMBER, 'StackFleetCloudFormation', trust, {
    BaselineResources: serviceRolePolicy,
  });
  givenRole(
    opened.world,
    MEMBER,
    'Deployer',
    { Version: '2012-10-17', Statement: [] },
    {
      Stacks: allow(['cloudformation:*']),
      Pass: allow('iam:PassRole', SERVICE_ROLE, {
        StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
      } as never),
    },
  );
  const deployer = sessionOf(MEMBER, 'Deployer');
  const call = <T = Record<string, unknown>>(op: string, params: Record<string, unknown>) =>
    cfnAs<T>(opened.sandbox, deployer, op, params);
  const status = async (name = 'app') =>
    (await call<{ Stacks: Array<{ StackStatus: string }> }>('DescribeStacks', { StackName: name })).Stacks[0]
      ?.StackStatus;
  const resources = async (name = 'app') =>
    (await call<{ StackResources: Resource[] }>('DescribeStackResources', { StackName: name }))
      .StackResources;
  return { ...opened, call, status, resources };
}

describe('cloudformation.amazonaws.com assumes the service role', () => {
  it('refuses a role whose trust does not admit the service: "Role ... is invalid or cannot be assumed"', async () => {
    const w = await world(allow('*'), {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'sts:AssumeRole' },
      ],
    });
    await expect(
      w.call('CreateStack', {
        StackName: 'app',
        TemplateBody: ROLE_TEMPLATE,
        RoleARN: SERVICE_ROLE,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: `Role ${SERVICE_ROLE} is invalid or cannot be assumed`,
    });
    await expect(w.status()).rejects.toMatchObject({ message: 'Stack with id app does not exist' });
  });

  it('refuses a trust that requires aws:SourceAccount: CloudFormation does not document sending it, so the sandbox does not', async () => {
    const w = await world(allow('*'), {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudformation.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': MEMBER } },
        },
      ],
    });
    await expect(
      w.call('CreateStack', {
        StackName: 'app',
        TemplateBody: ROLE_TEMPLATE,
        RoleARN: SERVICE_ROLE,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringContaining('cannot be assumed'),
    });
  });

  it('a service role without iam:CreateRole fails the Role with the AWS-shaped denial and the stack rolls back', async () => {
    const w = await world(allow(['iam:PutRolePolicy', 'iam:DeleteRole']));
    await w.call('CreateStack', {
      StackName: 'app',
      TemplateBody: ROLE_TEMPLATE,
      RoleARN: SERVICE_ROLE,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    later(w.world);
    expect(await w.status()).toBe('ROLLBACK_COMPLETE');
    const events = (await w.call<{ StackEvents: Resource[] }>('DescribeStackEvents', { StackName: 'app' }))
      .StackEvents;
    const failed = events.find(
      (e) => e.LogicalResourceId === 'AppRole' && e.ResourceStatus === 'CREATE_FAILED',
    );
    expect(failed?.ResourceStatusReason).toMatch(
      new RegExp(
        `^Resource handler returned message: "User: arn:aws:sts::${MEMBER}:assumed-role/StackFleetCloudFormation/AWSCloudFormation is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${MEMBER}:role/StackFleet-App because no identity-based policy allows the iam:CreateRole action \\(Service: Iam, Status Code: 403, Request ID: [0-9a-f-]+\\)" \\(RequestToken: [0-9a-f-]+, HandlerErrorCode: AccessDenied\\)$`,
      ),
    );
    expect(findRole(iamSection(w.world), MEMBER, 'StackFleet-App')).toBeUndefined();
  });
});

describe('what a stack creates takes effect', () => {
  it('a role the stack creates can be assumed as its trust says, its policy allows what it says, and deleting the stack removes it', async () => {
    const w = await world(
      allow(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRole', 'iam:DeleteRolePolicy']),
    );
    await w.call('CreateStack', {
      StackName: 'app',
      TemplateBody: ROLE_TEMPLATE,
      RoleARN: SERVICE_ROLE,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    later(w.world);
    // Before anyone reads the stack, settleDue (called by the request path) makes it take effect.
    expect(findRole(iamSection(w.world), MEMBER, 'StackFleet-App')).toBeUndefined();
    expect(settleDue(w.world, w.world.now())).toBe(1);
    const role = findRole(iamSection(w.world), MEMBER, 'StackFleet-App');
    expect(role?.managedBy?.logicalId).toBe('AppRole');
    const assume = (who: string) =>
      decide(
        w.world,
        resolvePrincipal(w.world, sessionOf(MEMBER, who)),
        {
          action: 'sts:AssumeRole',
          resource: role?.arn ?? '',
          resourcePolicy: role?.trustPolicy ?? '',
          resourcePolicyMode: 'role-trust',
        },
        { region: REGION, now: w.world.now() },
      ).decision.effect;
    expect(assume('Deployer')).toBe('Allow');
    expect(assume('StackFleetCloudFormation')).toBe('Deny');
    // A session of the role carries the role's policies as IAM holds them at the time of the call.
    const read = (resource: string) =>
      decide(
        w.world,
        resolvePrincipal(w.world, sessionOf(MEMBER, 'StackFleet-App')),
        { action: 's3:GetObject', resource },
        { region: REGION, now: w.world.now() },
      ).decision.effect;
    expect(read('arn:aws:s3:::reports/2026.csv')).toBe('Allow');
    expect(read('arn:aws:s3:::secrets/key')).toBe('Deny');

    await w.call('DeleteStack', { StackName: 'app' });
    later(w.world);
    settleDue(w.world, w.world.now());
    expect(findRole(iamSection(w.world), MEMBER, 'StackFleet-App')).toBeUndefined();
    expect(read('arn:aws:s3:::reports/2026.csv')).toBe('Deny');
  });

  it('a bucket policy a stack creates lets another account of the organisation read an object (cross-account GetObject)', async () => {
    const { sandbox, world } = await openWorld();
    const template = `Resources:
  Shared:
    Type: AWS::S3::Bucket
    Properties: { BucketName: shared-templates-admin }
  SharedPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Shared
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: [s3:GetObject, s3:GetObjectVersion]
            Resource: !Sub "\${Shared.Arn}/*"
            Condition: { StringEquals: { "aws:PrincipalOrgID": "${ORG_ID}" } }
`;
    await cfnAs(sandbox, rootOf(ADMIN), 'CreateStack', { StackName: 'shared', TemplateBody: template });
    later(world);
    settleDue(world, world.now());
    expect(bucketPolicyOf(world, 'shared-templates-admin')).toContain('aws:PrincipalOrgID');
    const versionId = givenObject(world, {
      bucket: 'shared-templates-admin',
      owner: ADMIN,
      key: 't.yaml',
      body: 'Resources:\n  Nothing:\n    Type: AWS::CloudFormation::WaitConditionHandle\n',
    });
    givenRole(
      world,
      MEMBER,
      'Reader',
      { Version: '2012-10-17', Statement: [] },
      {
        Read: allow(['s3:GetObject', 's3:GetObjectVersion', 'cloudformation:*']),
      },
    );
    const url = `https://shared-templates-admin.s3.${REGION}.amazonaws.com/t.yaml?versionId=${versionId}`;
    const created = await cfnAs<{ StackId: string }>(sandbox, sessionOf(MEMBER, 'Reader'), 'CreateStack', {
      StackName: 'from-shared',
      TemplateURL: url,
    });
    expect(created.StackId).toContain(`:${MEMBER}:`);
    // Deleting the admin stack removes the policy: the same read is refused again.
    await cfnAs(sandbox, rootOf(ADMIN), 'DeleteStack', { StackName: 'shared' });
    later(world);
    settleDue(world, world.now());
    expect(bucketPolicyOf(world, 'shared-templates-admin')).toBeUndefined();
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'Reader'), 'CreateStack', { StackName: 'again', TemplateURL: url }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^S3 error: Access Denied/),
    });
  });

  it('a key policy that would lock the creator out fails CreateKey (KMS API Reference, BypassPolicyLockoutSafetyCheck)', async () => {
    const w = await world(allow(['kms:*']));
    const template = `Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: "arn:aws:iam::${MEMBER}:role/Deployer" }
            Action: kms:*
            Resource: "*"
`;
    await w.call('CreateStack', { StackName: 'app', TemplateBody: template, RoleARN: SERVICE_ROLE });
    later(w.world);
    expect(await w.status()).toBe('ROLLBACK_COMPLETE');
    const events = (await w.call<{ StackEvents: Resource[] }>('DescribeStackEvents', { StackName: 'app' }))
      .StackEvents;
    expect(events.find((e) => e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toContain(
      'The new key policy will not allow you to update the key policy in the future. (Service: Kms, Status Code: 400',
    );
  });

  it('a later update without RoleARN uses the stack role with no iam:PassRole (the guide: "regardless of whether those users have the iam:PassRole permission")', async () => {
    const w = await world(allow(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy']));
    await w.call('CreateStack', {
      StackName: 'app',
      TemplateBody: ROLE_TEMPLATE,
      RoleARN: SERVICE_ROLE,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    later(w.world);
    givenRole(
      w.world,
      MEMBER,
      'Operator',
      { Version: '2012-10-17', Statement: [] },
      { Stacks: allow('cloudformation:*') },
    );
    await cfnAs(w.sandbox, sessionOf(MEMBER, 'Operator'), 'UpdateStack', {
      StackName: 'app',
      TemplateBody: ROLE_TEMPLATE.replace('reports/*', 'reports/2026/*'),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    later(w.world);
    expect(await w.status()).toBe('UPDATE_COMPLETE');
    settleDue(w.world, w.world.now());
    expect(findRole(iamSection(w.world), MEMBER, 'StackFleet-App')?.inlinePolicies.ReadReports).toContain(
      'reports/2026/*',
    );
  });

  it('without a RoleARN the resources are made with the caller own permissions, through CloudFormation (aws:CalledVia)', async () => {
    const { sandbox, world } = await openWorld();
    // Allowed to create roles only through CloudFormation (IAM User Guide, aws:CalledVia).
    givenRole(
      world,
      MEMBER,
      'Builder',
      { Version: '2012-10-17', Statement: [] },
      {
        Stacks: allow('cloudformation:*'),
        RolesViaCfn: allow(['iam:CreateRole', 'iam:PutRolePolicy'], '*', {
          'ForAnyValue:StringEquals': { 'aws:CalledVia': 'cloudformation.amazonaws.com' },
        } as never),
      },
    );
    givenRole(
      world,
      MEMBER,
      'Viewer',
      { Version: '2012-10-17', Statement: [] },
      { Stacks: allow('cloudformation:*') },
    );
    const params = { TemplateBody: ROLE_TEMPLATE, Capabilities: ['CAPABILITY_NAMED_IAM'] };
    await cfnAs(sandbox, sessionOf(MEMBER, 'Builder'), 'CreateStack', { StackName: 'built', ...params });
    await cfnAs(sandbox, sessionOf(MEMBER, 'Viewer'), 'CreateStack', {
      StackName: 'viewed',
      ...params,
      TemplateBody: ROLE_TEMPLATE.replace('StackFleet-App', 'StackFleet-Other'),
    });
    later(world);
    const statusOf = async (who: string, name: string) =>
      (
        await cfnAs<{ Stacks: Array<{ StackStatus: string }> }>(
          sandbox,
          sessionOf(MEMBER, who),
          'DescribeStacks',
          {
            StackName: name,
          },
        )
      ).Stacks[0]?.StackStatus;
    expect(await statusOf('Builder', 'built')).toBe('CREATE_COMPLETE');
    expect(await statusOf('Viewer', 'viewed')).toBe('ROLLBACK_COMPLETE');
    const events = (
      await cfnAs<{ StackEvents: Resource[] }>(sandbox, sessionOf(MEMBER, 'Viewer'), 'DescribeStackEvents', {
        StackName: 'viewed',
      })
    ).StackEvents;
    expect(events.find((e) => e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toContain(
      `User: arn:aws:sts::${MEMBER}:assumed-role/Viewer/test is not authorized to perform: iam:CreateRole`,
    );
  });
});
