import { deleteStackOutOfBand, injectResourceFailure } from '../../src/sandbox/cfn/faults';
import { cfnCaller, createTestWorld, type TestWorld, testScenario } from '../../src/sandbox/cfn/testing';
import type { Scenario, ScenarioFaults } from '../../src/sandbox/scenario-types';

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: test baseline
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  HomeRegion:
    Type: String
    Default: eu-west-1
Conditions:
  IsHome: !Equals [!Ref 'AWS::Region', !Ref HomeRegion]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub 'key for \${AWS::StackName} in \${Env}'
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub 'logs-\${AWS::AccountId}-\${AWS::Region}'
      Encryption: !GetAtt Key.Arn
  Topic:
    Type: AWS::SNS::Topic
    DependsOn: Bucket
  GlobalTrail:
    Type: AWS::CloudTrail::Trail
    Condition: IsHome
    Properties:
      S3BucketName: !Ref Bucket
      IsLogging: true
Outputs:
  BucketName:
    Value: !Ref Bucket
    Export:
      Name: !Sub '\${AWS::StackName}-bucket'
  TrailArn:
    Condition: IsHome
    Value: !GetAtt GlobalTrail.Arn
`;

type Stack = {
  StackId: string;
  StackStatus: string;
  StackStatusReason?: string;
  Outputs?: Array<{ OutputKey: string; OutputValue: string; ExportName?: string }>;
  Parameters: Array<{ ParameterKey: string; ParameterValue: string }>;
  LastUpdatedTime?: string;
};
type Event = {
  EventId: string;
  LogicalResourceId: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  PhysicalResourceId?: string;
  ResourceType: string;
  Timestamp: string;
  ClientRequestToken?: string;
};

function setup(scenario = testScenario()) {
  // These tests are about CloudFormation's schedules and statuses, on templates that AWS itself
  // would refuse (a trail without a bucket policy for CloudTrail): IAM and service rules are
  // off here and tested in test/unit/cfn-iam-*.test.ts.
  const world = createTestWorld({ ...scenario, iam: { enforce: false } });
  const call = cfnCaller(world);
  const describe = async (name = 'baseline', where = {}) =>
    (await call<{ Stacks: Stack[] }>('DescribeStacks', { StackName: name }, where)).Stacks[0] as Stack;
  const events = async (name = 'baseline', where = {}) => {
    const all: Event[] = [];
    let token: string | undefined;
    do {
      const page = await call<{ StackEvents: Event[]; NextToken?: string }>(
        'DescribeStackEvents',
        { StackName: name, ...(token ? { NextToken: token } : {}) },
        where,
      );
      all.push(...page.StackEvents);
      token = page.NextToken;
    } while (token);
    return all;
  };
  return { world, call, describe, events };
}

/** A request's Parameters list holding `values`, in their order. */
function parameters(values: Record<string, string>) {
  return Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

/** UpdateStack of the baseline to Env prod (TEMPLATE's default is dev). */
function prodUpdate() {
  return { StackName: 'baseline', TemplateBody: TEMPLATE, Parameters: parameters({ Env: 'prod' }) };
}

type PreexistingStack = NonNullable<ScenarioFaults['preexistingStacks']>[number];

/** The test scenario with a stack `baseline` already there for each `[account, region, status]`. */
function withBaselines(...stacks: Array<[string, string, PreexistingStack['status']]>): Scenario {
  return testScenario({
    faults: {
      preexistingStacks: stacks.map(([account, region, status]) => ({
        account,
        region,
        stackName: 'baseline',
        status,
      })),
    },
  });
}

async function settle(world: TestWorld, ms = 3_600_000) {
  world.advance(ms);
}

describe('CreateStack', () => {
  it('creates resources in dependency order over virtual time and ends CREATE_COMPLETE with outputs', async () => {
    const { world, call, describe, events } = setup();
    const { StackId } = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
    });
    expect(StackId).toMatch(/^arn:aws:cloudformation:eu-west-1:222222222222:stack\/baseline\/[0-9a-f-]{36}$/);
    expect((await describe()).StackStatus).toBe('CREATE_IN_PROGRESS');

    // default duration 10 s; Key -> Bucket -> Topic/GlobalTrail: about 31 s with phase gaps.
    world.advance(15_000);
    const mid = await call<{ StackResources: Array<{ LogicalResourceId: string; ResourceStatus: string }> }>(
      'DescribeStackResources',
      { StackName: 'baseline' },
    );
    const statusOf = (id: string) =>
      mid.StackResources.find((r) => r.LogicalResourceId === id)?.ResourceStatus;
    expect(statusOf('Key')).toBe('CREATE_COMPLETE');
    expect(statusOf('Bucket')).toBe('CREATE_IN_PROGRESS');
    expect(statusOf('Topic')).toBeUndefined();

    await settle(world);
    const stack = await describe();
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.Outputs).toEqual(
      expect.arrayContaining([
        {
          OutputKey: 'BucketName',
          OutputValue: 'logs-222222222222-eu-west-1',
          ExportName: 'baseline-bucket',
        },
        expect.objectContaining({ OutputKey: 'TrailArn', OutputValue: expect.stringContaining(':trail/') }),
      ]),
    );
    const evs = await events();
    expect(evs[0]).toMatchObject({ LogicalResourceId: 'baseline', ResourceStatus: 'CREATE_COMPLETE' });
    expect(evs[evs.length - 1]).toMatchObject({
      ResourceStatus: 'CREATE_IN_PROGRESS',
      ResourceStatusReason: 'User Initiated',
    });
    const completeOrder = evs
      .filter(
        (e) => e.ResourceStatus === 'CREATE_COMPLETE' && e.ResourceType !== 'AWS::CloudFormation::Stack',
      )
      .reverse()
      .map((e) => e.LogicalResourceId);
    expect(completeOrder.indexOf('Key')).toBeLessThan(completeOrder.indexOf('Bucket'));
    expect(completeOrder.indexOf('Bucket')).toBeLessThan(completeOrder.indexOf('Topic'));
  });

  it('skips resources whose Condition is false (global resources only in the home region)', async () => {
    const { world, call } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }, { region: 'us-east-1' });
    await settle(world);
    const res = await call<{ StackResourceSummaries: Array<{ LogicalResourceId: string }> }>(
      'ListStackResources',
      { StackName: 'baseline' },
      { region: 'us-east-1' },
    );
    expect(res.StackResourceSummaries.map((r) => r.LogicalResourceId).sort()).toEqual([
      'Bucket',
      'Key',
      'Topic',
    ]);
  });

  it('keeps accounts and regions apart', async () => {
    const { world, call } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    await settle(world);
    await expect(
      call('DescribeStacks', { StackName: 'baseline' }, { accountId: '333333333333' }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: 'Stack with id baseline does not exist',
    });
  });

  it('refuses a second stack with the same name, but returns the same StackId for a retried ClientRequestToken', async () => {
    const { call, events, world } = setup();
    const first = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
      ClientRequestToken: 'tok-1',
    });
    const retry = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
      ClientRequestToken: 'tok-1',
    });
    expect(retry.StackId).toBe(first.StackId);
    await expect(
      call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }),
    ).rejects.toMatchObject({
      code: 'AlreadyExistsException',
      message: 'Stack [baseline] already exists',
    });
    await settle(world);
    const evs = await events();
    expect(
      evs.filter((e) => e.LogicalResourceId === 'baseline' && e.ResourceStatus === 'CREATE_IN_PROGRESS'),
    ).toHaveLength(1);
    expect(evs.every((e) => e.ClientRequestToken === 'tok-1')).toBe(true);
  });

  it('checks parameters against the template with AWS messages', async () => {
    const { call } = setup();
    const template = `Parameters:
  Name: {Type: String, AllowedPattern: '[a-z]+'}
  Size: {Type: Number, MaxValue: 10, Default: 1}
Resources:
  T: {Type: AWS::SNS::Topic}
`;
    await expect(call('CreateStack', { StackName: 's', TemplateBody: template })).rejects.toMatchObject({
      code: 'ValidationError',
      message: 'Parameters: [Name] must have values',
    });
    const createWith = (body: string, values: Record<string, string>) =>
      call('CreateStack', { StackName: 's', TemplateBody: body, Parameters: parameters(values) });
    await expect(createWith(template, { Name: 'ABC' })).rejects.toMatchObject({
      message: "Parameter 'Name' must match pattern [a-z]+",
    });
    await expect(createWith(template, { Name: 'abc', Nope: 'x' })).rejects.toMatchObject({
      message: 'Parameters: [Nope] do not exist in the template',
    });
    await expect(createWith(template, { Name: 'abc', Size: '11' })).rejects.toMatchObject({
      message: "Parameter 'Size' must be a number not greater than 10",
    });
    await expect(createWith(TEMPLATE, { Env: 'qa' })).rejects.toMatchObject({
      message: "Parameter 'Env' must be one of AllowedValues",
    });
    // Nothing was created by the refused calls.
    await expect(call('DescribeStacks', { StackName: 's' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
  });

  it('requires CAPABILITY_IAM for IAM resources and CAPABILITY_NAMED_IAM for named ones', async () => {
    const { call } = setup();
    const unnamed =
      'Resources:\n  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties: {PolicyDocument: {}}\n';
    const named = 'Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: audit}\n';
    await expect(call('CreateStack', { StackName: 'a', TemplateBody: unnamed })).rejects.toMatchObject({
      code: 'InsufficientCapabilitiesException',
      message: 'Requires capabilities : [CAPABILITY_IAM]',
    });
    await expect(
      call('CreateStack', { StackName: 'b', TemplateBody: named, Capabilities: ['CAPABILITY_IAM'] }),
    ).rejects.toMatchObject({ message: 'Requires capabilities : [CAPABILITY_NAMED_IAM]' });
    await expect(
      call('CreateStack', { StackName: 'a', TemplateBody: unnamed, Capabilities: ['CAPABILITY_NAMED_IAM'] }),
    ).resolves.toHaveProperty('StackId');
  });

  it('answers a malformed template with "Template format error"', async () => {
    const { call } = setup();
    await expect(
      call('CreateStack', { StackName: 'x', TemplateBody: 'Resources: [\n  a: b' }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^Template format error: YAML not well-formed/),
    });
    await expect(
      call('CreateStack', { StackName: 'x', TemplateBody: '{"Resources": {}}' }),
    ).rejects.toMatchObject({
      message: 'Template format error: At least one Resources member must be defined.',
    });
    await expect(
      call('CreateStack', {
        StackName: 'x',
        TemplateBody: 'Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties: {X: !Ref Missing}\n',
      }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('Unresolved resource dependencies [Missing]'),
    });
  });

  it('reads TemplateURL from S3 by versionId and refuses missing objects like AWS', async () => {
    const { world, call } = setup();
    const v1 = world.putObject('artifacts', 'templates/baseline.yaml', TEMPLATE);
    world.putObject('artifacts', 'templates/baseline.yaml', 'not: [valid');
    await call('CreateStack', {
      StackName: 'baseline',
      TemplateURL: `https://artifacts.s3.eu-west-1.amazonaws.com/templates/baseline.yaml?versionId=${v1}`,
    });
    await settle(world);
    const got = await call<{ TemplateBody: string }>('GetTemplate', { StackName: 'baseline' });
    expect(got.TemplateBody).toBe(TEMPLATE);
    await expect(
      call('CreateStack', {
        StackName: 'other',
        TemplateURL: 'https://s3.eu-west-1.amazonaws.com/artifacts/missing.yaml',
      }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: 'TemplateURL must reference a valid S3 object to which you have access.',
    });
    await expect(
      call('CreateStack', { StackName: 'other', TemplateURL: 'https://example.com/t.yaml' }),
    ).rejects.toMatchObject({ code: 'ValidationError' });
  });

  it('fails in a region the account has not enabled, as AWS does', async () => {
    const { call } = setup();
    await expect(
      call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }, { region: 'af-south-1' }),
    ).rejects.toMatchObject({ code: 'InvalidClientTokenId', statusCode: 403 });
  });
});

describe('failures and rollback', () => {
  it('a failed resource cancels the others and rolls the create back to ROLLBACK_COMPLETE', async () => {
    const scenario = testScenario({
      faults: {
        resourceFailures: [
          { accounts: ['222222222222'], logicalId: 'Bucket', reason: 'Bucket name already taken' },
        ],
      },
      durations: { default: 10, 'AWS::SNS::Topic': 30 },
    });
    const template = `Resources:
  Key: {Type: AWS::KMS::Key}
  Slow: {Type: AWS::SNS::Topic}
  Bucket: {Type: AWS::S3::Bucket, DependsOn: Key}
  After: {Type: AWS::SNS::Topic, DependsOn: Bucket}
`;
    const { world, call, describe, events } = setup(scenario);
    await call('CreateStack', { StackName: 'baseline', TemplateBody: template });
    await settle(world);
    const stack = await describe();
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const evs = (await events()).reverse();
    expect(evs.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      'The following resource(s) failed to create: [Bucket, Slow]. Rollback requested by user.',
    );
    const firstFailure = evs.find((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(firstFailure).toMatchObject({
      LogicalResourceId: 'Bucket',
      ResourceStatusReason: 'Bucket name already taken',
    });
    expect(
      evs.find((e) => e.LogicalResourceId === 'Slow' && e.ResourceStatus === 'CREATE_FAILED')
        ?.ResourceStatusReason,
    ).toBe('Resource creation cancelled');
    expect(evs.some((e) => e.LogicalResourceId === 'After')).toBe(false);
    expect(
      evs
        .filter((e) => e.ResourceStatus === 'DELETE_COMPLETE')
        .map((e) => e.LogicalResourceId)
        .sort(),
    ).toEqual(['Bucket', 'Key', 'Slow']);
    // The other account is not affected.
    await call(
      'CreateStack',
      { StackName: 'baseline', TemplateBody: template },
      { accountId: '333333333333' },
    );
    await settle(world);
    expect((await describe('baseline', { accountId: '333333333333' })).StackStatus).toBe('CREATE_COMPLETE');
  });

  it('ROLLBACK_COMPLETE cannot be updated, only deleted (and then created again)', async () => {
    const { world, call, describe } = setup(
      testScenario({ faults: { resourceFailures: [{ logicalId: 'Topic', times: 1 }] } }),
    );
    const { StackId } = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
    });
    await settle(world);
    await expect(
      call('UpdateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }),
    ).rejects.toMatchObject({
      code: 'ValidationError',
      message: `Stack:${StackId} is in ROLLBACK_COMPLETE state and can not be updated.`,
    });
    await call('DeleteStack', { StackName: 'baseline' });
    expect((await describe()).StackStatus).toBe('DELETE_IN_PROGRESS');
    await settle(world);
    await expect(call('DescribeStacks', { StackName: 'baseline' })).rejects.toMatchObject({
      message: 'Stack with id baseline does not exist',
    });
    // Deleted stacks stay visible by id and in ListStacks.
    expect((await describe(StackId)).StackStatus).toBe('DELETE_COMPLETE');
    const list = await call<{ StackSummaries: Array<{ StackStatus: string }> }>('ListStacks', {
      StackStatusFilter: ['DELETE_COMPLETE'],
    });
    expect(list.StackSummaries).toHaveLength(1);
    const again = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
    });
    expect(again.StackId).not.toBe(StackId);
    await settle(world);
    expect((await describe()).StackStatus).toBe('CREATE_COMPLETE');
  });

  it('OnFailure DO_NOTHING leaves CREATE_FAILED; OnFailure DELETE removes the stack', async () => {
    const { world, call, describe } = setup(
      testScenario({ faults: { resourceFailures: [{ logicalId: 'Topic' }] } }),
    );
    await call('CreateStack', { StackName: 'keep', TemplateBody: TEMPLATE, OnFailure: 'DO_NOTHING' });
    await call('CreateStack', { StackName: 'gone', TemplateBody: TEMPLATE, OnFailure: 'DELETE' });
    await settle(world);
    expect((await describe('keep')).StackStatus).toBe('CREATE_FAILED');
    await expect(describe('gone')).rejects.toMatchObject({ message: 'Stack with id gone does not exist' });
  });

  it('a failed update rolls back to UPDATE_ROLLBACK_COMPLETE and keeps the old configuration', async () => {
    const { world, call, describe, events } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    await settle(world);
    injectResourceFailure(world, { logicalId: 'Key', on: 'update', reason: 'KMS said no' });
    await call('UpdateStack', prodUpdate());
    expect((await describe()).StackStatus).toBe('UPDATE_IN_PROGRESS');
    await settle(world);
    const stack = await describe();
    expect(stack.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const evs = await events();
    expect(evs.find((e) => e.ResourceStatus === 'UPDATE_FAILED')).toMatchObject({
      LogicalResourceId: 'Key',
      ResourceStatusReason: 'KMS said no',
    });
    expect(evs.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      'The following resource(s) failed to update: [Key]. ',
    );
    expect(stack.Parameters).toContainEqual({ ParameterKey: 'Env', ParameterValue: 'dev' });
  });

  it('UPDATE_ROLLBACK_FAILED refuses updates until ContinueUpdateRollback completes the rollback', async () => {
    const { world, call, describe } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    await settle(world);
    injectResourceFailure(world, { logicalId: 'Key', on: 'update', times: 1 });
    injectResourceFailure(world, {
      logicalId: 'Key',
      on: 'rollback',
      times: 1,
      reason: 'Key is pending deletion',
    });
    await call('UpdateStack', prodUpdate());
    await settle(world);
    const failed = await describe();
    expect(failed.StackStatus).toBe('UPDATE_ROLLBACK_FAILED');
    await expect(call('UpdateStack', prodUpdate())).rejects.toMatchObject({
      message: `Stack:${failed.StackId} is in UPDATE_ROLLBACK_FAILED state and can not be updated.`,
    });
    await call('ContinueUpdateRollback', { StackName: 'baseline' });
    expect((await describe()).StackStatus).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    await settle(world);
    expect((await describe()).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    await expect(call('ContinueUpdateRollback', { StackName: 'baseline' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
    await call('UpdateStack', prodUpdate());
    await settle(world);
    expect((await describe()).StackStatus).toBe('UPDATE_COMPLETE');
  });
});

describe('UpdateStack', () => {
  it('updates, replaces on a name change, cleans up, and then says "No updates are to be performed."', async () => {
    const { world, call, describe, events } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    await settle(world);
    const before = await call<{
      StackResources: Array<{ LogicalResourceId: string; PhysicalResourceId: string }>;
    }>('DescribeStackResources', { StackName: 'baseline' });
    const oldBucket = before.StackResources.find((r) => r.LogicalResourceId === 'Bucket')?.PhysicalResourceId;
    const changed = TEMPLATE.replace("BucketName: !Sub 'logs-", "BucketName: !Sub 'audit-logs-");
    await call('UpdateStack', { StackName: 'baseline', TemplateBody: changed, ClientRequestToken: 'up-1' });
    // A retry with the same token starts nothing new.
    await call('UpdateStack', { StackName: 'baseline', TemplateBody: changed, ClientRequestToken: 'up-1' });
    await settle(world);
    const stack = await describe();
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    expect(stack.LastUpdatedTime).toBeDefined();
    const evs = (await events()).reverse();
    expect(
      evs.filter((e) => e.ResourceStatus === 'UPDATE_IN_PROGRESS' && e.LogicalResourceId === 'baseline'),
    ).toHaveLength(1);
    expect(
      evs.find((e) => e.LogicalResourceId === 'Bucket' && e.ResourceStatus === 'UPDATE_IN_PROGRESS')
        ?.ResourceStatusReason,
    ).toBe('Requested update requires the creation of a new physical resource; hence creating one.');
    expect(
      evs.some(
        (e) =>
          e.LogicalResourceId === 'baseline' && e.ResourceStatus === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      ),
    ).toBe(true);
    expect(
      evs.find((e) => e.LogicalResourceId === 'Bucket' && e.ResourceStatus === 'DELETE_COMPLETE')
        ?.PhysicalResourceId,
    ).toBe(oldBucket);
    expect(stack.Outputs?.find((o) => o.OutputKey === 'BucketName')?.OutputValue).toBe(
      'audit-logs-222222222222-eu-west-1',
    );

    await expect(call('UpdateStack', { StackName: 'baseline', TemplateBody: changed })).rejects.toMatchObject(
      {
        code: 'ValidationError',
        message: 'No updates are to be performed.',
      },
    );
    await expect(
      call('UpdateStack', { StackName: 'baseline', UsePreviousTemplate: true }),
    ).rejects.toMatchObject({
      message: 'No updates are to be performed.',
    });
  });

  it('refuses updates while an operation runs and deletes while termination protection is on', async () => {
    const { world, call } = setup();
    const { StackId } = await call<{ StackId: string }>('CreateStack', {
      StackName: 'baseline',
      TemplateBody: TEMPLATE,
      EnableTerminationProtection: true,
    });
    await expect(
      call('UpdateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }),
    ).rejects.toMatchObject({
      message: `Stack:${StackId} is in CREATE_IN_PROGRESS state and can not be updated.`,
    });
    await settle(world);
    await expect(call('DeleteStack', { StackName: 'baseline' })).rejects.toMatchObject({
      message: 'Stack [baseline] cannot be deleted while TerminationProtection is enabled',
    });
    await call('UpdateTerminationProtection', { StackName: 'baseline', EnableTerminationProtection: false });
    await expect(call('DeleteStack', { StackName: 'baseline' })).resolves.toEqual({});
  });

  it('paginates events newest first without repeating or losing any', async () => {
    const many = `Resources:\n${Array.from({ length: 60 }, (_, i) => `  T${i}: {Type: AWS::SNS::Topic}`).join('\n')}\n`;
    const { world, call, events } = setup();
    await call('CreateStack', { StackName: 'big', TemplateBody: many });
    await settle(world);
    const first = await call<{ StackEvents: Event[]; NextToken?: string }>('DescribeStackEvents', {
      StackName: 'big',
    });
    expect(first.StackEvents).toHaveLength(100);
    expect(first.NextToken).toBeDefined();
    const all = await events('big');
    // 60 resources x 3 events + 2 stack events.
    expect(all).toHaveLength(182);
    const times = all.map((e) => Date.parse(e.Timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('a later read of the events shows what happened since, newest first, the earlier ones unchanged', async () => {
    const { world, call, events } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    const early = await events();
    expect(await events()).toEqual(early);
    world.advance(1_000);
    const soon = await events();
    expect(soon.length).toBeGreaterThan(early.length);
    expect(soon.slice(soon.length - early.length)).toEqual(early);
    await settle(world);
    const late = await events();
    expect(late.length).toBeGreaterThan(early.length);
    expect(late.slice(late.length - early.length)).toEqual(early);
    expect(late[0]).toMatchObject({
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: 'CREATE_COMPLETE',
    });
    expect(new Set(late.map((e) => e.EventId)).size).toBe(late.length);
  });

  it('a stack deleted out of band is gone for the API', async () => {
    const { world, call } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE });
    await settle(world);
    deleteStackOutOfBand(world, '222222222222', 'eu-west-1', 'baseline');
    await expect(call('DescribeStacks', { StackName: 'baseline' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
  });
});

describe('pre-existing stacks from the scenario', () => {
  it('seeds ROLLBACK_COMPLETE and UPDATE_ROLLBACK_FAILED stacks that behave like AWS', async () => {
    const { world, call, describe } = setup(
      withBaselines(
        ['222222222222', 'eu-west-1', 'ROLLBACK_COMPLETE'],
        ['333333333333', 'eu-west-1', 'UPDATE_ROLLBACK_FAILED'],
      ),
    );
    expect((await describe()).StackStatus).toBe('ROLLBACK_COMPLETE');
    const other = { accountId: '333333333333' };
    expect((await describe('baseline', other)).StackStatus).toBe('UPDATE_ROLLBACK_FAILED');
    await call('ContinueUpdateRollback', { StackName: 'baseline' }, other);
    await settle(world);
    expect((await describe('baseline', other)).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    await call('UpdateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }, other);
    await settle(world);
    const updated = await describe('baseline', other);
    expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
  });
});

describe('the status machine', () => {
  const SIMPLE = `Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {DisplayName: one}}
`;
  const WITH_IMPORT = `Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {DisplayName: one}}
  Legacy: {Type: AWS::S3::Bucket, DeletionPolicy: Retain, Properties: {BucketName: legacy-logs}}
`;
  /** CreateChangeSet of type IMPORT that brings the bucket `bucketName` into `stackName` as Legacy. */
  const importLegacy = (stackName: string, bucketName: string, template = WITH_IMPORT) => ({
    StackName: stackName,
    ChangeSetName: 'imp',
    ChangeSetType: 'IMPORT',
    TemplateBody: template,
    ResourcesToImport: [
      {
        ResourceType: 'AWS::S3::Bucket',
        LogicalResourceId: 'Legacy',
        ResourceIdentifier: { BucketName: bucketName },
      },
    ],
  });

  it('imports existing resources with an IMPORT change set (DeletionPolicy required, as in AWS)', async () => {
    const { world, call, describe } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: SIMPLE });
    await settle(world);
    await expect(
      call(
        'CreateChangeSet',
        importLegacy('baseline', 'legacy-logs', WITH_IMPORT.replace('DeletionPolicy: Retain, ', '')),
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining('must have DeletionPolicy attribute') });
    await call('CreateChangeSet', importLegacy('baseline', 'legacy-logs'));
    world.advance(10_000);
    const cs = await call<{
      Changes: Array<{ ResourceChange: { Action: string; PhysicalResourceId: string } }>;
    }>('DescribeChangeSet', {
      ChangeSetName: 'imp',
      StackName: 'baseline',
    });
    expect(cs.Changes.map((c) => c.ResourceChange)).toEqual([
      expect.objectContaining({ Action: 'Import', PhysicalResourceId: 'legacy-logs' }),
    ]);
    await call('ExecuteChangeSet', { ChangeSetName: 'imp', StackName: 'baseline' });
    expect((await describe()).StackStatus).toBe('IMPORT_IN_PROGRESS');
    await settle(world);
    expect((await describe()).StackStatus).toBe('IMPORT_COMPLETE');
    const res = await call<{
      StackResources: Array<{ LogicalResourceId: string; PhysicalResourceId: string }>;
    }>('DescribeStackResources', { StackName: 'baseline', LogicalResourceId: 'Legacy' });
    expect(res.StackResources[0]?.PhysicalResourceId).toBe('legacy-logs');
  });

  it('reaches every one of the 23 stack statuses through the API', async () => {
    const { StackStatus } = await import('@aws-sdk/client-cloudformation');
    const { world, call } = setup();
    const seen = new Set<string>();
    const record = async (name: string) => {
      const events = await call<{ StackEvents: Event[] }>('DescribeStackEvents', { StackName: name });
      for (const e of events.StackEvents)
        if (e.ResourceType === 'AWS::CloudFormation::Stack') seen.add(e.ResourceStatus);
    };
    const fail = (on: 'create' | 'update' | 'delete' | 'rollback' | 'import', logicalId = 'Topic') =>
      injectResourceFailure(world, { logicalId, on, times: 1 });
    const create = (name: string, extra: Record<string, unknown> = {}) =>
      call('CreateStack', { StackName: name, TemplateBody: SIMPLE, ...extra });
    const update = (name: string, extra: Record<string, unknown> = {}) =>
      call('UpdateStack', { StackName: name, TemplateBody: SIMPLE.replace('one', `two-${name}`), ...extra });

    await create('ok');
    await settle(world);
    await update('ok');
    await settle(world);
    const ok = await call<{ Stacks: Stack[] }>('DescribeStacks', { StackName: 'ok' });
    await record('ok');

    fail('create');
    await create('rolled-back');
    fail('create');
    fail('rollback');
    await create('rollback-failed');
    fail('create');
    await create('create-failed', { OnFailure: 'DO_NOTHING' });
    await settle(world);
    for (const name of ['rolled-back', 'rollback-failed', 'create-failed']) await record(name);

    await create('upd');
    await settle(world);
    fail('update');
    await update('upd');
    await settle(world);
    await record('upd');
    fail('update');
    fail('rollback');
    await call('UpdateStack', { StackName: 'upd', TemplateBody: SIMPLE.replace('one', 'three') });
    await settle(world);
    await record('upd');
    await create('no-rollback');
    await settle(world);
    fail('update');
    await update('no-rollback', { DisableRollback: true });
    await settle(world);
    await record('no-rollback');

    fail('delete');
    await call('DeleteStack', { StackName: 'ok' });
    await settle(world);
    await record('ok');
    await call('DeleteStack', { StackName: 'ok', RetainResources: ['Topic'] });
    await settle(world);
    await record(ok.Stacks[0]?.StackId as string);

    await call('CreateChangeSet', {
      StackName: 'review',
      ChangeSetName: 'c',
      ChangeSetType: 'CREATE',
      TemplateBody: SIMPLE,
    });
    await record('review');

    const importInto = async (name: string) => {
      await create(name);
      await settle(world);
      await call('CreateChangeSet', importLegacy(name, `${name}-bucket`));
      world.advance(10_000);
      await call('ExecuteChangeSet', { ChangeSetName: 'imp', StackName: name });
      await settle(world);
      await record(name);
    };
    await importInto('imported');
    fail('import', 'Legacy');
    await importInto('import-rolled-back');
    fail('import', 'Legacy');
    fail('rollback', 'Legacy');
    await importInto('import-rollback-failed');

    expect([...seen].sort()).toEqual(Object.values(StackStatus).sort());
  });
});

describe('persistence', () => {
  it('a world saved mid-operation and loaded again continues the same schedule', async () => {
    const { world, call, events } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE, ClientRequestToken: 'c1' });
    world.advance(12_000);
    const saved = JSON.parse(JSON.stringify(world.state)) as Record<string, unknown>;
    const reloaded = createTestWorld(testScenario({ iam: { enforce: false } }), world.now(), saved);
    const again = cfnCaller(reloaded);
    const mid = await again<{ Stacks: Stack[] }>('DescribeStacks', { StackName: 'baseline' });
    expect(mid.Stacks[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    // The retried create is still recognised after the reload.
    await expect(
      again('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE, ClientRequestToken: 'c1' }),
    ).resolves.toEqual({ StackId: mid.Stacks[0]?.StackId });
    world.advance(3_600_000);
    reloaded.advance(3_600_000);
    const original = await events();
    const continued = await again<{ StackEvents: Event[] }>('DescribeStackEvents', { StackName: 'baseline' });
    expect(continued.StackEvents).toEqual(original);
    expect(continued.StackEvents[0]).toMatchObject({
      ResourceStatus: 'CREATE_COMPLETE',
      LogicalResourceId: 'baseline',
    });
  });
});

describe('inspection', () => {
  it('lists every target stack and counts statuses without an API call per target', async () => {
    const { listSandboxStacks, countStacksByStatus } = await import('../../src/sandbox/cfn/inspect');
    const { world, call } = setup(
      testScenario({ faults: { resourceFailures: [{ accounts: ['333333333333'], logicalId: 'Topic' }] } }),
    );
    for (const accountId of ['222222222222', '333333333333']) {
      await call(
        'CreateStack',
        { StackName: 'baseline', TemplateBody: TEMPLATE, Tags: [{ Key: 'v', Value: '1' }] },
        { accountId },
      );
    }
    expect(countStacksByStatus(world)).toEqual({ CREATE_IN_PROGRESS: 2 });
    await settle(world);
    expect(countStacksByStatus(world)).toEqual({ CREATE_COMPLETE: 1, ROLLBACK_COMPLETE: 1 });
    expect(listSandboxStacks(world).map((s) => [s.accountId, s.region, s.status, s.tags.v])).toEqual([
      ['222222222222', 'eu-west-1', 'CREATE_COMPLETE', '1'],
      ['333333333333', 'eu-west-1', 'ROLLBACK_COMPLETE', '1'],
    ]);
  });
});

describe('TimeoutInMinutes', () => {
  it('a create that outlasts its timeout is cancelled and rolled back with AWS reason', async () => {
    const { world, call, describe, events } = setup(
      testScenario({ durations: { default: 10, 'AWS::KMS::Key': 200 } }),
    );
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE, TimeoutInMinutes: 2 });
    world.advance(119_000);
    expect((await describe()).StackStatus).toBe('CREATE_IN_PROGRESS');
    await settle(world);
    expect((await describe()).StackStatus).toBe('ROLLBACK_COMPLETE');
    const evs = await events();
    expect(evs.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      'Stack creation time exceeded the specified timeout. Rollback requested by user.',
    );
    expect(
      evs.find((e) => e.LogicalResourceId === 'Key' && e.ResourceStatus === 'CREATE_FAILED'),
    ).toMatchObject({
      ResourceStatusReason: 'Resource creation cancelled',
      Timestamp: new Date(Date.UTC(2026, 0, 1) + 120_000).toISOString(),
    });
    // Resources that never started have no events.
    expect(evs.some((e) => e.LogicalResourceId === 'Bucket')).toBe(false);
  });

  it('a create that finishes within its timeout is unaffected', async () => {
    const { world, call, describe } = setup();
    await call('CreateStack', { StackName: 'baseline', TemplateBody: TEMPLATE, TimeoutInMinutes: 5 });
    await settle(world);
    expect((await describe()).StackStatus).toBe('CREATE_COMPLETE');
  });
});

describe('pre-existing stacks that are busy or outdated', () => {
  it('an UPDATE_IN_PROGRESS stack refuses updates until it settles; a CREATE_COMPLETE one updates', async () => {
    const { world, call, describe } = setup(
      withBaselines(
        ['222222222222', 'eu-west-1', 'UPDATE_IN_PROGRESS'],
        ['222222222222', 'us-east-1', 'CREATE_COMPLETE'],
      ),
    );
    const busy = await describe();
    expect(busy.StackStatus).toBe('UPDATE_IN_PROGRESS');
    await expect(
      call('UpdateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }),
    ).rejects.toMatchObject({
      message: `Stack:${busy.StackId} is in UPDATE_IN_PROGRESS state and can not be updated.`,
    });
    world.advance(120_000);
    expect((await describe()).StackStatus).toBe('UPDATE_COMPLETE');
    const east = { region: 'us-east-1' };
    expect((await describe('baseline', east)).StackStatus).toBe('CREATE_COMPLETE');
    await call('UpdateStack', { StackName: 'baseline', TemplateBody: TEMPLATE }, east);
    await settle(world);
    const res = await call<{ StackResourceSummaries: Array<{ LogicalResourceId: string }> }>(
      'ListStackResources',
      { StackName: 'baseline' },
      east,
    );
    // The old template's placeholder is gone; the baseline's resources are there.
    expect(res.StackResourceSummaries.map((r) => r.LogicalResourceId).sort()).toEqual([
      'Bucket',
      'Key',
      'Topic',
    ]);
  });
});

describe('listing many stacks', () => {
  it('pages DescribeStacks and ListStacks by 100 and refuses a foreign NextToken', async () => {
    const { world, call } = setup();
    const small = 'Resources:\n  T: {Type: AWS::SNS::Topic}\n';
    for (let i = 0; i < 130; i++) await call('CreateStack', { StackName: `s${i}`, TemplateBody: small });
    await settle(world);
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await call<{ Stacks: Array<{ StackName: string }>; NextToken?: string }>(
        'DescribeStacks',
        token ? { NextToken: token } : {},
      );
      names.push(...page.Stacks.map((s) => s.StackName));
      token = page.NextToken;
      pages += 1;
    } while (token);
    expect(pages).toBe(2);
    expect(new Set(names).size).toBe(130);
    const first = await call<{ StackSummaries: unknown[]; NextToken?: string }>('ListStacks', {});
    expect(first.StackSummaries).toHaveLength(100);
    await expect(call('DescribeStacks', { NextToken: first.NextToken })).rejects.toMatchObject({
      code: 'ValidationError',
      message: 'Invalid NextToken',
    });
  });
});
