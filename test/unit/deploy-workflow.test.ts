import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import {
  awsError,
  deployTargetInput,
  describedStack,
  mockDeployClients,
  resetDeployClients,
  resourceEvent,
  STACK_ID,
  STARTED_BY_ROLLOUT,
  stackEvent,
  stackMissing,
  TOPIC_TEMPLATE,
} from '../helpers/deploy-fixtures';
import { asLambda, type Handler, runDeployTarget as run } from '../helpers/deploy-target-machine';

/**
 * Runs statemachines/deploy-target.asl.json unchanged in aws-local-stepfunctions, with the
 * Task states bound to the real handlers and only the SDK clients faked (deploy-target-machine.ts).
 */

const aws = mockDeployClients();
const { sts, cfn } = aws;

const input = { ...deployTargetInput(), ...STARTED_BY_ROLLOUT };

const KEYS = {
  AccessKeyId: 'ASIAWORKFLOWKEY00001',
  SecretAccessKey: 'workflow-secret-001',
  SessionToken: 'workflow-token-001',
};

beforeEach(() => resetDeployClients(aws, { keys: KEYS, template: TOPIC_TEMPLATE }));

describe('deploy-target workflow in the local engine', () => {
  it('creates a stack: deploy, wait, check twice, and outputs the small result in about ten transitions', async () => {
    cfn.on(DescribeStacksCommand).rejects(stackMissing());
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({
        StackEvents: [
          resourceEvent('Topic', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 1),
          stackEvent('CREATE_IN_PROGRESS', 2),
        ],
      })
      .resolves({ StackEvents: [stackEvent('CREATE_COMPLETE', 0), stackEvent('CREATE_IN_PROGRESS', 2)] });

    const { output, failed, entered } = await run(input);

    expect(failed).toBe(false);
    expect(output).toEqual({
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
      stackId: STACK_ID,
      outcome: 'CREATED',
      reason: expect.stringContaining('CREATE_COMPLETE'),
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      durationSeconds: expect.any(Number),
      checks: 2,
    });
    expect(entered).toEqual([
      'Deploy stack',
      'Stack settled?',
      'Wait for stack',
      'Check stack',
      'Stack settled?',
      'Wait for stack',
      'Check stack',
      'Stack settled?',
      'Stack up to date',
    ]);
    // CloudFormation calls for this target: DescribeStacks, CreateStack, two DescribeStackEvents.
    expect(cfn.calls()).toHaveLength(4);
  });

  it('ends an up-to-date target right after Deploy stack with outcome NO_CHANGE', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [describedStack('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).rejects(awsError('ValidationError', 'No updates are to be performed.'));

    const { output, entered } = await run(input);

    expect(output).toMatchObject({ outcome: 'NO_CHANGE', checks: 0, stackId: STACK_ID });
    expect(entered).toEqual(['Deploy stack', 'Stack settled?', 'Stack up to date']);
  });

  it('fails a target whose stack rolled back with Error StackFailed and the first failed resource in Cause', async () => {
    cfn.on(DescribeStacksCommand).rejects(stackMissing());
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        stackEvent('ROLLBACK_COMPLETE', 0),
        stackEvent('ROLLBACK_IN_PROGRESS', 1, 'The following resource(s) failed to create: [Recorder].'),
        resourceEvent(
          'Recorder',
          'AWS::Config::ConfigurationRecorder',
          'CREATE_FAILED',
          2,
          'MaxNumberOfConfigurationRecordersExceededException',
        ),
        resourceEvent('Recorder', 'AWS::Config::ConfigurationRecorder', 'CREATE_IN_PROGRESS', 3),
        stackEvent('CREATE_IN_PROGRESS', 4),
      ],
    });

    const { failed, end } = await run(input);

    expect(failed).toBe(true);
    expect(end?.Error).toBe('StackFailed');
    const cause = JSON.parse(String(end?.Cause));
    expect(cause).toMatchObject({
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
      failedResource: {
        logicalId: 'Recorder',
        type: 'AWS::Config::ConfigurationRecorder',
        status: 'CREATE_FAILED',
        statusReason: 'MaxNumberOfConfigurationRecordersExceededException',
      },
    });
    expect(cause.reason).toContain('MaxNumberOfConfigurationRecordersExceededException');
  });

  it('retries a throttled Deploy stack and then succeeds', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejectsOnce(awsError('Throttling', 'Rate exceeded'))
      .resolves({ Stacks: [describedStack('UPDATE_COMPLETE')] });
    cfn.on(UpdateStackCommand).rejects(awsError('ValidationError', 'No updates are to be performed.'));

    const { output, events } = await run(input);

    expect(events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
    expect(output).toMatchObject({ outcome: 'NO_CHANGE' });
  });

  it('waits for an operation someone else started, then updates', async () => {
    const stack = (status: string) => ({ Stacks: [describedStack(status)] });
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
      .resolves(stack('UPDATE_COMPLETE'));
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
    cfn
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: [stackEvent('UPDATE_COMPLETE', 0), stackEvent('UPDATE_IN_PROGRESS', 3)] });

    const { output, entered } = await run(input);

    expect(entered.slice(0, 4)).toEqual([
      'Deploy stack',
      'Stack settled?',
      'Wait for other operation',
      'Deploy stack',
    ]);
    expect(output).toMatchObject({ outcome: 'UPDATED', checks: 1 });
  });

  it.each([
    [
      'as Lambda reports it (AWS, the sandbox engine)',
      asLambda,
      ['Function error?', 'Read function error', 'Function failed'],
    ],
    [
      'as a bare message (an engine that passes it on)',
      (fn: Handler) => fn,
      ['Function error?', 'Keep function reason', 'Target failed'],
    ],
  ])(
    'records an error no handler explained, %s, with its name and a JSON Cause',
    async (_case, wrap, path) => {
      cfn.on(DescribeStacksCommand).rejects(awsError('SurpriseFault', 'Something "quoted" \\ unexpected'));

      const { failed, end, entered } = await run(input, wrap);

      expect(failed).toBe(true);
      expect(entered.slice(-3)).toEqual(path);
      expect(end?.Error).toBe('SurpriseFault');
      expect(JSON.parse(String(end?.Cause))).toEqual({
        reason: 'Something "quoted" \\ unexpected',
        accountId: '123456789012',
        region: 'eu-west-1',
        stackName: 'stackfleet-baseline',
      });
    },
  );

  it('ends with the last retryable error and its reason when retries run out', async () => {
    cfn.on(DescribeStacksCommand).rejects(awsError('Throttling', 'Rate exceeded'));

    const { end, events } = await run(input);

    expect(events.filter((e) => e.type === 'StateRetried')).toHaveLength(6);
    expect(end?.Error).toBe('Throttled');
    expect(JSON.parse(String(end?.Cause)).reason).toContain('Rate exceeded');
  });

  it('refuses bad input in Deploy stack with InvalidInput before any AWS call', async () => {
    const { end } = await run({ ...input, region: 'moon-1' });
    expect(sts.calls()).toHaveLength(0);
    expect(end?.Error).toBe('InvalidInput');
    expect(JSON.parse(String(end?.Cause)).reason).toBe(
      'region must be an AWS region code such as eu-west-1. Received: moon-1',
    );
  });

  it.each([
    ['preview', 'mode must be deploy for Deploy stack, which changes stacks. Received: preview'],
    ['destroy', 'mode must be one of deploy, preview, drift. Received: destroy'],
  ])(
    'refuses input of mode %s in Deploy stack with InvalidInput before any AWS call',
    async (mode, reason) => {
      const { end, entered } = await run({ ...input, mode });
      expect(entered).toEqual(['Deploy stack', 'Stack settled?', 'Target failed']);
      expect(end?.Error).toBe('InvalidInput');
      expect(JSON.parse(String(end?.Cause)).reason).toBe(reason);
      expect(sts.calls()).toHaveLength(0);
    },
  );
});
