/**
 * The sandbox's CloudFormation driven only through the real `CloudFormationClient` (and the
 * real S3 and STS clients for templates and member accounts): what a user of stackfleet would
 * see against AWS, from stack creation to failed creates, continue-rollback, change sets and
 * drift repair.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  ContinueUpdateRollbackCommand,
  CreateChangeSetCommand,
  CreateStackCommand,
  type CreateStackCommandInput,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  DetectStackResourceDriftCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  GetTemplateSummaryCommand,
  ListChangeSetsCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  paginateDescribeStackEvents,
  type StackEvent,
  UpdateStackCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { ORGANIZATION_ACCESS_ROLE } from '../../src/sandbox/admin/bootstrap';
import { injectResourceFailure, markDrifted } from '../../src/sandbox/cfn/faults';
import { Sandbox } from '../../src/sandbox/sandbox';
import { demoScenario, validateScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';

// The trail's bucket and key carry the policies CloudTrail's guide requires
// (create-s3-bucket-policy-for-cloudtrail, create-kms-key-policy-for-cloudtrail): without them
// CreateTrail fails on AWS, and so it does here.
const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: integration baseline
Parameters:
  HomeRegion: {Type: String, Default: eu-west-1}
  Retention: {Type: Number, Default: 90, AllowedValues: [30, 90, 365]}
Conditions:
  IsHome: !Equals [!Ref 'AWS::Region', !Ref HomeRegion]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: baseline key
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: AccountAdministers
            Effect: Allow
            Principal: {AWS: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root'}
            Action: 'kms:*'
            Resource: '*'
          - Sid: CloudTrailEncryptsLogs
            Effect: Allow
            Principal: {Service: cloudtrail.amazonaws.com}
            Action: 'kms:GenerateDataKey*'
            Resource: '*'
            Condition:
              StringEquals: {'aws:SourceAccount': !Ref 'AWS::AccountId'}
              StringLike:
                'kms:EncryptionContext:aws:cloudtrail:arn': !Sub 'arn:\${AWS::Partition}:cloudtrail:*:\${AWS::AccountId}:trail/*'
          - Sid: CloudTrailDescribesKey
            Effect: Allow
            Principal: {Service: cloudtrail.amazonaws.com}
            Action: 'kms:DescribeKey'
            Resource: '*'
  TrailBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub 'trail-\${AWS::AccountId}-\${AWS::Region}'
  TrailBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Condition: IsHome
    Properties:
      Bucket: !Ref TrailBucket
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: CloudTrailAclCheck
            Effect: Allow
            Principal: {Service: cloudtrail.amazonaws.com}
            Action: 's3:GetBucketAcl'
            Resource: !GetAtt TrailBucket.Arn
            Condition: {StringEquals: {'aws:SourceAccount': !Ref 'AWS::AccountId'}}
          - Sid: CloudTrailWrite
            Effect: Allow
            Principal: {Service: cloudtrail.amazonaws.com}
            Action: 's3:PutObject'
            Resource: !Sub '\${TrailBucket.Arn}/AWSLogs/\${AWS::AccountId}/*'
            Condition:
              StringEquals:
                'aws:SourceAccount': !Ref 'AWS::AccountId'
                's3:x-amz-acl': bucket-owner-full-control
  Trail:
    Type: AWS::CloudTrail::Trail
    Condition: IsHome
    DependsOn: TrailBucketPolicy
    Properties:
      TrailName: org-trail
      S3BucketName: !Ref TrailBucket
      KMSKeyId: !GetAtt Key.Arn
      IsLogging: true
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: !Ref Retention}
  AuditPolicy:
    Type: AWS::IAM::ManagedPolicy
    Condition: IsHome
    Properties:
      ManagedPolicyName: stackfleet-audit
      PolicyDocument: {Version: '2012-10-17', Statement: []}
Outputs:
  BucketName: {Value: !Ref TrailBucket}
`;

const MEMBER = '222222222222';

function scenario(): Scenario {
  const base = demoScenario();
  const s: Scenario = {
    ...base,
    seed: 7,
    // An organisation of its own: the demo's SCPs and delegations name the demo's accounts.
    organization: {
      id: base.organization.id,
      rootId: base.organization.rootId,
      managementAccountId: '111111111111',
      ous: [],
      accounts: [
        { id: '111111111111', name: 'management' },
        { id: MEMBER, name: 'member' },
        { id: '333333333333', name: 'other' },
      ],
    },
    regions: ['eu-west-1', 'us-east-1'],
    optInRegions: ['af-south-1'],
    durations: { default: [5, 15], 'AWS::KMS::Key': 40 },
    faults: {
      resourceFailures: [
        {
          accounts: ['333333333333'],
          regions: ['us-east-1'],
          logicalId: 'TrailBucket',
          reason: 'bucket already exists',
        },
      ],
    },
  };
  delete s.externalId;
  return validateScenario(s, 'integration scenario');
}

const admin = { accessKeyId: 'test', secretAccessKey: 'test' };
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function open(transport: 'in-process' | 'http' = 'in-process') {
  const sandbox = await Sandbox.open({ stateDir: null, scenario: scenario() });
  let url: string | undefined;
  if (transport === 'http') {
    const server = await sandbox.listen(0);
    closers.push(server.close);
    url = server.url;
  }
  const config = (credentials: AwsCredentialIdentity, region = 'eu-west-1') => ({
    region,
    credentials,
    maxAttempts: 1,
    ...(url
      ? { endpoint: url, forcePathStyle: true }
      : { requestHandler: sandbox.requestHandler() as never }),
  });
  // The management account reaches a member through the role Organizations made there
  // (Organizations User Guide, orgs_manage_accounts_access), as an operator would.
  const assume = async (account: string): Promise<AwsCredentialIdentity> => {
    const sts = new STSClient(config(admin, 'us-east-1'));
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/${ORGANIZATION_ACCESS_ROLE}`,
        RoleSessionName: 'integration',
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  };
  const member = await assume(MEMBER);
  const cfn = (region = 'eu-west-1', credentials: AwsCredentialIdentity = member) =>
    new CloudFormationClient(config(credentials, region));
  /** A few minutes later: every running operation has settled (assumed-role sessions last an hour). */
  const later = (ms = 300_000) => sandbox.world.advance(ms);
  return { sandbox, config, assume, cfn, later, member };
}

/** The CreateStack request of the baseline these tests work on; `extra` adds or replaces fields. */
function createBaseline(extra: Partial<CreateStackCommandInput> = {}) {
  return new CreateStackCommand({
    StackName: 'baseline',
    TemplateBody: TEMPLATE,
    Capabilities: ['CAPABILITY_NAMED_IAM'],
    ...extra,
  });
}

/** {@link open}, plus a member's client in eu-west-1 whose baseline stack has been created and has settled. */
async function openWithBaseline(transport?: 'in-process' | 'http') {
  const opened = await open(transport);
  const client = opened.cfn();
  await client.send(createBaseline());
  opened.later();
  return { ...opened, client };
}

async function stackOf(client: CloudFormationClient, name = 'baseline') {
  const out = await client.send(new DescribeStacksCommand({ StackName: name }));
  const stack = out.Stacks?.[0];
  if (!stack) throw new Error('no stack');
  return stack;
}

async function allEvents(client: CloudFormationClient, name = 'baseline'): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  for await (const page of paginateDescribeStackEvents({ client }, { StackName: name }))
    events.push(...(page.StackEvents ?? []));
  return events;
}

describe('sandbox CloudFormation through the real SDK client', () => {
  it('creates a stack in the assumed account, updates it, refuses a no-op update, and deletes it', async () => {
    const { cfn, later, config } = await open();
    const client = cfn();
    const { StackId } = await client.send(createBaseline({ ClientRequestToken: 'create-1' }));
    expect(StackId).toContain(`:${MEMBER}:stack/baseline/`);
    expect((await stackOf(client)).StackStatus).toBe('CREATE_IN_PROGRESS');
    // The management account does not see the member's stack.
    await expect(
      new CloudFormationClient(config(admin)).send(new DescribeStacksCommand({ StackName: 'baseline' })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id baseline does not exist',
    });
    later();
    const created = await stackOf(client);
    expect(created.StackStatus).toBe('CREATE_COMPLETE');
    expect(created.CreationTime).toBeInstanceOf(Date);
    expect(created.Outputs).toEqual([{ OutputKey: 'BucketName', OutputValue: `trail-${MEMBER}-eu-west-1` }]);
    const events = await allEvents(client);
    expect(events[0]).toMatchObject({
      LogicalResourceId: 'baseline',
      ResourceStatus: 'CREATE_COMPLETE',
      ClientRequestToken: 'create-1',
    });
    expect(
      events.find((e) => e.LogicalResourceId === 'Key' && e.ResourceStatus === 'CREATE_COMPLETE')
        ?.PhysicalResourceId,
    ).toMatch(/^[0-9a-f-]{36}$/);

    await client.send(
      new UpdateStackCommand({
        StackName: 'baseline',
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [{ ParameterKey: 'Retention', ParameterValue: '365' }],
      }),
    );
    expect((await stackOf(client)).StackStatus).toBe('UPDATE_IN_PROGRESS');
    later();
    const updated = await stackOf(client);
    expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
    expect(updated.Parameters).toContainEqual({ ParameterKey: 'Retention', ParameterValue: '365' });
    const noop = client.send(
      new UpdateStackCommand({
        StackName: 'baseline',
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [{ ParameterKey: 'Retention', UsePreviousValue: true }],
      }),
    );
    await expect(noop).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'No updates are to be performed.',
    });

    await client.send(new DeleteStackCommand({ StackName: 'baseline' }));
    later();
    await expect(client.send(new DescribeStacksCommand({ StackName: 'baseline' }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
    const deleted = await client.send(new DescribeStacksCommand({ StackName: StackId }));
    expect(deleted.Stacks?.[0]?.StackStatus).toBe('DELETE_COMPLETE');
    const list = await client.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));
    expect(list.StackSummaries?.map((s) => s.StackId)).toEqual([StackId]);
  });

  it('a failed create ends ROLLBACK_COMPLETE with the first failed resource in the events; then only delete works', async () => {
    const { cfn, later, assume } = await open();
    const client = cfn('us-east-1', await assume('333333333333'));
    await client.send(createBaseline());
    later();
    const stack = await stackOf(client);
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const events = await allEvents(client);
    const firstFailed = [...events].reverse().find((e) => e.ResourceStatus?.endsWith('_FAILED'));
    expect(firstFailed).toMatchObject({
      LogicalResourceId: 'TrailBucket',
      ResourceStatusReason: 'bucket already exists',
    });
    await expect(
      client.send(new UpdateStackCommand({ StackName: 'baseline', TemplateBody: TEMPLATE })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: `Stack:${stack.StackId} is in ROLLBACK_COMPLETE state and can not be updated.`,
    });
    await client.send(new DeleteStackCommand({ StackName: 'baseline' }));
    later();
    await expect(client.send(new DescribeStacksCommand({ StackName: 'baseline' }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('refuses IAM resources without the capability, with the error class the SDK knows', async () => {
    const { cfn } = await open();
    const error = await cfn()
      .send(createBaseline({ Capabilities: ['CAPABILITY_IAM'] }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InsufficientCapabilitiesException',
      message: 'Requires capabilities : [CAPABILITY_NAMED_IAM]',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      cfn('us-east-1').send(
        createBaseline({ Parameters: [{ ParameterKey: 'Retention', ParameterValue: '7' }] }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: "Parameter 'Retention' must be one of AllowedValues",
    });
    const validated = await cfn().send(new ValidateTemplateCommand({ TemplateBody: TEMPLATE }));
    expect(validated.Capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    expect(validated.Parameters?.map((p) => p.ParameterKey)).toEqual(['HomeRegion', 'Retention']);
  });

  it('honours ClientRequestToken: a retried UpdateStack starts no second operation', async () => {
    const { client, later } = await openWithBaseline();
    const update = new UpdateStackCommand({
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: [{ ParameterKey: 'Retention', ParameterValue: '30' }],
      ClientRequestToken: 'update-7',
    });
    const first = await client.send(update);
    const retry = await client.send(update);
    expect(retry.StackId).toBe(first.StackId);
    later();
    const starts = (await allEvents(client)).filter(
      (e) => e.LogicalResourceId === 'baseline' && e.ResourceStatus === 'UPDATE_IN_PROGRESS',
    );
    expect(starts).toHaveLength(1);
    expect(starts[0]?.ClientRequestToken).toBe('update-7');
  });

  it('reads the template from S3 by versionId (virtual-hosted and path-style URLs)', async () => {
    const { cfn, later, config } = await open();
    const s3 = new S3Client(config(admin, 'eu-west-1'));
    await s3.send(new CreateBucketCommand({ Bucket: 'stackfleet-artifacts' }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'stackfleet-artifacts',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const v1 = await s3.send(
      new PutObjectCommand({ Bucket: 'stackfleet-artifacts', Key: 'baseline/template.yaml', Body: TEMPLATE }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'stackfleet-artifacts',
        Key: 'baseline/template.yaml',
        Body: 'Resources: {}',
      }),
    );
    expect(v1.VersionId).toBeDefined();
    const client = cfn();
    const byVersion = `https://stackfleet-artifacts.s3.eu-west-1.amazonaws.com/baseline/template.yaml?versionId=${v1.VersionId}`;
    await expect(
      client.send(new CreateStackCommand({ StackName: 'baseline', TemplateURL: byVersion })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('S3 error: Access Denied'),
    });
    // The bucket is the management account's and CloudFormation reads TemplateURL with the
    // member's permissions: the bucket policy must let the member read the template's versions
    // (S3 User Guide, example-walkthroughs-managing-access-example2: cross-account access needs
    // the bucket policy and the caller's own policy).
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'stackfleet-artifacts',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'MemberReadsTemplates',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${MEMBER}:root` },
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Resource: 'arn:aws:s3:::stackfleet-artifacts/*',
            },
          ],
        }),
      }),
    );
    await client.send(
      new CreateStackCommand({
        StackName: 'baseline',
        TemplateURL: byVersion,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    later();
    expect((await client.send(new GetTemplateCommand({ StackName: 'baseline' }))).TemplateBody).toBe(
      TEMPLATE,
    );
    // The latest version is not a valid template.
    await expect(
      client.send(
        new CreateStackCommand({
          StackName: 'latest',
          TemplateURL: 'https://s3.eu-west-1.amazonaws.com/stackfleet-artifacts/baseline/template.yaml',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Template format error: At least one Resources member must be defined.',
    });
    await expect(
      client.send(
        new CreateStackCommand({
          StackName: 'missing',
          TemplateURL: 'https://stackfleet-artifacts.s3.amazonaws.com/baseline/template.yaml?versionId=nope',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'TemplateURL must reference a valid S3 object to which you have access.',
    });
  });

  it('continues an UPDATE_ROLLBACK_FAILED rollback to UPDATE_ROLLBACK_COMPLETE', async () => {
    const { client, sandbox, later } = await openWithBaseline();
    injectResourceFailure(sandbox.world, { accounts: [MEMBER], logicalId: 'Logs', on: 'update', times: 1 });
    injectResourceFailure(sandbox.world, {
      accounts: [MEMBER],
      logicalId: 'Logs',
      on: 'rollback',
      times: 1,
      reason: 'log group busy',
    });
    await client.send(
      new UpdateStackCommand({
        StackName: 'baseline',
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [{ ParameterKey: 'Retention', ParameterValue: '30' }],
      }),
    );
    later();
    expect((await stackOf(client)).StackStatus).toBe('UPDATE_ROLLBACK_FAILED');
    await client.send(new ContinueUpdateRollbackCommand({ StackName: 'baseline' }));
    later();
    const stack = await stackOf(client);
    expect(stack.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(stack.Parameters).toContainEqual({ ParameterKey: 'Retention', ParameterValue: '90' });
  });

  it('previews a change with a change set (diff with replacement), changes nothing, then executes it', async () => {
    const { client, later } = await openWithBaseline();
    const before = await stackOf(client);
    const v2 = TEMPLATE.replace('TrailName: org-trail', 'TrailName: org-trail-v2').replace(
      'IsLogging: true',
      'IsLogging: false',
    );
    const { Id } = await client.send(
      new CreateChangeSetCommand({
        StackName: 'baseline',
        ChangeSetName: 'preview',
        TemplateBody: v2,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    later(30_000);
    const cs = await client.send(new DescribeChangeSetCommand({ ChangeSetName: Id }));
    expect(cs.Status).toBe('CREATE_COMPLETE');
    expect(cs.Changes).toHaveLength(1);
    const change = cs.Changes?.[0]?.ResourceChange;
    expect(change).toMatchObject({
      Action: 'Modify',
      LogicalResourceId: 'Trail',
      ResourceType: 'AWS::CloudTrail::Trail',
      Replacement: 'True',
    });
    expect(change?.Details?.map((d) => [d.Target?.Name, d.Target?.RequiresRecreation]).sort()).toEqual([
      ['IsLogging', 'Never'],
      ['TrailName', 'Always'],
    ]);
    const after = await stackOf(client);
    expect(after.LastUpdatedTime).toEqual(before.LastUpdatedTime);
    expect(after.StackStatus).toBe('CREATE_COMPLETE');

    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: 'preview', StackName: 'baseline' }));
    later();
    expect((await stackOf(client)).StackStatus).toBe('UPDATE_COMPLETE');
    await expect(
      client.send(new DescribeChangeSetCommand({ ChangeSetName: 'gone', StackName: 'baseline' })),
    ).rejects.toMatchObject({
      name: 'ChangeSetNotFoundException',
    });
  });

  it('previews a new stack (all Add) and cleans up, leaving no stack', async () => {
    const { cfn, later } = await open();
    const client = cfn('us-east-1');
    await client.send(
      new CreateChangeSetCommand({
        StackName: 'baseline',
        ChangeSetName: 'new',
        ChangeSetType: 'CREATE',
        TemplateBody: TEMPLATE,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    later(30_000);
    const cs = await client.send(
      new DescribeChangeSetCommand({ ChangeSetName: 'new', StackName: 'baseline' }),
    );
    expect(
      cs.Changes?.map((c) => [c.ResourceChange?.Action, c.ResourceChange?.LogicalResourceId]).sort(),
    ).toEqual([
      ['Add', 'Key'],
      ['Add', 'Logs'],
      ['Add', 'TrailBucket'],
    ]);
    await client.send(new DeleteChangeSetCommand({ ChangeSetName: 'new', StackName: 'baseline' }));
    await client.send(new DeleteStackCommand({ StackName: 'baseline' }));
    later();
    await expect(client.send(new DescribeStacksCommand({ StackName: 'baseline' }))).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('detects drift and repairs it with a REVERT_DRIFT change set', async () => {
    const { client, sandbox, later } = await openWithBaseline();
    markDrifted(sandbox.world, MEMBER, 'eu-west-1', 'baseline', 'Trail', {
      property: 'IsLogging',
      actual: 'false',
    });
    const detect = async () => {
      const { StackDriftDetectionId } = await client.send(
        new DetectStackDriftCommand({ StackName: 'baseline' }),
      );
      later(60_000);
      return client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
    };
    expect(await detect()).toMatchObject({
      DetectionStatus: 'DETECTION_COMPLETE',
      StackDriftStatus: 'DRIFTED',
      DriftedStackResourceCount: 1,
    });
    const drifts = await client.send(
      new DescribeStackResourceDriftsCommand({
        StackName: 'baseline',
        StackResourceDriftStatusFilters: ['MODIFIED'],
      }),
    );
    expect(drifts.StackResourceDrifts?.[0]).toMatchObject({
      LogicalResourceId: 'Trail',
      StackResourceDriftStatus: 'MODIFIED',
      PropertyDifferences: [
        {
          PropertyPath: '/IsLogging',
          ExpectedValue: 'true',
          ActualValue: 'false',
          DifferenceType: 'NOT_EQUAL',
        },
      ],
    });
    await client.send(
      new CreateChangeSetCommand({
        StackName: 'baseline',
        ChangeSetName: 'repair',
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        DeploymentMode: 'REVERT_DRIFT',
      }),
    );
    later(30_000);
    const cs = await client.send(
      new DescribeChangeSetCommand({ ChangeSetName: 'repair', StackName: 'baseline' }),
    );
    expect(cs.DeploymentMode).toBe('REVERT_DRIFT');
    expect(cs.Changes?.[0]?.ResourceChange).toMatchObject({
      LogicalResourceId: 'Trail',
      ResourceDriftStatus: 'MODIFIED',
    });
    await client.send(new ExecuteChangeSetCommand({ ChangeSetName: 'repair', StackName: 'baseline' }));
    later();
    expect((await stackOf(client)).StackStatus).toBe('UPDATE_COMPLETE');
    expect(await detect()).toMatchObject({ StackDriftStatus: 'IN_SYNC' });
  });

  it('works the same over HTTP', async () => {
    const { client } = await openWithBaseline('http');
    expect((await stackOf(client)).StackStatus).toBe('CREATE_COMPLETE');
    const events = await client.send(new DescribeStackEventsCommand({ StackName: 'baseline' }));
    expect(events.StackEvents?.[0]?.ResourceStatus).toBe('CREATE_COMPLETE');
    await expect(client.send(createBaseline())).rejects.toMatchObject({
      name: 'AlreadyExistsException',
      message: 'Stack [baseline] already exists',
    });
  });

  it('keeps stacks across sandbox restarts (state saved to disk), mid-operation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stackfleet-cfn-'));
    try {
      const first = await Sandbox.open({ stateDir: dir, scenario: scenario(), reset: true });
      const client = new CloudFormationClient({
        region: 'eu-west-1',
        credentials: admin,
        requestHandler: first.requestHandler() as never,
      });
      await client.send(createBaseline());
      first.world.advance(10_000);
      await first.save();

      const second = await Sandbox.open({ stateDir: dir });
      const again = new CloudFormationClient({
        region: 'eu-west-1',
        credentials: admin,
        requestHandler: second.requestHandler() as never,
      });
      expect((await stackOf(again)).StackStatus).toBe('CREATE_IN_PROGRESS');
      second.world.advance(300_000);
      expect((await stackOf(again)).StackStatus).toBe('CREATE_COMPLETE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers the other read operations in the shapes the SDK parses', async () => {
    const { client, sandbox } = await openWithBaseline();
    const summary = await client.send(new GetTemplateSummaryCommand({ StackName: 'baseline' }));
    expect(summary.Parameters?.find((p) => p.ParameterKey === 'Retention')).toMatchObject({
      ParameterType: 'Number',
      DefaultValue: '90',
      ParameterConstraints: { AllowedValues: ['30', '90', '365'] },
    });
    expect(summary.ResourceTypes).toContain('AWS::CloudTrail::Trail');
    const listed = await client.send(new ListStackResourcesCommand({ StackName: 'baseline' }));
    expect(listed.StackResourceSummaries?.map((r) => r.LogicalResourceId).sort()).toEqual([
      'AuditPolicy',
      'Key',
      'Logs',
      'Trail',
      'TrailBucket',
      'TrailBucketPolicy',
    ]);
    const one = await client.send(
      new DescribeStackResourceCommand({ StackName: 'baseline', LogicalResourceId: 'TrailBucket' }),
    );
    expect(one.StackResourceDetail).toMatchObject({
      PhysicalResourceId: `trail-${MEMBER}-eu-west-1`,
      ResourceStatus: 'CREATE_COMPLETE',
      DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
    });
    expect(one.StackResourceDetail?.LastUpdatedTimestamp).toBeInstanceOf(Date);
    markDrifted(sandbox.world, MEMBER, 'eu-west-1', 'baseline', 'Logs', {
      property: 'RetentionInDays',
      actual: '7',
    });
    const drift = await client.send(
      new DetectStackResourceDriftCommand({ StackName: 'baseline', LogicalResourceId: 'Logs' }),
    );
    expect(drift.StackResourceDrift).toMatchObject({ StackResourceDriftStatus: 'MODIFIED' });
    expect(JSON.parse(drift.StackResourceDrift?.ActualProperties ?? '{}')).toEqual({ RetentionInDays: 7 });
    await client.send(
      new CreateChangeSetCommand({
        StackName: 'baseline',
        ChangeSetName: 'a',
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [{ ParameterKey: 'Retention', ParameterValue: '30' }],
      }),
    );
    const sets = await client.send(new ListChangeSetsCommand({ StackName: 'baseline' }));
    expect(sets.Summaries).toEqual([
      expect.objectContaining({
        ChangeSetName: 'a',
        Status: 'CREATE_IN_PROGRESS',
        ExecutionStatus: 'UNAVAILABLE',
      }),
    ]);
  });
});
