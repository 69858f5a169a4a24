import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/preview-changes';
import { clearCredentialCache } from '../../src/aws/assume-role';
import {
  capChanges,
  changeSetName,
  groupChanges,
  isNoChangeReason,
  MAX_CHANGES_IN_OUTPUT,
  normaliseChanges,
  planPreview,
  type ResourceChange,
} from '../../src/core/changes';
import type { ModeProgress } from '../../src/core/mode-progress';

describe('planPreview: the change set a stack gets, mirroring deploy', () => {
  test.each([
    [undefined, 'CREATE'],
    ['DELETE_COMPLETE', 'CREATE'],
    ['REVIEW_IN_PROGRESS', 'CREATE'],
    ['CREATE_COMPLETE', 'UPDATE'],
    ['UPDATE_COMPLETE', 'UPDATE'],
    ['UPDATE_ROLLBACK_COMPLETE', 'UPDATE'],
    ['UPDATE_IN_PROGRESS', 'busy'],
    ['DELETE_IN_PROGRESS', 'busy'],
    ['ROLLBACK_COMPLETE', 'blocked'],
    ['UPDATE_ROLLBACK_FAILED', 'blocked'],
    ['DELETE_FAILED', 'blocked'],
  ])('%s -> %s', (status, kind) => {
    expect(planPreview('baseline', status).kind).toBe(kind);
  });

  test('a blocked stack says what a deploy would do instead', () => {
    const plan = planPreview('baseline', 'ROLLBACK_COMPLETE');
    expect(plan).toEqual({
      kind: 'blocked',
      reason: expect.stringMatching(
        /^Stack baseline is ROLLBACK_COMPLETE: a deploy would delete it and create it again/,
      ),
    });
  });
});

describe('changeSetName', () => {
  test('is unique to the rollout and purpose, in the characters CloudFormation allows', () => {
    expect(changeSetName('preview', 'ro-20261127-1a2b3c')).toBe('stackfleet-preview-ro-20261127-1a2b3c');
    expect(changeSetName('repair', 'nightly_drift.2026')).toBe('stackfleet-repair-nightly-drift-2026');
  });

  test('a long rollout id keeps 128 characters and stays distinct', () => {
    const a = changeSetName('preview', `${'x'.repeat(200)}a`);
    const b = changeSetName('preview', `${'x'.repeat(200)}b`);
    expect(a).toHaveLength(128);
    expect(a).toMatch(/^[a-zA-Z][-a-zA-Z0-9]*$/);
    expect(a).not.toBe(b);
  });
});

describe('isNoChangeReason', () => {
  test.each([
    [
      "The submitted information didn't contain changes. Submit different information to create a change set.",
      true,
    ],
    ['No updates are to be performed.', true],
    ['Template format error: Unresolved resource dependencies [Foo]', false],
    [undefined, false],
  ])('%s -> %s', (reason, expected) => {
    expect(isNoChangeReason(reason)).toBe(expected);
  });
});

describe('normaliseChanges', () => {
  test('keeps resource changes, names the changed properties, sorts by logical id', () => {
    const list = normaliseChanges([
      {
        Type: 'Resource',
        ResourceChange: {
          Action: 'Modify',
          LogicalResourceId: 'Trail',
          ResourceType: 'AWS::CloudTrail::Trail',
          Replacement: 'True',
          Details: [
            { Target: { Attribute: 'Properties', Name: 'TrailName' } },
            { Target: { Attribute: 'Properties', Name: 'IsLogging' } },
            { Target: { Attribute: 'Properties', Name: 'TrailName' } },
            { Target: { Attribute: 'Tags' } },
          ],
        },
      },
      {
        Type: 'Resource',
        ResourceChange: { Action: 'Add', LogicalResourceId: 'Audit', ResourceType: 'AWS::SNS::Topic' },
      },
      {
        Type: 'Resource',
        ResourceChange: { Action: 'Remove', LogicalResourceId: 'Legacy', ResourceType: 'AWS::SNS::Topic' },
      },
    ]);
    expect(list).toEqual([
      { action: 'Add', logicalId: 'Audit', type: 'AWS::SNS::Topic' },
      { action: 'Remove', logicalId: 'Legacy', type: 'AWS::SNS::Topic' },
      {
        action: 'Modify',
        logicalId: 'Trail',
        type: 'AWS::CloudTrail::Trail',
        replacement: 'True',
        properties: ['IsLogging', 'Tags', 'TrailName'],
      },
    ]);
  });
});

describe('capChanges', () => {
  test('cuts long lists and property lists but keeps the exact count', () => {
    const many: ResourceChange[] = Array.from({ length: MAX_CHANGES_IN_OUTPUT + 5 }, (_, i) => ({
      action: 'Add',
      logicalId: `R${String(i).padStart(4, '0')}`,
      type: 'AWS::SNS::Topic',
    }));
    const capped = capChanges(many);
    expect(capped.changes).toHaveLength(MAX_CHANGES_IN_OUTPUT);
    expect(capped.changeCount).toBe(MAX_CHANGES_IN_OUTPUT + 5);
    expect(capped.changesTruncated).toBe(true);
    const wide = capChanges(
      [
        {
          action: 'Modify',
          logicalId: 'T',
          type: 'X',
          replacement: 'False',
          properties: ['a', 'b', 'c', 'd'],
        },
      ],
      10,
      2,
    );
    expect(wide.changes[0]?.properties).toEqual(['a', 'b', '(+2 more)']);
    expect(wide.changesTruncated).toBeUndefined();
  });

  test('a list of long changes is cut by size too, so the state stays far below 256 KiB', () => {
    const long: ResourceChange[] = Array.from({ length: 150 }, (_, i) => ({
      action: 'Modify',
      logicalId: `${'L'.repeat(250)}${i}`,
      type: 'AWS::IAM::ManagedPolicy',
      replacement: 'False',
      properties: Array.from({ length: 20 }, (_, p) => `PolicyDocumentStatement${p}Condition`),
    }));
    const capped = capChanges(long);
    expect(Buffer.byteLength(JSON.stringify(capped.changes))).toBeLessThanOrEqual(64 * 1024);
    expect(capped.changes.length).toBeGreaterThan(10);
    expect(capped.changes.length).toBeLessThan(150);
    expect(capped).toMatchObject({ changeCount: 150, changesTruncated: true });
  });
});

describe('groupChanges', () => {
  const modifyTrail: ResourceChange = {
    action: 'Modify',
    logicalId: 'Trail',
    type: 'AWS::CloudTrail::Trail',
    replacement: 'False',
    properties: ['IsLogging'],
  };
  const removeTopic: ResourceChange = { action: 'Remove', logicalId: 'Legacy', type: 'AWS::SNS::Topic' };

  test('identical lists form one group; dangerous groups come first; NO_CHANGE is left out', () => {
    const groups = groupChanges([
      { accountId: '2', region: 'eu-west-1', outcome: 'CHANGES', changes: [modifyTrail] },
      { accountId: '1', region: 'eu-west-1', outcome: 'CHANGES', changes: [modifyTrail] },
      { accountId: '1', region: 'us-east-1', outcome: 'CHANGES', changes: [modifyTrail] },
      { accountId: '3', region: 'eu-west-1', outcome: 'CHANGES', changes: [modifyTrail, removeTopic] },
      { accountId: '4', region: 'eu-west-1', outcome: 'NO_CHANGE' },
    ]);
    expect(groups).toHaveLength(2);
    expect(groups[0]).toMatchObject({
      removals: 1,
      replacements: 0,
      targets: [{ accountId: '3', region: 'eu-west-1' }],
    });
    expect(groups[1]?.targets).toEqual([
      { accountId: '1', region: 'eu-west-1' },
      { accountId: '1', region: 'us-east-1' },
      { accountId: '2', region: 'eu-west-1' },
    ]);
  });
});

/* The handler, with STS and CloudFormation faked. */

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);

const input = {
  rolloutId: 'pv-1',
  mode: 'preview',
  accountId: '123456789012',
  region: 'eu-west-1',
  stackName: 'stackfleet-baseline',
  templateUrl: 'https://my-bucket.s3.us-east-1.amazonaws.com/templates/baseline.yaml?versionId=v2',
  templateVersion: 'v2',
  parameters: { HomeRegion: 'eu-west-1' },
  tags: { Owner: 'security' },
  capabilities: ['CAPABILITY_NAMED_IAM'],
  executionRoleName: 'StackFleetExecution',
  timeoutSeconds: 3600,
};
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/0f0e';
const CS_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/stackfleet-preview-pv-1/1a';

function stack(status: string, version = 'v1'): Stack {
  return {
    StackName: input.stackName,
    StackId: STACK_ID,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(),
    Tags: [
      { Key: 'stackfleet:rollout-id', Value: 'ro-old' },
      { Key: 'stackfleet:template-version', Value: version },
    ],
  };
}

function awsError(name: string, message: string) {
  return new CloudFormationServiceException({
    name,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

function names(): string[] {
  return cfn.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
}

beforeEach(() => {
  sts.reset();
  cfn.reset();
  clearCredentialCache();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAPREVIEW000000001',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 3600_000),
    },
  });
});

describe('Preview changes handler', () => {
  test('an existing stack gets an UPDATE change set with the parameters and tags a deploy would send', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE')] });
    cfn.on(CreateChangeSetCommand).resolves({ Id: CS_ID, StackId: STACK_ID });
    const progress = await handler(input);
    expect(progress).toMatchObject({
      status: 'IN_PROGRESS',
      changeSetId: CS_ID,
      changeSetType: 'UPDATE',
      waitSeconds: 5,
    });
    const sent = cfn.commandCalls(CreateChangeSetCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({
      StackName: 'stackfleet-baseline',
      ChangeSetName: 'stackfleet-preview-pv-1',
      ChangeSetType: 'UPDATE',
      TemplateURL: input.templateUrl,
      Parameters: [{ ParameterKey: 'HomeRegion', ParameterValue: 'eu-west-1' }],
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ClientToken: 'stackfleet-preview-pv-1',
      // The bootstrap's service role: the execution role may create change sets only through it.
      RoleARN: 'arn:aws:iam::123456789012:role/StackFleetCloudFormation',
    });
    // A new version: the stack would carry this rollout's id.
    expect(sent?.Tags).toEqual([
      { Key: 'Owner', Value: 'security' },
      { Key: 'stackfleet:rollout-id', Value: 'pv-1' },
      { Key: 'stackfleet:template-version', Value: 'v2' },
    ]);
    expect(names()).not.toContain('UpdateStackCommand');
  });

  test('the same version keeps the rollout id tag, as a deploy would (a changed tag is a change)', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', 'v2')] });
    cfn.on(CreateChangeSetCommand).resolves({ Id: CS_ID, StackId: STACK_ID });
    await handler(input);
    expect(cfn.commandCalls(CreateChangeSetCommand)[0]?.args[0].input.Tags).toContainEqual({
      Key: 'stackfleet:rollout-id',
      Value: 'ro-old',
    });
  });

  test('a stack another operation holds is retried (StackBusy), a ROLLBACK_COMPLETE one fails with the reason', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    await expect(handler(input)).rejects.toMatchObject({ name: 'StackBusy' });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('ROLLBACK_COMPLETE')] });
    const failed = await handler(input);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'StackFailed' });
    expect(JSON.parse(failed.cause ?? '{}').reason).toMatch(/ROLLBACK_COMPLETE: a deploy would delete it/);
    expect(names()).not.toContain('CreateChangeSetCommand');
  });

  const created: Partial<ModeProgress> = {
    status: 'IN_PROGRESS',
    startedAt: new Date().toISOString(),
    checks: 0,
    polls: 0,
    stackId: STACK_ID,
    changeSetId: CS_ID,
    changeSetType: 'CREATE',
  };

  test('a change set still being made is looked at again later, with a longer wait', async () => {
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_IN_PROGRESS' });
    const progress = await handler({ ...input, stack: created });
    expect(progress).toMatchObject({ status: 'IN_PROGRESS', polls: 1, waitSeconds: 10, checks: 1 });
    expect(names()).toEqual(['DescribeChangeSetCommand']);
  });

  test('a CREATE preview reads every page, deletes the change set and the empty stack it made', async () => {
    cfn
      .on(DescribeChangeSetCommand, { ChangeSetName: CS_ID })
      .resolves({
        Status: 'CREATE_COMPLETE',
        Changes: [
          {
            Type: 'Resource',
            ResourceChange: { Action: 'Add', LogicalResourceId: 'B', ResourceType: 'AWS::SNS::Topic' },
          },
        ],
        NextToken: 'page-2',
      })
      .on(DescribeChangeSetCommand, { ChangeSetName: CS_ID, NextToken: 'page-2' })
      .resolves({
        Status: 'CREATE_COMPLETE',
        Changes: [
          {
            Type: 'Resource',
            ResourceChange: { Action: 'Add', LogicalResourceId: 'A', ResourceType: 'AWS::S3::Bucket' },
          },
        ],
      });
    cfn.on(DeleteChangeSetCommand).resolves({});
    cfn.on(DeleteStackCommand).resolves({});
    const done = await handler({ ...input, stack: created });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.result).toMatchObject({
      outcome: 'CHANGES',
      changeSetType: 'CREATE',
      stackId: '',
      changeCount: 2,
      changes: [
        { action: 'Add', logicalId: 'A', type: 'AWS::S3::Bucket' },
        { action: 'Add', logicalId: 'B', type: 'AWS::SNS::Topic' },
      ],
    });
    expect(names()).toEqual([
      'DescribeChangeSetCommand',
      'DescribeChangeSetCommand',
      'DeleteChangeSetCommand',
      'DeleteStackCommand',
    ]);
  });

  test('"didn\'t contain changes" is NO_CHANGE; an UPDATE preview leaves the stack alone', async () => {
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: 'FAILED',
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
    });
    cfn.on(DeleteChangeSetCommand).resolves({});
    const done = await handler({ ...input, stack: { ...created, changeSetType: 'UPDATE' } });
    expect(done.result).toMatchObject({ outcome: 'NO_CHANGE', stackId: STACK_ID });
    expect(names()).toEqual(['DescribeChangeSetCommand', 'DeleteChangeSetCommand']);
  });

  test("any other FAILED change set fails the target with CloudFormation's reason, after cleaning up", async () => {
    cfn
      .on(DescribeChangeSetCommand)
      .resolves({ Status: 'FAILED', StatusReason: 'Parameter HomeRegion failed to satisfy constraint' });
    cfn.on(DeleteChangeSetCommand).rejects(awsError('ChangeSetNotFound', 'ChangeSet does not exist'));
    const done = await handler({ ...input, stack: { ...created, changeSetType: 'UPDATE' } });
    expect(done).toMatchObject({ status: 'FAILED', error: 'TemplateInvalid' });
    expect(JSON.parse(done.cause ?? '{}')).toMatchObject({
      reason: expect.stringContaining('Parameter HomeRegion failed to satisfy constraint'),
      accountId: input.accountId,
      region: input.region,
    });
  });

  test('refuses a misrouted deploy before any call', async () => {
    const done = await handler({ ...input, mode: 'deploy' });
    expect(done).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(JSON.parse(done.cause ?? '{}').reason).toBe(
      'mode must be preview for Preview changes. Received: deploy',
    );
    expect(sts.calls()).toHaveLength(0);
  });
});
