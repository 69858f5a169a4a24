/**
 * The two stack-event functions at their edges, with the SDK clients faked: Register stack wait
 * refuses a state it cannot file (naming the field), files the waiter with a conditional write,
 * and answers the task itself when the operation's event came first; Match stack event ignores
 * what is not the end of a stackfleet operation and answers the waiting task.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as match } from '../../functions/match-stack-event';
import { handler as register } from '../../functions/register-stack-wait';
import { STACK_WAIT_BUCKET_VARIABLE, stackWaitKey } from '../../src/core/stack-waits';
import { TARGET } from '../helpers/deploy-fixtures';

const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const TOKEN = 'sf-update-ro-1-123456789012-eu-west-1';
// A stack id as CloudFormation gives it (its last part a UUID; the token store's key uses it).
const STACK_ID =
  'arn:aws:cloudformation:eu-west-1:123456789012:stack/stackfleet-baseline/51af3dc0-da77-11e4-872e-1234567db123';

beforeEach(() => {
  s3.reset();
  sfn.reset();
  process.env[STACK_WAIT_BUCKET_VARIABLE] = 'admin-artifacts';
  process.env.AWS_REGION = 'us-east-1';
});
afterAll(() => {
  delete process.env[STACK_WAIT_BUCKET_VARIABLE];
});

function waitingState(stack: Record<string, unknown> = {}) {
  return {
    ...TARGET,
    timeoutSeconds: 3600,
    stackEvents: true,
    parameters: { Secret: 'not-for-the-store' },
    stack: {
      status: 'IN_PROGRESS',
      accountId: TARGET.accountId,
      region: TARGET.region,
      stackName: TARGET.stackName,
      startedAt: new Date(Date.now() - 5000).toISOString(),
      operationStartedAt: new Date(Date.now() - 5000).toISOString(),
      stackId: STACK_ID,
      operation: 'UPDATE',
      clientRequestToken: TOKEN,
      checks: 0,
      waitSeconds: 20,
      eventWaitSeconds: 120,
      reason: 'Updating',
      ...stack,
    },
  };
}

const statusError = (code: number, name: string) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: code } });

describe('register-stack-wait', () => {
  it.each([
    ['no task token', { taskToken: '' }, 'taskToken must be $$.Task.Token. Received: '],
    [
      'a settled stack',
      { stack: { status: 'SUCCEEDED' } },
      'stack.status must be IN_PROGRESS. Received: SUCCEEDED',
    ],
    [
      'no ClientRequestToken',
      { stack: { clientRequestToken: '' } },
      'stack.clientRequestToken must name the watched operation',
    ],
    [
      'no event wait',
      { stack: { eventWaitSeconds: undefined } },
      'stack.eventWaitSeconds must be a whole number of seconds >= 1. Received: undefined',
    ],
  ])('refuses %s, naming the field', async (_name, change, message) => {
    const state = waitingState((change as { stack?: Record<string, unknown> }).stack);
    const event = { input: state, taskToken: 'taskToken' in change ? (change.taskToken as string) : 'tok' };
    await expect(register(event)).rejects.toThrow(message);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('files the waiter only where no record is, without the rollout parameters', async () => {
    s3.on(PutObjectCommand).resolves({});
    const out = await register({ input: waitingState(), taskToken: 'task-token-1' });
    expect(out).toEqual({ key: stackWaitKey(STACK_ID, TOKEN), registered: true });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      Bucket: 'admin-artifacts',
      Key: stackWaitKey(STACK_ID, TOKEN),
      IfNoneMatch: '*',
    });
    expect(String(put?.Body)).toContain('task-token-1');
    expect(String(put?.Body)).not.toContain('not-for-the-store');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers the task at once when the operation ended first (its event is in the store)', async () => {
    s3.on(PutObjectCommand).rejectsOnce(statusError(412, 'PreconditionFailed')).resolves({});
    s3.on(GetObjectCommand).resolves({
      ETag: '"e1"',
      Body: {
        transformToString: async () =>
          JSON.stringify({
            kind: 'event',
            status: 'UPDATE_COMPLETE',
            reason: '',
            time: new Date().toISOString(),
            expiresAt: new Date(Date.now() + 3600_000).toISOString(),
          }),
      } as never,
    });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const out = await register({ input: waitingState(), taskToken: 'task-token-2' });
    expect(out.registered).toBe(false);
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe('task-token-2');
    expect(JSON.parse(sent?.output ?? '{}')).toMatchObject({
      status: 'SUCCEEDED',
      stackStatus: 'UPDATE_COMPLETE',
      result: { outcome: 'UPDATED', checks: 0 },
    });
  });
});

describe('match-stack-event', () => {
  const event = (status: string, token = TOKEN) => ({
    version: '0',
    id: 'e-1',
    'detail-type': 'CloudFormation Stack Status Change',
    source: 'aws.cloudformation',
    account: TARGET.accountId,
    region: TARGET.region,
    time: new Date().toISOString(),
    resources: [STACK_ID],
    detail: {
      'stack-id': STACK_ID,
      'status-details': { status, 'status-reason': '' },
      'client-request-token': token,
    },
  });

  it('ignores an in-progress status without touching the store', async () => {
    expect(await match(event('UPDATE_IN_PROGRESS'))).toMatchObject({ result: 'ignored' });
    expect(s3.calls()).toHaveLength(0);
  });

  it('refuses an event that is not a Stack Status Change, naming the field', async () => {
    await expect(match({ ...event('UPDATE_COMPLETE'), source: 'aws.s3' })).rejects.toThrow(
      'source must be that of a CloudFormation Stack Status Change event. Received: "aws.s3"',
    );
  });

  it('keeps an end nobody waits for yet and notes that the region forwards events', async () => {
    s3.on(GetObjectCommand).rejects(statusError(404, 'NoSuchKey'));
    s3.on(PutObjectCommand).resolves({});
    expect(await match(event('UPDATE_COMPLETE'))).toMatchObject({ result: 'kept' });
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toEqual([stackWaitKey(STACK_ID, TOKEN), 'stack-waits/_events-flowing/eu-west-1.json']);
  });
});
