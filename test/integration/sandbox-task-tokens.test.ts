/**
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat on the sandbox's Step Functions API, with
 * the real SFNClient and real role sessions: what each state of a token answers (API Reference,
 * SendTaskSuccess "Errors"), the members' length constraints, and IAM on the state machine the
 * token's task runs in (src/sandbox/iam/actions/states.ts says why that resource).
 */
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { awsClients } from '../../src/aws/clients';
import type { PolicyDocument } from '../../src/sandbox/iam/types';
import { allow, givenRole } from '../helpers/cfn-iam';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const REGION = 'eu-west-1';
let h: SandboxHarness;
let account: string;
let machineArn: string;

const trustAccount = (id: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${id}:root` }, Action: 'sts:AssumeRole' }],
});

/** An SFNClient signing as a session of a role of the admin account. */
async function clientAs(roleName: string): Promise<SFNClient> {
  const session = await awsClients.sts({ region: REGION }).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/${roleName}`,
      RoleSessionName: 'callback',
    }),
  );
  const c = session.Credentials;
  return awsClients.sfn({
    region: REGION,
    credentials: {
      accessKeyId: c?.AccessKeyId as string,
      secretAccessKey: c?.SecretAccessKey as string,
      sessionToken: c?.SessionToken as string,
    },
  });
}

/** Starts an execution and resolves with the token its callback task handed the worker. */
let nextToken: ((token: string) => void) | undefined;
async function waitingTask(name: string): Promise<string> {
  const token = new Promise<string>((resolve) => {
    nextToken = resolve;
  });
  await h.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input: '{}' }));
  return token;
}

async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected the call to be refused');
}

beforeAll(async () => {
  h = await openSandboxHarness({ provision: false });
  account = h.accountId;
  const world = h.sandbox.world;
  givenRole(world, account, 'callback-machine', {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  });
  h.engine.registerFunction('callback-worker', (event: { token: string }) => {
    nextToken?.(event.token);
    return {};
  });
  machineArn = `arn:aws:states:${REGION}:${account}:stateMachine:callback-api`;
  h.engine.createStateMachine({
    name: 'callback-api',
    region: REGION,
    accountId: account,
    roleArn: `arn:aws:iam::${account}:role/callback-machine`,
    definition: JSON.stringify({
      StartAt: 'Wait for callback',
      States: {
        'Wait for callback': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: `arn:aws:lambda:${REGION}:${account}:function:callback-worker`,
            Payload: { 'token.$': '$$.Task.Token' },
          },
          TimeoutSeconds: 3600,
          HeartbeatSeconds: 600,
          End: true,
        },
      },
    }),
  });
  const actions = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];
  givenRole(world, account, 'on-machine', trustAccount(account), { p: allow(actions, machineArn) });
  givenRole(world, account, 'on-executions', trustAccount(account), {
    p: allow(actions, `arn:aws:states:${REGION}:${account}:execution:callback-api:*`),
  });
  givenRole(world, account, 'on-anything', trustAccount(account), { p: allow(actions, '*') });
});

describe('SendTask* on the sandbox API', () => {
  it('completes the waiting task for a caller allowed on its state machine; a second call answers TaskTimedOut', async () => {
    const result = await h.virtual(async () => {
      const token = await waitingTask('success-once');
      const onMachine = await clientAs('on-machine');
      await onMachine.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      await onMachine.send(
        new SendTaskSuccessCommand({ taskToken: token, output: '{"status":"CREATE_COMPLETE"}' }),
      );
      const again = await refusal(
        onMachine.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      );
      const fail = await refusal(
        onMachine.send(new SendTaskFailureCommand({ taskToken: token, error: 'X' })),
      );
      return { again, fail };
    });
    expect(result.again.name).toBe('TaskTimedOut');
    expect(result.fail.name).toBe('TaskTimedOut');
    const execution = h.engine.describeExecution(
      `${machineArn.replace(':stateMachine:', ':execution:')}:success-once`,
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output as string)).toEqual({ status: 'CREATE_COMPLETE' });
  });

  it('refuses a caller allowed only on the executions, naming the state machine as the resource, and the task keeps waiting', async () => {
    const denied = await h.virtual(async () => {
      const token = await waitingTask('denied-first');
      const onExecutions = await clientAs('on-executions');
      const answer = await refusal(
        onExecutions.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      );
      // The same token still works for a caller that may: the refused call changed nothing.
      await (await clientAs('on-anything')).send(
        new SendTaskFailureCommand({ taskToken: token, error: 'Stop', cause: 'test' }),
      );
      return answer;
    });
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain(
      `not authorized to perform: states:SendTaskSuccess on resource: ${machineArn}`,
    );
    const execution = h.engine.describeExecution(
      `${machineArn.replace(':stateMachine:', ':execution:')}:denied-first`,
    );
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Stop');
  });

  it('answers InvalidToken for a token it never issued and ValidationException for members past their length', async () => {
    const answers = await h.virtual(async () => {
      const anything = await clientAs('on-anything');
      return {
        invalid: await refusal(
          anything.send(new SendTaskSuccessCommand({ taskToken: 'AQnot-a-real-token', output: '{}' })),
        ),
        longToken: await refusal(
          anything.send(new SendTaskHeartbeatCommand({ taskToken: 'x'.repeat(2049) })),
        ),
        longError: await refusal(
          anything.send(new SendTaskFailureCommand({ taskToken: 'AQx', error: 'E'.repeat(257) })),
        ),
      };
    });
    expect(answers.invalid.name).toBe('InvalidToken');
    expect(answers.longToken.name).toBe('ValidationException');
    expect(answers.longToken.message).toContain("'taskToken'");
    expect(answers.longToken.message).toContain('Received: 2049 characters');
    expect(answers.longError.name).toBe('ValidationException');
    expect(answers.longError.message).toContain("'error'");
  });
});
