import { markDrifted } from '../../src/sandbox/cfn/faults';
import { cfnCaller, createTestWorld, testScenario } from '../../src/sandbox/cfn/testing';

const V1 = `Parameters:
  Retention: {Type: Number, Default: 90}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {KeySpec: SYMMETRIC_DEFAULT, Description: logs}
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub 'trail-\${AWS::AccountId}'
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: org-trail
      S3BucketName: !Ref Bucket
      KMSKeyId: !GetAtt Key.Arn
      IsLogging: true
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !Ref Retention
  Old:
    Type: AWS::SNS::Topic
`;

type Change = {
  Type: string;
  ResourceChange: {
    Action: string;
    LogicalResourceId: string;
    ResourceType: string;
    Replacement?: string;
    Scope: string[];
    PhysicalResourceId?: string;
    ResourceDriftStatus?: string;
    Details: Array<{
      Target: {
        Attribute: string;
        Name?: string;
        RequiresRecreation: string;
        BeforeValue?: string;
        AfterValue?: string;
      };
      Evaluation: string;
      ChangeSource: string;
      CausingEntity?: string;
    }>;
  };
};
type DescribedChangeSet = {
  Status: string;
  ExecutionStatus: string;
  StatusReason?: string;
  Changes: Change[];
  NextToken?: string;
  DeploymentMode?: string;
};

function setup(scenario = testScenario()) {
  // These tests are about CloudFormation's schedules and statuses, on templates that AWS itself
  // would refuse (a trail without a bucket policy for CloudTrail): IAM and service rules are
  // off here and tested in test/unit/cfn-iam-*.test.ts.
  const world = createTestWorld({ ...scenario, iam: { enforce: false } });
  const call = cfnCaller(world);
  const describeCs = async (name: string, stack = 'baseline', extra: Record<string, unknown> = {}) => {
    const all: Change[] = [];
    let token: string | undefined;
    let last: DescribedChangeSet;
    do {
      last = await call<DescribedChangeSet>('DescribeChangeSet', {
        ChangeSetName: name,
        StackName: stack,
        ...extra,
        ...(token ? { NextToken: token } : {}),
      });
      all.push(...last.Changes);
      token = last.NextToken;
    } while (token);
    return { ...last, Changes: all };
  };
  const byId = (changes: Change[]) =>
    Object.fromEntries(changes.map((c) => [c.ResourceChange.LogicalResourceId, c.ResourceChange]));
  return { world, call, describeCs, byId };
}

describe('change sets', () => {
  it('a CREATE change set lists every resource as Add and leaves a REVIEW_IN_PROGRESS stack', async () => {
    const { world, call, describeCs, byId } = setup();
    const { Id, StackId } = await call<{ Id: string; StackId: string }>('CreateChangeSet', {
      StackName: 'baseline',
      ChangeSetName: 'preview-1',
      ChangeSetType: 'CREATE',
      TemplateBody: V1,
    });
    expect(Id).toMatch(/^arn:aws:cloudformation:eu-west-1:222222222222:changeSet\/preview-1\//);
    const pending = await describeCs('preview-1');
    expect(pending.Status).toBe('CREATE_IN_PROGRESS');
    expect(pending.Changes).toEqual([]);
    world.advance(10_000);
    const ready = await describeCs(Id, 'ignored-when-arn');
    expect(ready).toMatchObject({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE' });
    expect(Object.values(byId(ready.Changes)).map((c) => c.Action)).toEqual([
      'Add',
      'Add',
      'Add',
      'Add',
      'Add',
    ]);
    const stacks = await call<{ Stacks: Array<{ StackStatus: string; StackId: string }> }>('DescribeStacks', {
      StackName: 'baseline',
    });
    expect(stacks.Stacks[0]).toMatchObject({ StackId, StackStatus: 'REVIEW_IN_PROGRESS' });
    // Deleting the change set and the empty stack leaves nothing behind.
    await call('DeleteChangeSet', { ChangeSetName: 'preview-1', StackName: 'baseline' });
    await call('DeleteStack', { StackName: 'baseline' });
    world.advance(60_000);
    await expect(call('DescribeStacks', { StackName: 'baseline' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
  });

  it('an UPDATE change set diffs the templates: Add/Modify/Remove, replacement rules, changed properties; nothing changes', async () => {
    const { world, call, describeCs, byId } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: V1 });
    world.advance(600_000);
    const before = await call<{ Stacks: Array<{ LastUpdatedTime?: string; StackStatus: string }> }>(
      'DescribeStacks',
      {
        StackName: 'baseline',
      },
    );
    const v2 = V1.replace('trail-${AWS::AccountId}', 'audit-${AWS::AccountId}')
      .replace('IsLogging: true', 'IsLogging: false')
      .replace(
        '  Old:\n    Type: AWS::SNS::Topic\n',
        '  New:\n    Type: AWS::Events::Rule\n    Properties: {Name: drift}\n',
      );
    await call('CreateChangeSet', {
      StackName: 'baseline',
      ChangeSetName: 'next',
      TemplateBody: v2,
      Parameters: [{ ParameterKey: 'Retention', ParameterValue: '365' }],
    });
    world.advance(10_000);
    const cs = await describeCs('next', 'baseline', { IncludePropertyValues: true });
    const changes = byId(cs.Changes);
    expect(changes.New).toMatchObject({ Action: 'Add', ResourceType: 'AWS::Events::Rule' });
    expect(changes.Old).toMatchObject({ Action: 'Remove', ResourceType: 'AWS::SNS::Topic' });
    expect(changes.Bucket).toMatchObject({ Action: 'Modify', Replacement: 'True', Scope: ['Properties'] });
    expect(changes.Bucket?.Details[0]).toMatchObject({
      Target: {
        Attribute: 'Properties',
        Name: 'BucketName',
        RequiresRecreation: 'Always',
        AfterValue: 'audit-222222222222',
      },
      Evaluation: 'Static',
      ChangeSource: 'DirectModification',
    });
    // The trail refers to the bucket being replaced: its S3BucketName change is Dynamic.
    expect(changes.Trail).toMatchObject({ Action: 'Modify', Replacement: 'False' });
    const trailDetails = Object.fromEntries((changes.Trail?.Details ?? []).map((d) => [d.Target.Name, d]));
    expect(trailDetails.S3BucketName).toMatchObject({
      Evaluation: 'Dynamic',
      ChangeSource: 'ResourceReference',
      CausingEntity: 'Bucket',
    });
    expect(trailDetails.IsLogging).toMatchObject({
      Evaluation: 'Static',
      ChangeSource: 'DirectModification',
    });
    expect(changes.Logs?.Details[0]).toMatchObject({
      Target: { Name: 'RetentionInDays', RequiresRecreation: 'Never' },
      ChangeSource: 'ParameterReference',
      CausingEntity: 'Retention',
    });
    expect(changes.Key).toBeUndefined();
    // Previewing changed nothing.
    const after = await call<{ Stacks: Array<{ LastUpdatedTime?: string; StackStatus: string }> }>(
      'DescribeStacks',
      {
        StackName: 'baseline',
      },
    );
    expect(after.Stacks[0]).toEqual(before.Stacks[0]);

    const list = await call<{ Summaries: Array<{ ChangeSetName: string; Status: string }> }>(
      'ListChangeSets',
      {
        StackName: 'baseline',
      },
    );
    expect(list.Summaries).toEqual([
      expect.objectContaining({ ChangeSetName: 'next', Status: 'CREATE_COMPLETE' }),
    ]);

    await call('ExecuteChangeSet', { ChangeSetName: 'next', StackName: 'baseline' });
    world.advance(600_000);
    const executed = await describeCs('next');
    expect(executed.ExecutionStatus).toBe('EXECUTE_COMPLETE');
    const res = await call<{
      StackResources: Array<{ LogicalResourceId: string; PhysicalResourceId: string }>;
    }>('DescribeStackResources', { StackName: 'baseline' });
    expect(res.StackResources.map((r) => r.LogicalResourceId).sort()).toEqual([
      'Bucket',
      'Key',
      'Logs',
      'New',
      'Trail',
    ]);
    expect(res.StackResources.find((r) => r.LogicalResourceId === 'Bucket')?.PhysicalResourceId).toBe(
      'audit-222222222222',
    );
  });

  it('replacement is Conditional where a replacing property depends on a resource being replaced', async () => {
    const template = `Resources:
  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: one}}
  Policy: {Type: AWS::S3::BucketPolicy, Properties: {Bucket: !Ref Bucket, PolicyDocument: {}}}
`;
    const { world, call, describeCs, byId } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: template });
    world.advance(600_000);
    await call('CreateChangeSet', {
      StackName: 'baseline',
      ChangeSetName: 'rename',
      TemplateBody: template.replace('BucketName: one', 'BucketName: two'),
    });
    world.advance(10_000);
    const changes = byId((await describeCs('rename')).Changes);
    expect(changes.Bucket?.Replacement).toBe('True');
    expect(changes.Policy?.Replacement).toBe('Conditional');
  });

  it('an unchanged template gives a FAILED change set with AWS reason, and pages long change lists', async () => {
    const many = `Resources:\n${Array.from({ length: 130 }, (_, i) => `  T${i}: {Type: AWS::SNS::Topic}`).join('\n')}\n`;
    const { world, call, describeCs } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: V1 });
    world.advance(600_000);
    await call('CreateChangeSet', { StackName: 'baseline', ChangeSetName: 'same', TemplateBody: V1 });
    world.advance(10_000);
    const same = await describeCs('same');
    expect(same).toMatchObject({
      Status: 'FAILED',
      ExecutionStatus: 'UNAVAILABLE',
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
    });
    await expect(
      call('ExecuteChangeSet', { ChangeSetName: 'same', StackName: 'baseline' }),
    ).rejects.toMatchObject({
      code: 'InvalidChangeSetStatus',
    });
    await call('CreateChangeSet', {
      StackName: 'big',
      ChangeSetName: 'all',
      ChangeSetType: 'CREATE',
      TemplateBody: many,
    });
    world.advance(10_000);
    const first = await call<DescribedChangeSet>('DescribeChangeSet', {
      ChangeSetName: 'all',
      StackName: 'big',
    });
    expect(first.Changes).toHaveLength(100);
    expect(first.NextToken).toBeDefined();
    expect((await describeCs('all', 'big')).Changes).toHaveLength(130);
    await expect(
      call('DescribeChangeSet', { ChangeSetName: 'nope', StackName: 'baseline' }),
    ).rejects.toMatchObject({
      code: 'ChangeSetNotFound',
    });
  });

  it('executing a CREATE change set creates the stack from REVIEW_IN_PROGRESS', async () => {
    const { world, call } = setup();
    await call('CreateChangeSet', {
      StackName: 'baseline',
      ChangeSetName: 'c',
      ChangeSetType: 'CREATE',
      TemplateBody: V1,
    });
    world.advance(10_000);
    await call('ExecuteChangeSet', { ChangeSetName: 'c', StackName: 'baseline' });
    const during = await call<{ Stacks: Array<{ StackStatus: string }> }>('DescribeStacks', {
      StackName: 'baseline',
    });
    expect(during.Stacks[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    world.advance(600_000);
    const done = await call<{ Stacks: Array<{ StackStatus: string; ChangeSetId?: string }> }>(
      'DescribeStacks',
      {
        StackName: 'baseline',
      },
    );
    expect(done.Stacks[0]).toMatchObject({
      StackStatus: 'CREATE_COMPLETE',
      ChangeSetId: expect.stringContaining(':changeSet/c/'),
    });
  });
});

describe('drift', () => {
  type DriftStatus = {
    DetectionStatus: string;
    StackDriftStatus?: string;
    DriftedStackResourceCount?: number;
  };
  async function detect(call: ReturnType<typeof cfnCaller>, world: ReturnType<typeof createTestWorld>) {
    const { StackDriftDetectionId } = await call<{ StackDriftDetectionId: string }>('DetectStackDrift', {
      StackName: 'baseline',
    });
    const first = await call<DriftStatus>('DescribeStackDriftDetectionStatus', { StackDriftDetectionId });
    world.advance(60_000);
    const done = await call<DriftStatus>('DescribeStackDriftDetectionStatus', { StackDriftDetectionId });
    return { first, done };
  }

  it('reports drift injected by markDrifted and repairs it with a REVERT_DRIFT change set', async () => {
    const { world, call, describeCs, byId } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: V1 });
    world.advance(600_000);
    const clean = await detect(call, world);
    expect(clean.first.DetectionStatus).toBe('DETECTION_IN_PROGRESS');
    expect(clean.done).toMatchObject({
      DetectionStatus: 'DETECTION_COMPLETE',
      StackDriftStatus: 'IN_SYNC',
      DriftedStackResourceCount: 0,
    });

    markDrifted(world, '222222222222', 'eu-west-1', 'baseline', 'Trail', {
      property: 'IsLogging',
      actual: 'false',
    });
    const drifted = await detect(call, world);
    expect(drifted.done).toMatchObject({ StackDriftStatus: 'DRIFTED', DriftedStackResourceCount: 1 });
    const stacks = await call<{ Stacks: Array<{ DriftInformation: { StackDriftStatus: string } }> }>(
      'DescribeStacks',
      {
        StackName: 'baseline',
      },
    );
    expect(stacks.Stacks[0]?.DriftInformation.StackDriftStatus).toBe('DRIFTED');
    const drifts = await call<{
      StackResourceDrifts: Array<{
        LogicalResourceId: string;
        StackResourceDriftStatus: string;
        PropertyDifferences?: Array<{
          PropertyPath: string;
          ExpectedValue: string;
          ActualValue: string;
          DifferenceType: string;
        }>;
      }>;
    }>('DescribeStackResourceDrifts', {
      StackName: 'baseline',
      StackResourceDriftStatusFilters: ['MODIFIED'],
    });
    expect(drifts.StackResourceDrifts).toEqual([
      expect.objectContaining({
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
      }),
    ]);

    // A plain update with the same template fixes nothing.
    await expect(call('UpdateStack', { StackName: 'baseline', TemplateBody: V1 })).rejects.toMatchObject({
      message: 'No updates are to be performed.',
    });

    await call('CreateChangeSet', {
      StackName: 'baseline',
      ChangeSetName: 'repair',
      UsePreviousTemplate: true,
      DeploymentMode: 'REVERT_DRIFT',
    });
    world.advance(10_000);
    const cs = await describeCs('repair', 'baseline', { IncludePropertyValues: true });
    expect(cs.DeploymentMode).toBe('REVERT_DRIFT');
    const trail = byId(cs.Changes).Trail;
    expect(trail).toMatchObject({ Action: 'Modify', ResourceDriftStatus: 'MODIFIED', Replacement: 'False' });
    expect(trail?.Details[0]?.Target).toMatchObject({
      Name: 'IsLogging',
      BeforeValue: 'false',
      AfterValue: 'true',
    });
    await call('ExecuteChangeSet', { ChangeSetName: 'repair', StackName: 'baseline' });
    world.advance(600_000);
    const stack = await call<{ Stacks: Array<{ StackStatus: string }> }>('DescribeStacks', {
      StackName: 'baseline',
    });
    expect(stack.Stacks[0]?.StackStatus).toBe('UPDATE_COMPLETE');
    const repaired = await detect(call, world);
    expect(repaired.done).toMatchObject({ StackDriftStatus: 'IN_SYNC' });
  });

  it("applies the scenario's drift rules to matching targets until repaired", async () => {
    const { world, call } = setup(
      testScenario({
        faults: { drift: [{ accounts: ['222222222222'], logicalId: 'Logs', property: 'RetentionInDays' }] },
      }),
    );
    await call('CreateStack', { StackName: 'baseline', TemplateBody: V1 });
    await call('CreateStack', { StackName: 'baseline', TemplateBody: V1 }, { accountId: '333333333333' });
    world.advance(600_000);
    expect((await detect(call, world)).done.StackDriftStatus).toBe('DRIFTED');
    const report = await call<{
      StackResourceDrifts: Array<{ PropertyDifferences?: Array<Record<string, string>> }>;
    }>('DescribeStackResourceDrifts', {
      StackName: 'baseline',
      StackResourceDriftStatusFilters: ['MODIFIED'],
    });
    // Strings appear as they are (not JSON-quoted), as in AWS drift reports.
    expect(report.StackResourceDrifts[0]?.PropertyDifferences).toEqual([
      {
        PropertyPath: '/RetentionInDays',
        ExpectedValue: '90',
        ActualValue: 'changed-out-of-band (sandbox scenario)',
        DifferenceType: 'NOT_EQUAL',
      },
    ]);
    const other = cfnCaller(world, { accountId: '333333333333' });
    expect((await detect(other, world)).done.StackDriftStatus).toBe('IN_SYNC');
    await call('CreateChangeSet', {
      StackName: 'baseline',
      ChangeSetName: 'r',
      UsePreviousTemplate: true,
      DeploymentMode: 'REVERT_DRIFT',
    });
    world.advance(10_000);
    await call('ExecuteChangeSet', { ChangeSetName: 'r', StackName: 'baseline' });
    world.advance(600_000);
    expect((await detect(call, world)).done.StackDriftStatus).toBe('IN_SYNC');
  });
});
