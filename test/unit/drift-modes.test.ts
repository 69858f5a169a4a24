import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as detectDrift } from '../../functions/detect-drift';
import { handler as repairDrift } from '../../functions/repair-drift';
import { clearCredentialCache } from '../../src/aws/assume-role';
import {
  driftedReason,
  driftFindings,
  normaliseResourceDrifts,
  parseRepairFlag,
  planDrift,
  pollSeconds,
  repairRequestToken,
  runsPinnedTemplate,
} from '../../src/core/drift';
import type { ModeProgress } from '../../src/core/mode-progress';

const VERSION_TAG = 'stackfleet:template-version';

describe('planDrift: converge like a deploy, or detect drift', () => {
  const tagged = (status: string, version?: string) => ({
    StackStatus: status,
    Tags: version === undefined ? [] : [{ Key: VERSION_TAG, Value: version }],
  });
  test.each([
    ['no stack', undefined, 'converge', /does not exist/],
    ['deleted out of band', tagged('DELETE_COMPLETE', 'v1'), 'converge', /does not exist/],
    ['failed first create', tagged('ROLLBACK_COMPLETE', 'v1'), 'converge', /ROLLBACK_COMPLETE, not a usable/],
    ['failed rollback', tagged('UPDATE_ROLLBACK_FAILED', 'v1'), 'converge', /UPDATE_ROLLBACK_FAILED/],
    ['busy', tagged('UPDATE_IN_PROGRESS', 'v1'), 'converge', /UPDATE_IN_PROGRESS/],
    [
      'older version',
      tagged('UPDATE_COMPLETE', 'v0'),
      'converge',
      /on template version v0: updating it to v1/,
    ],
    ['never tagged', tagged('CREATE_COMPLETE'), 'converge', /has no stackfleet:template-version tag/],
    ['pinned version', tagged('UPDATE_COMPLETE', 'v1'), 'detect', /detecting drift/],
    [
      'rolled-back update of the pinned version',
      tagged('UPDATE_ROLLBACK_COMPLETE', 'v1'),
      'detect',
      /detecting/,
    ],
  ])('%s -> %s', (_name, stack, action, reason) => {
    const plan = planDrift('baseline', stack, 'v1');
    expect(plan.action).toBe(action);
    expect(plan.reason).toMatch(reason);
  });
});

describe('planDrift compares parameters and tags with the request, not only the version', () => {
  const current = {
    StackStatus: 'UPDATE_COMPLETE',
    Parameters: [
      { ParameterKey: 'HomeRegion', ParameterValue: 'eu-west-1' },
      { ParameterKey: 'AlertKey', ParameterValue: '****' },
    ],
    Tags: [
      { Key: VERSION_TAG, Value: 'v1' },
      { Key: 'stackfleet:rollout-id', Value: 'ro-1' },
      { Key: 'Owner', Value: 'platform' },
    ],
  };
  const wanted = { parameters: { HomeRegion: 'eu-west-1', AlertKey: 'secret' }, tags: { Owner: 'platform' } };

  test('the same version, parameters and tags: detect drift (a NoEcho value cannot be compared)', () => {
    expect(planDrift('baseline', current, 'v1', wanted).action).toBe('detect');
  });

  test.each([
    [
      'a differing parameter',
      { ...wanted, parameters: { HomeRegion: 'us-east-1' } },
      'parameter HomeRegion is "eu-west-1", the request sets "us-east-1"',
    ],
    [
      'a parameter the stack lacks',
      { ...wanted, parameters: { Retention: '30' } },
      'parameter Retention is (not set), the request sets "30"',
    ],
    [
      'a differing tag',
      { ...wanted, tags: { Owner: 'security' } },
      'tag Owner is "platform", the request sets "security"',
    ],
    [
      'a tag the request drops',
      { ...wanted, tags: {} },
      'tag Owner is "platform", the request does not set it',
    ],
  ])('%s: converge as outdated, naming the difference', (_what, request, difference) => {
    const plan = planDrift('baseline', current, 'v1', request);
    expect(plan).toMatchObject({ action: 'converge', kind: 'outdated' });
    expect(plan.reason).toContain(difference);
  });

  test('another version with differing parameters is not a tag-only difference', () => {
    const plan = planDrift('baseline', current, 'v2', { ...wanted, parameters: { HomeRegion: 'us-east-1' } });
    expect(plan).toMatchObject({ action: 'converge', kind: 'outdated' });
    expect(plan).not.toHaveProperty('versionOnly');
    expect(planDrift('baseline', current, 'v2', wanted)).toMatchObject({ versionOnly: true });
  });
});

describe('runsPinnedTemplate', () => {
  const params = [
    { ParameterKey: 'HomeRegion', ParameterValue: 'eu-west-1' },
    { ParameterKey: 'EnableConfig', ParameterValue: 'true' },
  ];
  test.each([
    ['same bytes, same wanted parameters', 'T', 'T', { HomeRegion: 'eu-west-1' }, true],
    ['same bytes, no parameters set', 'T', 'T', {}, true],
    ['same bytes, a parameter changes', 'T', 'T', { HomeRegion: 'us-east-1' }, false],
    ['same bytes, a new parameter', 'T', 'T', { AlertEmail: 'sec@example.com' }, false],
    ['different bytes', 'T', 'T2', {}, false],
    ['deployed template unknown', undefined, 'T', {}, false],
    ['pinned template unreadable', 'T', undefined, {}, false],
  ])('%s -> %s', (_name, deployed, pinned, wanted, expected) => {
    expect(runsPinnedTemplate(deployed, pinned, params, wanted)).toBe(expected);
  });
});

describe('parseRepairFlag', () => {
  test('absent is false; booleans pass; anything else is refused naming the field', () => {
    expect(parseRepairFlag({})).toBe(false);
    expect(parseRepairFlag({ repair: null })).toBe(false);
    expect(parseRepairFlag({ repair: true })).toBe(true);
    expect(() => parseRepairFlag({ repair: 'yes' })).toThrow('repair must be true or false. Received: "yes"');
  });
});

describe('drift findings', () => {
  const rows = [
    {
      LogicalResourceId: 'Trail',
      ResourceType: 'AWS::CloudTrail::Trail',
      StackResourceDriftStatus: 'MODIFIED',
      PhysicalResourceId: 'baseline-trail',
      PropertyDifferences: [{ PropertyPath: '/IsLogging' }, { PropertyPath: '/EventSelectors' }],
    },
    { LogicalResourceId: 'Bucket', ResourceType: 'AWS::S3::Bucket', StackResourceDriftStatus: 'DELETED' },
    { LogicalResourceId: 'Topic', ResourceType: 'AWS::SNS::Topic', StackResourceDriftStatus: 'IN_SYNC' },
    {
      LogicalResourceId: 'Wait',
      ResourceType: 'AWS::CloudFormation::WaitConditionHandle',
      StackResourceDriftStatus: 'NOT_CHECKED',
    },
  ];

  test('only drifted resources, sorted, with the property paths that differ', () => {
    expect(normaliseResourceDrifts(rows)).toEqual([
      { logicalId: 'Bucket', type: 'AWS::S3::Bucket', status: 'DELETED' },
      {
        logicalId: 'Trail',
        type: 'AWS::CloudTrail::Trail',
        status: 'MODIFIED',
        physicalId: 'baseline-trail',
        properties: ['/EventSelectors', '/IsLogging'],
      },
    ]);
  });

  test('reasons name what drifted; the list is cut but the count is exact', () => {
    const findings = driftFindings(normaliseResourceDrifts(rows), 2);
    expect(findings.repairReason).toBe(
      'Reverted 2 drifted resources to the template with a REVERT_DRIFT change set: Bucket (AWS::S3::Bucket) DELETED; Trail (AWS::CloudTrail::Trail) MODIFIED /EventSelectors, /IsLogging',
    );
    expect(driftedReason(findings)).toMatch(
      /^2 resources drifted from the template \(not repaired: repair is false\): Bucket/,
    );
    const cut = driftFindings(normaliseResourceDrifts(rows), 40, 1);
    expect(cut).toMatchObject({ driftedCount: 40, driftedTruncated: true });
    expect(cut.drifted).toHaveLength(1);
    expect(cut.repairReason).toMatch(/Reverted 40 drifted resources .*and 38 more$/);
  });

  test('repair tokens are deterministic per rollout and target, and differ from deploy tokens', () => {
    expect(repairRequestToken('nightly', '123456789012', 'eu-west-1')).toBe(
      'sf-repair-nightly-123456789012-eu-west-1',
    );
    expect(pollSeconds(0)).toBe(5);
    expect(pollSeconds(2)).toBe(15);
    expect(pollSeconds(50)).toBe(30);
  });
});

/* The handlers, with STS and CloudFormation faked. */

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const body = (text: string) => ({ transformToString: async () => text }) as never;

const input = {
  rolloutId: 'dr-1',
  mode: 'drift',
  repair: true,
  accountId: '123456789012',
  region: 'eu-west-1',
  stackName: 'stackfleet-baseline',
  templateUrl: 'https://my-bucket.s3.us-east-1.amazonaws.com/templates/baseline.yaml?versionId=v1',
  templateVersion: 'v1',
  parameters: {},
  tags: {},
  capabilities: ['CAPABILITY_NAMED_IAM'],
  executionRoleName: 'StackFleetExecution',
  timeoutSeconds: 3600,
};
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/0f0e';
const CS_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/stackfleet-repair-dr-1/1a';

function stack(status = 'UPDATE_COMPLETE', version = 'v1'): Stack {
  return {
    StackName: input.stackName,
    StackId: STACK_ID,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(),
    Tags: [
      { Key: 'stackfleet:rollout-id', Value: 'ro-first' },
      { Key: VERSION_TAG, Value: version },
    ],
  };
}

function names(): string[] {
  return cfn.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
}

beforeEach(() => {
  sts.reset();
  cfn.reset();
  s3.reset();
  clearCredentialCache();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIADRIFT00000000001',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 3600_000),
    },
  });
});

const detecting: Partial<ModeProgress> = {
  status: 'IN_PROGRESS',
  startedAt: new Date().toISOString(),
  checks: 0,
  polls: 0,
  stackId: STACK_ID,
  driftDetectionId: 'det-1',
};

describe('Detect drift handler', () => {
  test('an outdated stack converges without starting a detection', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', 'v0')] });
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: 'Resources: {A: {Type: AWS::SNS::Topic}}' });
    s3.on(GetObjectCommand).resolves({ Body: body('Resources: {B: {Type: AWS::SNS::Topic}}') });
    const progress = await detectDrift(input);
    expect(progress).toMatchObject({ status: 'CONVERGE', stackId: STACK_ID });
    expect(progress.reason).toMatch(/on template version v0: updating it to v1/);
    expect(names()).not.toContain('DetectStackDriftCommand');
  });

  test('the same template published again under a new version is checked for drift, not updated', async () => {
    const same = 'Resources: {A: {Type: AWS::SNS::Topic}}';
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', 'v0')] });
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: same });
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: 'det-1' });
    s3.on(GetObjectCommand).resolves({ Body: body(same) });
    const progress = await detectDrift(input);
    expect(progress).toMatchObject({ status: 'IN_PROGRESS', driftDetectionId: 'det-1' });
    expect(progress.reason).toMatch(/runs the same template and parameters as version v1/);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'my-bucket',
      Key: 'templates/baseline.yaml',
      VersionId: 'v1',
    });
  });

  describe('with repair false nothing is changed, whatever the stack is like', () => {
    test.each([
      ['a stack left in ROLLBACK_COMPLETE', [stack('ROLLBACK_COMPLETE')], 'INOPERABLE', /ROLLBACK_COMPLETE/],
      ['an update in progress', [stack('UPDATE_IN_PROGRESS')], 'INOPERABLE', /UPDATE_IN_PROGRESS/],
      ['no stack', [], 'MISSING', /does not exist/],
      ['another template version', [stack('UPDATE_COMPLETE', 'v0')], 'OUTDATED', /template version v0/],
    ])('%s ends %s after reading only the stack', async (_what, stacks, outcome, reason) => {
      cfn.on(DescribeStacksCommand).resolves({ Stacks: stacks });
      cfn.on(GetTemplateCommand).resolves({ TemplateBody: 'Resources: {A: {Type: AWS::SNS::Topic}}' });
      s3.on(GetObjectCommand).resolves({ Body: body('Resources: {B: {Type: AWS::SNS::Topic}}') });
      const done = await detectDrift({ ...input, repair: false });
      expect(done.status).toBe('SUCCEEDED');
      expect(done.result).toMatchObject({ outcome });
      expect(done.result?.reason).toMatch(reason);
      expect(done.result?.reason).toContain('Not changed (repair is false)');
      // Only reads: no detection started, no stack or change set created, updated or deleted.
      expect(names().filter((n) => !/^(Describe|Get)/.test(n))).toEqual([]);
    });

    test('differing parameters end OUTDATED naming them, instead of IN_SYNC', async () => {
      cfn.on(DescribeStacksCommand).resolves({
        Stacks: [{ ...stack(), Parameters: [{ ParameterKey: 'HomeRegion', ParameterValue: 'eu-west-1' }] }],
      });
      const done = await detectDrift({ ...input, repair: false, parameters: { HomeRegion: 'us-east-1' } });
      expect(done.result).toMatchObject({ outcome: 'OUTDATED' });
      expect(done.result?.reason).toContain(
        'parameter HomeRegion is "eu-west-1", the request sets "us-east-1"',
      );
      expect(names()).not.toContain('DetectStackDriftCommand');
    });
  });

  test('a current stack starts DetectStackDrift', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack()] });
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: 'det-1' });
    const progress = await detectDrift(input);
    expect(progress).toMatchObject({ status: 'IN_PROGRESS', driftDetectionId: 'det-1', waitSeconds: 5 });
  });

  test('IN_SYNC ends the target without reading resources', async () => {
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves({
      DetectionStatus: 'DETECTION_COMPLETE',
      StackDriftStatus: 'IN_SYNC',
    });
    const done = await detectDrift({ ...input, stack: detecting });
    expect(done.result).toMatchObject({ outcome: 'IN_SYNC', stackId: STACK_ID, checks: 1 });
    expect(names()).toEqual(['DescribeStackDriftDetectionStatusCommand']);
  });

  test('DRIFTED with repair reads the drifted resources across pages and hands them to the repair', async () => {
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves({
      DetectionStatus: 'DETECTION_COMPLETE',
      StackDriftStatus: 'DRIFTED',
      DriftedStackResourceCount: 2,
    });
    cfn
      .on(DescribeStackResourceDriftsCommand)
      .resolvesOnce({
        StackResourceDrifts: [
          {
            LogicalResourceId: 'Trail',
            ResourceType: 'AWS::CloudTrail::Trail',
            StackResourceDriftStatus: 'MODIFIED',
          } as never,
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({
        StackResourceDrifts: [
          {
            LogicalResourceId: 'Bucket',
            ResourceType: 'AWS::S3::Bucket',
            StackResourceDriftStatus: 'DELETED',
          } as never,
        ],
      });
    const progress = await detectDrift({ ...input, stack: detecting });
    expect(progress.status).toBe('REPAIR');
    expect(progress.drift?.drifted.map((d) => d.logicalId)).toEqual(['Bucket', 'Trail']);
    expect(
      cfn.commandCalls(DescribeStackResourceDriftsCommand)[0]?.args[0].input.StackResourceDriftStatusFilters,
    ).toEqual(['MODIFIED', 'DELETED']);
  });

  test('DRIFTED with repair false ends DRIFTED, listing the resources', async () => {
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves({
      DetectionStatus: 'DETECTION_COMPLETE',
      StackDriftStatus: 'DRIFTED',
      DriftedStackResourceCount: 1,
    });
    cfn.on(DescribeStackResourceDriftsCommand).resolves({
      StackResourceDrifts: [
        {
          LogicalResourceId: 'Trail',
          ResourceType: 'AWS::CloudTrail::Trail',
          StackResourceDriftStatus: 'MODIFIED',
        } as never,
      ],
    });
    const done = await detectDrift({ ...input, repair: false, stack: detecting });
    expect(done.result).toMatchObject({
      outcome: 'DRIFTED',
      driftedCount: 1,
      drifted: [{ logicalId: 'Trail', status: 'MODIFIED' }],
    });
    expect(done.result?.reason).toMatch(/not repaired/);
  });

  test('a failed detection fails the target with its reason', async () => {
    cfn.on(DescribeStackDriftDetectionStatusCommand).resolves({
      DetectionStatus: 'DETECTION_FAILED',
      DetectionStatusReason: 'Failed to detect drift on resource Trail: access denied',
    });
    const done = await detectDrift({ ...input, stack: detecting });
    expect(done).toMatchObject({ status: 'FAILED', error: 'StackFailed' });
    expect(JSON.parse(done.cause ?? '{}').reason).toContain('access denied');
  });

  test('a non-boolean repair is refused before any call', async () => {
    const done = await detectDrift({ ...input, repair: 'yes' });
    expect(done).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('Repair drift handler', () => {
  const found: Partial<ModeProgress> = {
    status: 'REPAIR',
    startedAt: new Date().toISOString(),
    checks: 1,
    stackId: STACK_ID,
  };

  test('creates a REVERT_DRIFT change set from the pinned template, keeping the rollout id tag', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack()] });
    cfn.on(CreateChangeSetCommand).resolves({ Id: CS_ID, StackId: STACK_ID });
    const progress = await repairDrift({ ...input, stack: found });
    expect(progress).toMatchObject({ status: 'PREPARING', changeSetId: CS_ID });
    expect(cfn.commandCalls(CreateChangeSetCommand)[0]?.args[0].input).toMatchObject({
      StackName: STACK_ID,
      ChangeSetType: 'UPDATE',
      DeploymentMode: 'REVERT_DRIFT',
      TemplateURL: input.templateUrl,
      RoleARN: 'arn:aws:iam::123456789012:role/StackFleetCloudFormation',
      ChangeSetName: 'stackfleet-repair-dr-1',
      Tags: [
        { Key: 'stackfleet:rollout-id', Value: 'ro-first' },
        { Key: VERSION_TAG, Value: 'v1' },
      ],
    });
  });

  test('once the change set is ready, executes it with a token Check stack can follow', async () => {
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE' });
    cfn.on(ExecuteChangeSetCommand).resolves({});
    const progress = await repairDrift({
      ...input,
      stack: { ...found, status: 'PREPARING', changeSetId: CS_ID, polls: 0 },
    });
    expect(progress).toMatchObject({
      status: 'IN_PROGRESS',
      operation: 'UPDATE',
      stackId: STACK_ID,
      clientRequestToken: 'sf-repair-dr-1-123456789012-eu-west-1',
    });
    expect(cfn.commandCalls(ExecuteChangeSetCommand)[0]?.args[0].input).toEqual({
      ChangeSetName: CS_ID,
      ClientRequestToken: 'sf-repair-dr-1-123456789012-eu-west-1',
    });
  });

  test('a change set CloudFormation could not make fails the target and is deleted', async () => {
    cfn
      .on(DescribeChangeSetCommand)
      .resolves({ Status: 'FAILED', StatusReason: 'Resource Trail cannot be reverted' });
    cfn.on(DeleteChangeSetCommand).resolves({});
    const done = await repairDrift({
      ...input,
      stack: { ...found, status: 'PREPARING', changeSetId: CS_ID, polls: 0 },
    });
    expect(done).toMatchObject({ status: 'FAILED', error: 'StackFailed' });
    expect(JSON.parse(done.cause ?? '{}').reason).toContain('Resource Trail cannot be reverted');
    expect(names()).toContain('DeleteChangeSetCommand');
    expect(names()).not.toContain('ExecuteChangeSetCommand');
  });
});
