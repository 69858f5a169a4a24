import '../../src/core/polyfills';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type StackEvent,
  UpdateTerminationProtectionCommand,
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
 * The design rule "credentials never travel through state": run the real workflow file with the
 * real handlers (SDK clients faked) through its paths, and look for the assumed role's key, secret
 * and session token anywhere in the engine's event log: every state's input and output, errors,
 * retries, and the execution's output or failure.
 */

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);

const SECRETS = {
  AccessKeyId: 'ASIAZZNOTINSTATE0001',
  SecretAccessKey: 'never-in-state-secret/XyZ+001',
  SessionToken: 'IQoJb3JpZ2luX2VjENEVERINSTATE001',
};

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
const machine = new StateMachine(definition);

const input = {
  rolloutId: 'ro-20261127-1a2b3c',
  mode: 'deploy',
  accountId: '123456789012',
  region: 'eu-west-1',
  stackName: 'stackfleet-baseline',
  templateUrl: 'https://my-bucket.s3.us-east-1.amazonaws.com/templates/baseline.yaml?versionId=abc',
  templateVersion: 'abc',
  executionRoleName: 'StackFleetExecution',
  externalId: 'stackfleet-ext-id',
};
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/0f0e';
const missing = new CloudFormationServiceException({
  name: 'ValidationError',
  message: 'Stack with id stackfleet-baseline does not exist',
  $fault: 'client',
  $metadata: {},
});
const stackEvent = (status: string, reason?: string): StackEvent => ({
  StackId: STACK_ID,
  EventId: status,
  StackName: input.stackName,
  LogicalResourceId: input.stackName,
  ResourceType: 'AWS::CloudFormation::Stack',
  ResourceStatus: status as StackEvent['ResourceStatus'],
  Timestamp: new Date(),
  ...(reason ? { ResourceStatusReason: reason } : {}),
});

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

async function eventLog(executionInput: unknown): Promise<{ log: string; types: string[] }> {
  const execution = machine.run(executionInput as never, {
    overrides: {
      taskResourceLocalHandlers: {
        'Deploy stack': (i) => asLambda(deployStack)(i) as never,
        'Check stack': (i) => asLambda(checkStack)(i) as never,
      },
      waitTimeOverrides: { 'Wait for stack': 0, 'Wait for other operation': 0 },
      retryIntervalOverrides: { 'Deploy stack': 0, 'Check stack': 0 },
    },
  });
  const events: unknown[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  await execution.result.catch(() => undefined);
  await collecting;
  // Error objects in events (a retried error's cause) are serialised with their own properties too.
  const log = JSON.stringify(events, (_key, value) =>
    value instanceof Error ? { ...value, name: value.name, message: value.message } : value,
  );
  return { log, types: events.map((e) => (e as { type: string }).type) };
}

async function credentialsUsedByCloudFormation(): Promise<string | undefined> {
  const client = cfn.calls()[0]?.thisValue as CloudFormationClient | undefined;
  return client ? (await client.config.credentials()).accessKeyId : undefined;
}

function expectClean(log: string) {
  for (const [name, value] of Object.entries(SECRETS)) {
    expect({ name, found: log.includes(value) }).toEqual({ name, found: false });
  }
  expect(log).not.toMatch(
    /"(AccessKeyId|SecretAccessKey|SessionToken|accessKeyId|secretAccessKey|sessionToken|Credentials|credentials)"/,
  );
}

beforeEach(() => {
  sts.reset();
  cfn.reset();
  s3.reset();
  clearCredentialCache();
  clearTemplateCache();
  s3.on(GetObjectCommand).resolves({
    Body: { transformToString: async () => 'Resources:\n  Topic: { Type: AWS::SNS::Topic }\n' } as never,
  });
  sts
    .on(AssumeRoleCommand)
    .resolves({ Credentials: { ...SECRETS, Expiration: new Date(Date.now() + 3600_000) } });
});

describe('no credential material in state', () => {
  it('a create that is throttled once, polled and succeeds', async () => {
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
      .rejects(missing);
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [stackEvent('CREATE_IN_PROGRESS')] })
      .resolves({ StackEvents: [stackEvent('CREATE_COMPLETE'), stackEvent('CREATE_IN_PROGRESS')] });

    const { log, types } = await eventLog(input);

    expect(await credentialsUsedByCloudFormation()).toBe(SECRETS.AccessKeyId);
    expect(types).toContain('StateRetried');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expectClean(log);
  });

  it('a stack left in ROLLBACK_COMPLETE that is deleted and created again, then fails', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [
          {
            StackName: input.stackName,
            StackId: STACK_ID,
            StackStatus: 'ROLLBACK_COMPLETE',
            CreationTime: new Date(),
            EnableTerminationProtection: true,
          },
        ],
      })
      .rejects(missing);
    cfn.on(UpdateTerminationProtectionCommand).resolves({});
    cfn.on(DeleteStackCommand).resolves({});
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        stackEvent('ROLLBACK_COMPLETE'),
        {
          ...stackEvent('CREATE_FAILED'),
          LogicalResourceId: 'Hub',
          ResourceType: 'AWS::SecurityHub::Hub',
          ResourceStatusReason: 'Invalid request provided',
        },
        stackEvent('CREATE_IN_PROGRESS'),
      ],
    });

    const { log, types } = await eventLog(input);

    expect(await credentialsUsedByCloudFormation()).toBe(SECRETS.AccessKeyId);
    expect(types.at(-1)).toBe('ExecutionFailed');
    expect(log).toContain('Invalid request provided');
    expectClean(log);
  });

  it('an unexpected CloudFormation error recorded by the catch-all', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'SurpriseFault',
        message: 'odd',
        $fault: 'client',
        $metadata: {},
      }),
    );
    const { log, types } = await eventLog(input);
    expect(await credentialsUsedByCloudFormation()).toBe(SECRETS.AccessKeyId);
    expect(types.at(-1)).toBe('ExecutionFailed');
    expectClean(log);
  });
});
