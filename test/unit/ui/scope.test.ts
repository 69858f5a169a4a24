import type { SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionScope, stateMachineOfExecution } from '../../../src/ui/scope';

const base = 'arn:aws:states:eu-west-1:111122223333';
const rollout = `${base}:stateMachine:StackFleetAdmin-Rollout1A2B`;
const deploy = `${base}:stateMachine:StackFleetAdmin-DeployTarget3C4D`;
/** No call may reach Step Functions when the machines are given. */
const noCalls = {
  send: () => {
    throw new Error('unexpected Step Functions call');
  },
} as unknown as SFNClient;

describe('stateMachineOfExecution (Service Authorization Reference: execution ARN format)', () => {
  it.each([
    [`${base}:execution:StackFleetAdmin-Rollout1A2B:demo-1`, rollout],
    [
      `arn:aws-cn:states:cn-north-1:111122223333:execution:m:x`,
      'arn:aws-cn:states:cn-north-1:111122223333:stateMachine:m',
    ],
  ])('%s belongs to %s', (execution, machine) => {
    expect(stateMachineOfExecution(execution)).toBe(machine);
  });

  it.each([
    ['a Distributed Map child', `${base}:execution:StackFleetAdmin-Rollout1A2B/Deploy targets:0f3c`],
    ['an Express execution', `${base}:express:StackFleetAdmin-Rollout1A2B:demo-1:0f3c`],
    ['a state machine ARN', rollout],
    ['not an ARN', 'payroll-export:run-1'],
  ])('answers undefined for %s', (_, arn) => {
    expect(stateMachineOfExecution(arn)).toBeUndefined();
  });
});

describe('ExecutionScope', () => {
  const scope = new ExecutionScope(noCalls, {
    rolloutStateMachineArn: rollout,
    targetStateMachineArns: [deploy],
  });

  it('serves executions of the rollout machine and of the per-target machines', async () => {
    const r = `${base}:execution:StackFleetAdmin-Rollout1A2B:demo-1`;
    const t = `${base}:execution:StackFleetAdmin-DeployTarget3C4D:222222222222-eu-west-1-demo-1`;
    expect(scope.requireRollout('arn', r)).toBe(r);
    await expect(scope.requireTarget('arn', t)).resolves.toBe(t);
  });

  it('refuses another workflow, naming the machines served and the one received', async () => {
    const foreign = `${base}:execution:payroll-export:run-1`;
    expect(() => scope.requireRollout('arn', foreign)).toThrow(
      `Query parameter arn must be an execution of stackfleet's rollout state machine ${rollout}; this UI serves no other workflow. Received: ${foreign} (an execution of ${base}:stateMachine:payroll-export)`,
    );
    await expect(scope.requireTarget('arn', foreign)).rejects.toMatchObject({
      name: 'ForeignExecution',
      message: expect.stringContaining(`per-target state machines (${deploy})`),
    });
  });

  it('refuses a machine whose name only looks like ours (same name, other account)', async () => {
    const lookalike = `arn:aws:states:eu-west-1:999999999999:execution:StackFleetAdmin-Rollout1A2B:demo-1`;
    expect(() => scope.requireRollout('arn', lookalike)).toThrow(
      /Received: arn:aws:states:eu-west-1:999999999999/,
    );
  });

  it('refuses a malformed ARN as a bad request naming the parameter', () => {
    expect(() => scope.requireRollout('arn', 'not-an-arn')).toThrow(
      expect.objectContaining({
        name: 'UiRequestError',
        message: 'Query parameter arn must be a Step Functions execution ARN. Received: not-an-arn',
      }),
    );
  });
});

describe('ExecutionScope without the machines given (read from the rollout definition)', () => {
  const walkLane = `${base}:stateMachine:StackFleetAdmin-WalkLane5E6F`;
  // The rollout passes its machines to Validate input (statemachines/rollout.asl.json).
  const definition = JSON.stringify({
    StartAt: 'Validate input',
    States: {
      'Validate input': {
        Type: 'Task',
        Parameters: { targetStateMachines: { deploy, graph: walkLane } },
        End: true,
      },
    },
  });
  const sfn = { send: async () => ({ definition }) } as unknown as SFNClient;

  it("serves the stacks form's lane walker (walk-lane) as one of stackfleet's machines", async () => {
    const scope = new ExecutionScope(sfn, { rolloutStateMachineArn: rollout });
    const lane = `${base}:execution:StackFleetAdmin-WalkLane5E6F:222222222222-eu-west-1-lane1-demo-1`;
    await expect(scope.requireTarget('arn', lane)).resolves.toBe(lane);
    await expect(scope.targetStateMachineArns()).resolves.toEqual(new Set([deploy, walkLane]));
  });
});
