import { DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { handler } from '../../functions/check-stack';
import type { TargetProgress } from '../../src/core/target-progress';
import {
  CREATE_MARGIN_SECONDS,
  CREATE_MARGIN_SHARE,
  TYPICAL_CREATE_SECONDS,
} from '../../src/core/wait-policy';
import {
  awsError,
  causeOf,
  describedStack,
  mockDeployClients,
  resetDeployClients,
  STACK_ID,
  TARGET,
  resourceEvent as targetResourceEvent,
  stackEvent as targetStackEvent,
  templateObject,
} from '../helpers/deploy-fixtures';

const aws = mockDeployClients();
const { sts, cfn, s3 } = aws;

const KEYS = {
  AccessKeyId: 'ASIACHECKSTACKKEY001',
  SecretAccessKey: 'check-secret-value-001',
  SessionToken: 'check-session-token-001',
};
const TOKEN = 'sf-create-ro-1-123456789012-eu-west-1';

const input = { ...TARGET, rolloutId: 'ro-1', timeoutSeconds: 3600 };

/** The state input of Check stack: the target plus Deploy stack's progress, started `ago` seconds before now. */
function state(ago: number, extra: Partial<TargetProgress> = {}) {
  const startedAt = new Date(Date.now() - ago * 1000).toISOString();
  const stack: TargetProgress = {
    status: 'IN_PROGRESS',
    accountId: input.accountId,
    region: input.region,
    stackName: input.stackName,
    stackId: STACK_ID,
    operation: 'CREATE',
    clientRequestToken: TOKEN,
    startedAt,
    operationStartedAt: startedAt,
    checks: 0,
    waitSeconds: 20,
    reason: 'Creating',
    ...extra,
  };
  return { ...input, stack };
}

/** Events of the operation Deploy stack started (token {@link TOKEN}) unless told otherwise. */
const stackEvent = (status: string, secondsAgo: number, reason?: string, token = TOKEN) =>
  targetStackEvent(status, secondsAgo, reason, token);
const resourceEvent = (
  id: string,
  type: string,
  status: string,
  secondsAgo: number,
  reason?: string,
  token = TOKEN,
) => targetResourceEvent(id, type, status, secondsAgo, reason, token);

// Without a readable template the policy goes by the events alone (most tests here).
beforeEach(() => resetDeployClients(aws, { keys: KEYS, template: new Error('AccessDenied') }));

describe('Check stack', () => {
  it('reports progress from one DescribeStackEvents call and picks the next wait from the events', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        resourceEvent('Topic', 'AWS::SNS::Topic', 'CREATE_COMPLETE', 5),
        resourceEvent('Detector', 'AWS::GuardDuty::Detector', 'CREATE_IN_PROGRESS', 18),
        resourceEvent('Topic', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 18),
        stackEvent('CREATE_IN_PROGRESS', 20, 'User Initiated'),
      ],
    });

    const out = await handler(state(20));

    expect(cfn.calls()).toHaveLength(1);
    expect(cfn.commandCalls(DescribeStackEventsCommand)[0]?.args[0].input).toEqual({ StackName: STACK_ID });
    expect(out).toMatchObject({ status: 'IN_PROGRESS', stackStatus: 'CREATE_IN_PROGRESS', checks: 1 });
    // The detector has run 18 s; no finished resource took longer, so the default applies: ~42 s more.
    expect(out.waitSeconds).toBeGreaterThanOrEqual(40);
    expect(out.waitSeconds).toBeLessThanOrEqual(52);
    expect(out.reason).toContain('CREATE_IN_PROGRESS');
    expect(JSON.stringify(out)).not.toContain(KEYS.SecretAccessKey);
  });

  it("aims a create's next look at the finish its template's dependencies project, reading the template once", async () => {
    // The topic is encrypted with the key, so it starts only once the key is done.
    const template = [
      'Resources:',
      '  Key: { Type: AWS::KMS::Key }',
      '  Topic:',
      '    Type: AWS::SNS::Topic',
      '    Properties: { KmsMasterKeyId: !GetAtt Key.Arn }',
      '  Bucket: { Type: AWS::S3::Bucket }',
    ].join('\n');
    s3.on(GetObjectCommand).resolves(templateObject(template));
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        resourceEvent('Bucket', 'AWS::S3::Bucket', 'CREATE_COMPLETE', 5),
        resourceEvent('Bucket', 'AWS::S3::Bucket', 'CREATE_IN_PROGRESS', 29),
        resourceEvent('Key', 'AWS::KMS::Key', 'CREATE_IN_PROGRESS', 29),
        stackEvent('CREATE_IN_PROGRESS', 30, 'User Initiated'),
      ],
    });

    const out = await handler(state(30, { checks: 1 }));
    await handler(state(30, { checks: 1 }));

    // The key has run 29 s of its typical time, then the topic that waits for it must still run.
    const keySeconds = TYPICAL_CREATE_SECONDS['AWS::KMS::Key'] ?? 0;
    const topicSeconds = TYPICAL_CREATE_SECONDS['AWS::SNS::Topic'] ?? 0;
    const left = keySeconds - 29 + topicSeconds + 1;
    expect(out.status).toBe('IN_PROGRESS');
    expect(out.waitSeconds).toBe(Math.ceil(left + CREATE_MARGIN_SECONDS + CREATE_MARGIN_SHARE * left));
    expect(out.reason).toContain("projected from the template's dependencies");
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('asks DescribeStacks only when the first events page has no status event of the stack', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [resourceEvent('Topic', 'AWS::SNS::Topic', 'UPDATE_IN_PROGRESS', 5)],
      NextToken: 'more',
    });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [describedStack('UPDATE_IN_PROGRESS')] });
    const out = await handler(state(30, { operation: 'UPDATE' }));
    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: STACK_ID });
    expect(out).toMatchObject({ status: 'IN_PROGRESS', stackStatus: 'UPDATE_IN_PROGRESS' });
  });

  it.each([
    ['CREATE', 'CREATE_COMPLETE', 'CREATED'],
    ['UPDATE', 'UPDATE_COMPLETE', 'UPDATED'],
    ['UPDATE', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATED'],
  ] as const)(
    'a %s that reached %s succeeds with outcome %s and the small execution output',
    async (operation, status, outcome) => {
      cfn
        .on(DescribeStackEventsCommand)
        .resolves({ StackEvents: [stackEvent(status, 1), stackEvent(`${operation}_IN_PROGRESS`, 60)] });
      const out = await handler(state(62, { operation, checks: 1 }));
      expect(out.status).toBe('SUCCEEDED');
      expect(out.result).toEqual({
        accountId: '123456789012',
        region: 'eu-west-1',
        stackName: 'stackfleet-baseline',
        stackId: STACK_ID,
        outcome,
        reason: expect.stringContaining(status),
        startedAt: out.startedAt,
        finishedAt: expect.any(String),
        durationSeconds: 62,
        checks: 2,
      });
      expect(JSON.stringify(out.result).length).toBeLessThan(600);
    },
  );

  it.each([
    ['after a timed-out "Wait for stack event"', { Error: 'States.Timeout', Cause: 'timed out' }, true],
    [
      'after the event wait failed otherwise (not a missed event)',
      { Error: 'Lambda.ServiceException' },
      undefined,
    ],
    ['with no event wait before it', undefined, undefined],
  ])('a success found %s says whether the awaited event was missed', async (_name, eventWait, missed) => {
    cfn
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: [stackEvent('UPDATE_COMPLETE', 1), stackEvent('UPDATE_IN_PROGRESS', 60)] });
    const out = await handler({
      ...state(62, { operation: 'UPDATE', checks: 0 }),
      stackEvents: true,
      ...(eventWait ? { eventWait } : {}),
    });
    expect(out.status).toBe('SUCCEEDED');
    expect(out.result?.stackEventMissed).toBe(missed);
  });

  it('with stack events on, an operation still running gets an event wait at least as long as the poll', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [stackEvent('UPDATE_IN_PROGRESS', 60)],
    });
    const out = await handler({ ...state(62, { operation: 'UPDATE', checks: 1 }), stackEvents: true });
    expect(out.status).toBe('IN_PROGRESS');
    expect(out.eventWaitSeconds).toBe(out.waitSeconds);
    const polled = await handler(state(62, { operation: 'UPDATE', checks: 1 }));
    expect(polled.eventWaitSeconds).toBeUndefined();
  });

  it('a failed create names the first failed resource of this operation, not cancelled or later ones', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        stackEvent('ROLLBACK_COMPLETE', 1),
        resourceEvent('Topic', 'AWS::SNS::Topic', 'DELETE_COMPLETE', 3),
        stackEvent('ROLLBACK_IN_PROGRESS', 10, 'The following resource(s) failed to create: [Hub, Trail].'),
        resourceEvent('Trail', 'AWS::CloudTrail::Trail', 'CREATE_FAILED', 11, 'Invalid S3 bucket policy'),
        resourceEvent('Topic', 'AWS::SNS::Topic', 'CREATE_FAILED', 12, 'Resource creation cancelled'),
        resourceEvent(
          'Hub',
          'AWS::SecurityHub::Hub',
          'CREATE_FAILED',
          13,
          'Account is already subscribed to Security Hub',
        ),
        resourceEvent('Hub', 'AWS::SecurityHub::Hub', 'CREATE_IN_PROGRESS', 25),
        resourceEvent('Topic', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 25),
        stackEvent('CREATE_IN_PROGRESS', 30, 'User Initiated'),
      ],
    });

    const out = await handler(state(30, { checks: 1 }));

    expect(out.error).toBe('StackFailed');
    expect(causeOf(out)).toEqual({
      reason: 'Hub (AWS::SecurityHub::Hub) CREATE_FAILED: Account is already subscribed to Security Hub',
      accountId: '123456789012',
      region: 'eu-west-1',
      stackName: 'stackfleet-baseline',
      stackStatus: 'ROLLBACK_COMPLETE',
      failedResource: {
        logicalId: 'Hub',
        type: 'AWS::SecurityHub::Hub',
        status: 'CREATE_FAILED',
        statusReason: 'Account is already subscribed to Security Hub',
      },
    });
  });

  it('a rolled-back update ignores failures of earlier operations and pages back to its own first failure', async () => {
    const UPDATE_TOKEN = 'sf-update-ro-1-123456789012-eu-west-1';
    cfn.on(DescribeStackEventsCommand, { StackName: STACK_ID, NextToken: undefined }).resolves({
      StackEvents: [
        stackEvent('UPDATE_ROLLBACK_COMPLETE', 1, undefined, UPDATE_TOKEN),
        resourceEvent('Role', 'AWS::IAM::Role', 'UPDATE_COMPLETE', 2, undefined, UPDATE_TOKEN),
        stackEvent(
          'UPDATE_ROLLBACK_IN_PROGRESS',
          5,
          'The following resource(s) failed to update: [Bucket].',
          UPDATE_TOKEN,
        ),
      ],
      NextToken: 'page-2',
    });
    cfn.on(DescribeStackEventsCommand, { StackName: STACK_ID, NextToken: 'page-2' }).resolves({
      StackEvents: [
        resourceEvent(
          'Bucket',
          'AWS::S3::Bucket',
          'UPDATE_FAILED',
          6,
          'Bucket policy denies access',
          UPDATE_TOKEN,
        ),
        resourceEvent('Bucket', 'AWS::S3::Bucket', 'UPDATE_IN_PROGRESS', 20, undefined, UPDATE_TOKEN),
        stackEvent('UPDATE_IN_PROGRESS', 25, 'User Initiated', UPDATE_TOKEN),
        resourceEvent('Old', 'AWS::SNS::Topic', 'CREATE_FAILED', 500, 'an old failure', 'sf-create-ro-0'),
      ],
    });

    const out = await handler(state(25, { operation: 'UPDATE', clientRequestToken: UPDATE_TOKEN }));

    expect(cfn.commandCalls(DescribeStackEventsCommand)).toHaveLength(2);
    expect(causeOf(out).failedResource).toMatchObject({
      logicalId: 'Bucket',
      statusReason: 'Bucket policy denies access',
    });
    expect(causeOf(out).stackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
  });

  it('fails with StackFailed when the stack was deleted while we watched', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    cfn
      .on(DescribeStacksCommand)
      .rejects(awsError('ValidationError', `Stack with id ${STACK_ID} does not exist`));
    const out = await handler(state(40));
    expect(out.error).toBe('StackFailed');
    expect(causeOf(out)).toMatchObject({ stackStatus: 'DELETE_COMPLETE' });
  });

  it('does not read a settled status of the previous operation as ours before ours shows in the events', async () => {
    cfn
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: [stackEvent('UPDATE_COMPLETE', 300, undefined, 'previous-token')] });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [describedStack('UPDATE_IN_PROGRESS')] });
    const out = await handler(
      state(3, { operation: 'UPDATE', clientRequestToken: 'sf-update-ro-1-123456789012-eu-west-1' }),
    );
    expect(out.status).toBe('IN_PROGRESS');
  });

  it('fails with TargetTimedOut, naming the status and how long it waited, at the per-target timeout', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [stackEvent('CREATE_IN_PROGRESS', 3605)] });
    const out = await handler(state(3605, { checks: 40 }));
    expect(out.error).toBe('TargetTimedOut');
    expect(causeOf(out).reason).toContain(
      'was still CREATE_IN_PROGRESS after 3605 s (41 checks); the per-target timeout is 3600 s',
    );
  });

  it('never waits past the per-target timeout', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        resourceEvent('Slow', 'AWS::CloudFront::Distribution', 'CREATE_IN_PROGRESS', 3590),
        stackEvent('CREATE_IN_PROGRESS', 3595),
      ],
    });
    const out = await handler(state(3595, { checks: 30 }));
    expect(out.status).toBe('IN_PROGRESS');
    expect(out.waitSeconds).toBeLessThanOrEqual(6);
  });

  it('refuses a state without the progress of Deploy stack', async () => {
    const out = await handler(input);
    expect(cfn.calls()).toHaveLength(0);
    expect(out.error).toBe('InvalidInput');
    expect(out.reason).toContain('stack must hold the progress Deploy stack returned');
  });

  it('throws Throttled when CloudFormation throttles past the SDK retries, so the state machine retries', async () => {
    cfn.on(DescribeStackEventsCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(handler(state(20))).rejects.toMatchObject({ name: 'Throttled' });
  });

  it('reuses the role session across checks', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [stackEvent('CREATE_IN_PROGRESS', 20)] });
    await handler(state(20));
    await handler(state(40));
    await handler(state(60));
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });
});
