/**
 * CloudFormation acts as the caller (CloudFormation User Guide, using-iam-servicerole): its API
 * calls need the caller's `cloudformation:*` permission with the Service Authorization Reference's
 * condition keys, a RoleARN needs iam:PassRole (iam:PassedToService = cloudformation.amazonaws.com),
 * and a TemplateURL is read with the caller's S3 and KMS permissions. Each test fails on the old
 * sandbox, which checked none of it (a member account read the admin account's private objects).
 */
import type { PolicyDocument } from '../../src/sandbox/iam/types';
import { keyArnOf, putKey } from '../../src/sandbox/services/kms-state';
import {
  ADMIN,
  allow,
  cfnAs,
  givenObject,
  givenRole,
  MEMBER,
  ORG_ID,
  OTHER,
  openWorld,
  REGION,
  rootOf,
  sessionOf,
} from '../helpers/cfn-iam';

const TEMPLATE = `Resources:
  Nothing:
    Type: AWS::CloudFormation::WaitConditionHandle
`;
const BUCKET = 'stackfleet-artifacts-admin';
const KEY_ID = '11111111-2222-4333-a444-555555555555';
const KEY_ARN = keyArnOf(ADMIN, REGION, KEY_ID);

/** templates/execution-role.yaml's DriveBaselineStacks statements for template reads, in the member account. */
function executionRolePolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['cloudformation:CreateStack', 'cloudformation:DescribeStacks'],
        Resource: '*',
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
  };
}

/** The admin artifact bucket's policy as infra/lib/artifact-store.ts synthesizes it. */
const ADMIN_BUCKET_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'ExecutionRolesReadTemplates',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: `arn:aws:s3:::${BUCKET}/templates/*`,
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': ORG_ID },
        ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleetExecution' },
      },
    },
  ],
};

/** The admin artifacts key's policy as the CDK app synthesizes it (root, and execution roles through S3). */
function adminKeyPolicy(withExecutionRoles: boolean): string {
  const statements: PolicyDocument['Statement'] = [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ADMIN}:root` }, Action: 'kms:*', Resource: '*' },
  ];
  if (withExecutionRoles) {
    (statements as object[]).push({
      Sid: 'ExecutionRolesDecryptTemplatesThroughS3',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': ORG_ID },
        ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleetExecution' },
        StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' },
      },
    });
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

async function setup(options: { bucketPolicy?: PolicyDocument; keyPolicyAdmitsRoles?: boolean } = {}) {
  const { sandbox, world } = await openWorld();
  putKey(world, {
    accountId: ADMIN,
    region: REGION,
    keyId: KEY_ID,
    policy: adminKeyPolicy(options.keyPolicyAdmitsRoles ?? true),
    now: world.now(),
  });
  const versionId = givenObject(world, {
    bucket: BUCKET,
    owner: ADMIN,
    key: 'templates/baseline.yaml',
    body: TEMPLATE,
    encryption: { sseAlgorithm: 'aws:kms', kmsKeyId: KEY_ARN, bucketKeyEnabled: true },
    ...(options.bucketPolicy ? { policy: options.bucketPolicy } : {}),
  });
  const url = `https://${BUCKET}.s3.${REGION}.amazonaws.com/templates/baseline.yaml?versionId=${versionId}`;
  const trust = { Version: '2012-10-17', Statement: [] } as PolicyDocument;
  givenRole(world, MEMBER, 'StackFleetExecution', trust, { DriveBaselineStacks: executionRolePolicy() });
  givenRole(world, OTHER, 'StackFleetExecution', trust, { DriveBaselineStacks: executionRolePolicy() });
  return { sandbox, world, url };
}

describe('TemplateURL is read with the caller credentials (S3 bucket policy, KMS key policy)', () => {
  it("refuses a member account another account's private template: no bucket policy lets it in (cross-account needs both sides)", async () => {
    const { sandbox, url } = await setup();
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'StackFleetExecution'), 'CreateStack', {
        StackName: 'baseline',
        TemplateURL: url,
      }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^S3 error: Access Denied/),
    });
  });

  it("allows it with the admin bucket's real policy (aws:PrincipalOrgID and the execution role's ARN) and key policy", async () => {
    const { sandbox, url } = await setup({ bucketPolicy: ADMIN_BUCKET_POLICY });
    const created = await cfnAs<{ StackId: string }>(
      sandbox,
      sessionOf(MEMBER, 'StackFleetExecution'),
      'CreateStack',
      {
        StackName: 'baseline',
        TemplateURL: url,
      },
    );
    expect(created.StackId).toContain(`:${MEMBER}:stack/baseline/`);
  });

  it('refuses it when the key policy does not admit the execution roles (SSE-KMS needs kms:Decrypt via S3)', async () => {
    const { sandbox, url } = await setup({ bucketPolicy: ADMIN_BUCKET_POLICY, keyPolicyAdmitsRoles: false });
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'StackFleetExecution'), 'CreateStack', {
        StackName: 'baseline',
        TemplateURL: url,
      }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^S3 error: Access Denied/),
    });
  });

  it('refuses a role that is not the execution role even in the organisation (the policy names the role)', async () => {
    const { sandbox, world, url } = await setup({ bucketPolicy: ADMIN_BUCKET_POLICY });
    givenRole(
      world,
      MEMBER,
      'SomethingElse',
      { Version: '2012-10-17', Statement: [] },
      { Drive: executionRolePolicy() },
    );
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'SomethingElse'), 'CreateStack', {
        StackName: 'baseline',
        TemplateURL: url,
      }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^S3 error: Access Denied/),
    });
  });

  it('lets the bucket owner read its own template through its identity (root) without a bucket policy', async () => {
    const { sandbox, url } = await setup();
    const created = await cfnAs<{ StackId: string }>(sandbox, rootOf(ADMIN), 'CreateStack', {
      StackName: 'own',
      TemplateURL: url,
    });
    expect(created.StackId).toContain(`:${ADMIN}:stack/own/`);
  });
});

describe('the caller needs cloudformation:* and iam:PassRole (CloudFormation User Guide, using-iam-servicerole)', () => {
  it('CreateStack with a RoleARN the caller may not pass answers AccessDenied naming iam:PassRole and the role', async () => {
    const { sandbox, world } = await openWorld();
    givenRole(
      world,
      MEMBER,
      'Deployer',
      { Version: '2012-10-17', Statement: [] },
      { Stacks: allow('cloudformation:*') },
    );
    const roleArn = `arn:aws:iam::${MEMBER}:role/StackFleetCloudFormation`;
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'Deployer'), 'CreateStack', {
        StackName: 'baseline',
        TemplateBody: TEMPLATE,
        RoleARN: roleArn,
      }),
    ).rejects.toMatchObject({
      code: 'AccessDenied',
      message: `User: arn:aws:sts::${MEMBER}:assumed-role/Deployer/test is not authorized to perform: iam:PassRole on resource: ${roleArn} because no identity-based policy allows the iam:PassRole action`,
    });
  });

  it('iam:PassRole only counts for CloudFormation (iam:PassedToService = cloudformation.amazonaws.com)', async () => {
    const { sandbox, world } = await openWorld();
    const roleArn = `arn:aws:iam::${MEMBER}:role/StackFleetCloudFormation`;
    givenRole(
      world,
      MEMBER,
      'Deployer',
      { Version: '2012-10-17', Statement: [] },
      {
        Stacks: allow('cloudformation:*'),
        Pass: allow('iam:PassRole', roleArn, {
          StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' },
        } as never),
      },
    );
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'Deployer'), 'CreateStack', {
        StackName: 's',
        TemplateBody: TEMPLATE,
        RoleARN: roleArn,
      }),
    ).rejects.toMatchObject({ code: 'AccessDenied', message: expect.stringContaining('iam:PassRole') });
  });

  it('CreateStack is authorized on stack/<name>/* with cloudformation:RoleArn (the execution role allows only its service role)', async () => {
    const { sandbox, world } = await openWorld();
    const service = `arn:aws:iam::${MEMBER}:role/StackFleetCloudFormation`;
    givenRole(
      world,
      MEMBER,
      'Deployer',
      { Version: '2012-10-17', Statement: [] },
      {
        Stacks: allow(
          'cloudformation:CreateStack',
          `arn:aws:cloudformation:*:${MEMBER}:stack/stackfleet-*/*`,
          {
            StringEquals: { 'cloudformation:RoleArn': service },
          } as never,
        ),
      },
    );
    await expect(
      cfnAs(sandbox, sessionOf(MEMBER, 'Deployer'), 'CreateStack', {
        StackName: 'stackfleet-baseline',
        TemplateBody: TEMPLATE,
      }),
    ).rejects.toMatchObject({
      code: 'AccessDenied',
      message: expect.stringContaining(
        `cloudformation:CreateStack on resource: arn:aws:cloudformation:${REGION}:${MEMBER}:stack/stackfleet-baseline/*`,
      ),
    });
  });
});
