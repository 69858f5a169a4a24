import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import {
  awsError,
  describedStack,
  mockDeployClients,
  resetDeployClients,
  STACK_ID,
  stackEvent,
  stackMissing,
  TARGET,
  TOPIC_TEMPLATE,
} from '../helpers/deploy-fixtures';
import { runDeployTarget } from '../helpers/deploy-target-machine';

/**
 * The design rule "credentials never travel through state": run the real workflow file with the
 * real handlers (SDK clients faked) through its paths, and look for the assumed role's key, secret
 * and session token anywhere in the engine's event log: every state's input and output, errors,
 * retries, and the execution's output or failure.
 */

const aws = mockDeployClients();
const { cfn } = aws;

const SECRETS = {
  AccessKeyId: 'ASIAZZNOTINSTATE0001',
  SecretAccessKey: 'never-in-state-secret/XyZ+001',
  SessionToken: 'IQoJb3JpZ2luX2VjENEVERINSTATE001',
};

const input = { ...TARGET, externalId: 'stackfleet-ext-id' };
const missing = stackMissing();

async function eventLog(executionInput: unknown): Promise<{ log: string; types: string[] }> {
  const { events } = await runDeployTarget(executionInput);
  // Error objects in events (a retried error's cause) are serialised with their own properties too.
  const log = JSON.stringify(events, (_key, value) =>
    value instanceof Error ? { ...value, name: value.name, message: value.message } : value,
  );
  return { log, types: events.map((e) => e.type) };
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

beforeEach(() => resetDeployClients(aws, { keys: SECRETS, template: TOPIC_TEMPLATE }));

describe('no credential material in state', () => {
  it('a create that is throttled once, polled and succeeds', async () => {
    cfn.on(DescribeStacksCommand).rejectsOnce(awsError('Throttling', 'Rate exceeded')).rejects(missing);
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
      .resolvesOnce({ Stacks: [describedStack('ROLLBACK_COMPLETE')] })
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
    cfn.on(DescribeStacksCommand).rejects(awsError('SurpriseFault', 'odd'));
    const { log, types } = await eventLog(input);
    expect(await credentialsUsedByCloudFormation()).toBe(SECRETS.AccessKeyId);
    expect(types.at(-1)).toBe('ExecutionFailed');
    expectClean(log);
  });
});
