import '../../src/core/polyfills';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type StackEvent,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { StateMachine } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as checkStack } from '../../functions/check-stack';
import { clearTemplateCache, handler as deployStack } from '../../functions/deploy-stack';
import { clearCredentialCache } from '../../src/aws/assume-role';
import { substituteDefinition } from '../../src/core/functions';

/**
 * Runs statemachines/deploy-target.asl.json unchanged in aws-local-stepfunctions, with the
 * Task states bound to the real handlers and only the SDK clients faked.
 */

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);

// Every function placeholder gets a Lambda ARN; only Deploy stack and Check stack run here.
const asl = readFileSync(join(__dirname, '..', '..', 'statemachines', 'deploy-target.asl.json'), 'utf8');
const definition = JSON.parse(
  substituteDefinition(
    asl,
    Object.fromEntries(
      [...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [
        name,
        `arn:aws:lambda:us-east-1:111111111111:function:${name}`,
      ]),
    ),
  ),
);

const input = {
  rolloutId: 'ro-20261127-1a2b3c',
  mode: 'deploy',
  accountId: '123456789012',
  region: 'eu-west-1',
  stackName: 'stackfleet-baseline',
  templateUrl: 'https://my-bucket.s3.us-east-1.amazonaws.com/templates/baseline.yaml?versionId=abc',
  templateVersion: 'abc',
  parameters: { Key: 'Value' },
  tags: { Owner: 'security' },
  capabilities: ['CAPABILITY_NAMED_IAM'],
  executionRoleName: 'StackFleetExecution',
  externalId: 'stackfleet-ext-id',
  timeoutSeconds: 3600,
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID:
    'arn:aws:states:us-east-1:111111111111:execution:rollout:ro-20261127-1a2b3c',
};
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/0f0e';

interface LoggedEvent {
  type: string;
  state?: { name: string; input: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  output?: unknown;
}

const machine = new StateMachine(definition);

type Handler = (event: unknown) => Promise<unknown>;

/** Reports a thrown error the way Lambda does: same name, Cause `{"errorType","errorMessage","trace"}`. */
function asLambda(fn: Handler): Handler {
  return async (event) => {
    try {
      return await fn(event);
    } catch (error) {
      const e = error as Error;
      const reported = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
      reported.name = e.name;
      throw reported;
    }
  };
}

async function run(executionInput: unknown, wrap: (fn: Handler) => Handler = asLambda) {
  const execution = machine.run(executionInput as never, {
    overrides: {
      taskResourceLocalHandlers: {
        'Deploy stack': (i) => wrap(deployStack)(i) as never,
        'Check stack': (i) => wrap(checkStack)(i) as never,
      },
      waitTimeOverrides: { 'Wait for stack': 0, 'Wait for other operation': 0 },
      retryIntervalOverrides: { 'Deploy stack': 0, 'Check stack': 0 },
    },
  });
  const events: LoggedEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event as LoggedEvent);
  })();
  let output: unknown;
  let failed = false;
  try {
    output = await execution.result;
  } catch {
    failed = true;
  }
  await collecting;
  const end = events.find((e) => e.type === 'ExecutionFailed');
  const entered = events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name);
  return { output, failed, events, end, entered };
}

const ago = (s: number) => new Date(Date.now() - s * 1000);
const stackEvent = (status: string, s: number, reason?: string): StackEvent => ({
  StackId: STACK_ID,
  EventId: `${status}-${s}`,
  StackName: input.stackName,
  LogicalResourceId: input.stackName,
  ResourceType: 'AWS::CloudFormation::Stack',
  ResourceStatus: status as StackEvent['ResourceStatus'],
  Timestamp: ago(s),
  ...(reason ? { ResourceStatusReason: reason } : {}),
});
const resourceEvent = (id: string, type: string, status: string, s: number, reason?: string): StackEvent => ({
  StackId: STACK_ID,
  EventId: `${id}-${status}-${s}`,
  StackName: input.stackName,
  LogicalResourceId: id,
  ResourceType: type,
  ResourceStatus: status as StackEvent['ResourceStatus'],
  Timestamp: ago(s),
  ...(reason ? { ResourceStatusReason: reason } : {}),
});

beforeEach(() => {
  sts.reset();
  cfn.reset();
  s3.reset();
  clearCredentialCache();
  clearTemplateCache();
  s3.on(GetObjectCommand).resolves({
    Body: { transformToString: async () => 'Resources:\n  Topic: { Type: AWS::SNS::Topic }\n' } as never,
  });
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAWORKFLOWKEY00001',
      SecretAccessKey: 'workflow-secret-001',
      SessionToken: 'workflow-token-001',
      Expiration: new Date(Date.now() + 3600_000),
    },
  });
});

describe('deploy-target workflow in the local engine', () => {
  it('creates a stack: deploy, wait, check twice, and outputs the small result in about ten transitions', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        message: 'Stack with id stackfleet-baseline does not exist',
        $fault: 'client',
        $metadata: {},
      }),
    );
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
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: input.stackName,
          StackId: STACK_ID,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: ago(999),
          EnableTerminationProtection: true,
        },
      ],
    });
    cfn.on(UpdateStackCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        message: 'No updates are to be performed.',
        $fault: 'client',
        $metadata: {},
      }),
    );

    const { output, entered } = await run(input);

    expect(output).toMatchObject({ outcome: 'NO_CHANGE', checks: 0, stackId: STACK_ID });
    expect(entered).toEqual(['Deploy stack', 'Stack settled?', 'Stack up to date']);
  });

  it('fails a target whose stack rolled back with Error StackFailed and the first failed resource in Cause', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        message: 'Stack with id stackfleet-baseline does not exist',
        $fault: 'client',
        $metadata: {},
      }),
    );
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
      .rejectsOnce(
        new CloudFormationServiceException({
          name: 'Throttling',
          message: 'Rate exceeded',
          $fault: 'client',
          $metadata: {},
        }),
      )
      .resolves({
        Stacks: [
          {
            StackName: input.stackName,
            StackId: STACK_ID,
            StackStatus: 'UPDATE_COMPLETE',
            CreationTime: ago(999),
            EnableTerminationProtection: true,
          },
        ],
      });
    cfn.on(UpdateStackCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        message: 'No updates are to be performed.',
        $fault: 'client',
        $metadata: {},
      }),
    );

    const { output, events } = await run(input);

    expect(events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
    expect(output).toMatchObject({ outcome: 'NO_CHANGE' });
  });

  it('waits for an operation someone else started, then updates', async () => {
    const stack = (status: string) => ({
      Stacks: [
        {
          StackName: input.stackName,
          StackId: STACK_ID,
          StackStatus: status as never,
          CreationTime: ago(999),
          EnableTerminationProtection: true,
        },
      ],
    });
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
      cfn.on(DescribeStacksCommand).rejects(
        new CloudFormationServiceException({
          name: 'SurpriseFault',
          message: 'Something "quoted" \\ unexpected',
          $fault: 'client',
          $metadata: {},
        }),
      );

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
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'Throttling',
        message: 'Rate exceeded',
        $fault: 'client',
        $metadata: {},
      }),
    );

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
