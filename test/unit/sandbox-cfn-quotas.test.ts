/**
 * The sandbox's CloudFormation quota on resources in concurrent stack operations (AWS CloudFormation
 * User Guide, "Understand CloudFormation quotas": the resources involved in create, update or delete
 * operations in a region at a given time; DescribeAccountLimits' ConcurrentResourcesLimit), refused
 * past it with LimitExceededException, and an updated stack's outputs while it cleans up.
 */
import { cfnCaller, createTestWorld, testScenario } from '../../src/sandbox/cfn/testing';
import type { Scenario } from '../../src/sandbox/scenario-types';

const TRIO = `Resources:
  A: { Type: AWS::SNS::Topic }
  B: { Type: AWS::SNS::Topic }
  C: { Type: AWS::SNS::Topic }
`;

function setup(quotas: Scenario['cloudFormationQuotas']) {
  // About CloudFormation's own quota, not permissions: IAM is off here (test/unit/cfn-iam-*.test.ts has IAM).
  const world = createTestWorld({
    ...testScenario({ cloudFormationQuotas: quotas }),
    iam: { enforce: false },
  });
  return { world, call: cfnCaller(world) };
}

describe('resources in concurrent stack operations', () => {
  it('refuses a stack operation that would pass the quota, naming it, and admits it once others finished', async () => {
    const { world, call } = setup({ concurrentResources: 6 });
    await call('CreateStack', { StackName: 'one', TemplateBody: TRIO });
    await call('CreateStack', { StackName: 'two', TemplateBody: TRIO });
    await expect(call('CreateStack', { StackName: 'three', TemplateBody: TRIO })).rejects.toMatchObject({
      code: 'LimitExceededException',
      message: expect.stringMatching(
        /6 resources are in stack operations and this one involves 3, over the limit of 6 \(ConcurrentResourcesLimit\)/,
      ),
    });
    // Nothing was left of the refused stack.
    await expect(call('DescribeStacks', { StackName: 'three' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
    world.advance(3_600_000);
    await expect(call('CreateStack', { StackName: 'three', TemplateBody: TRIO })).resolves.toHaveProperty(
      'StackId',
    );
  });

  it('counts per account and region: another region of the account, and another account, have their own', async () => {
    const { call } = setup({ concurrentResources: 3 });
    await call('CreateStack', { StackName: 'one', TemplateBody: TRIO });
    await expect(
      call('CreateStack', { StackName: 'two', TemplateBody: TRIO }, { region: 'us-east-1' }),
    ).resolves.toBeDefined();
    await expect(
      call('CreateStack', { StackName: 'two', TemplateBody: TRIO }, { accountId: '333333333333' }),
    ).resolves.toBeDefined();
    await expect(call('CreateStack', { StackName: 'two', TemplateBody: TRIO })).rejects.toMatchObject({
      code: 'LimitExceededException',
    });
  });

  it('counts updates too, and an account may have its own quota', async () => {
    const { world, call } = setup({
      concurrentResources: 100,
      concurrentResourcesByAccount: { '222222222222': 3 },
    });
    await call('CreateStack', { StackName: 'one', TemplateBody: TRIO });
    world.advance(3_600_000);
    await call('CreateStack', { StackName: 'two', TemplateBody: TRIO.replace('C:', 'D:') });
    await expect(
      call('UpdateStack', { StackName: 'one', TemplateBody: TRIO.replace('C:', 'E:') }),
    ).rejects.toMatchObject({ code: 'LimitExceededException' });
    expect(
      (await call<{ Stacks: Array<{ StackStatus: string }> }>('DescribeStacks', { StackName: 'one' }))
        .Stacks[0]?.StackStatus,
    ).toBe('CREATE_COMPLETE');
  });

  it('DescribeAccountLimits reports the quota of the calling account', async () => {
    const { call } = setup({ concurrentResourcesByAccount: { '222222222222': 40 } });
    const limits = async (accountId: string) =>
      (
        await call<{ AccountLimits: Array<{ Name: string; Value: number }> }>(
          'DescribeAccountLimits',
          {},
          { accountId },
        )
      ).AccountLimits;
    expect(await limits('222222222222')).toContainEqual({ Name: 'ConcurrentResourcesLimit', Value: 40 });
    expect(await limits('333333333333')).toContainEqual({ Name: 'ConcurrentResourcesLimit', Value: 2500 });
    expect((await limits('333333333333')).map((l) => l.Name).sort()).toEqual([
      'ConcurrentResourcesLimit',
      'StackLimit',
      'StackOutputsLimit',
    ]);
  });
});

describe('outputs of a stack that is cleaning up after an update', () => {
  it("are the update's in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS (the stack is updated and usable)", async () => {
    const { world, call } = setup({});
    const template = (name: string) =>
      `Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: ${name} }\nOutputs:\n  BucketName: { Value: !Ref Bucket }\n`;
    await call('CreateStack', { StackName: 'logs', TemplateBody: template('logs-old') });
    world.advance(3_600_000);
    // A new bucket name replaces the bucket: the old one is deleted in the cleanup phase.
    await call('UpdateStack', { StackName: 'logs', TemplateBody: template('logs-new') });
    type Described = { Stacks: Array<{ StackStatus: string; Outputs?: Array<{ OutputValue: string }> }> };
    let stack: Described['Stacks'][number] | undefined;
    for (let i = 0; i < 600; i++) {
      stack = (await call<Described>('DescribeStacks', { StackName: 'logs' })).Stacks[0];
      if (stack?.StackStatus === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS') break;
      world.advance(1000);
    }
    expect(stack?.StackStatus).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    expect(stack?.Outputs?.[0]?.OutputValue).toBe('logs-new');
  });
});
