/**
 * The service integrations the engine binds in-process, with AWS's result and error shapes:
 * lambda:invoke, startExecution (async / .sync / .sync:2), sns:publish, and a Distributed Map
 * over an input array with a percentage tolerance.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateStateMachineCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { StackFailedError } from '../../src/core/errors';
import { substituteDefinition } from '../../src/core/functions';
import { givenRole } from '../helpers/cfn-iam';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'engine');
const ACCOUNT = '111122223333';
const ROLE_NAME = 'stackfleet-integration-machines';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`;
const FAILING = '299999999999';
const machine = (name: string) => `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:${name}`;

/**
 * The role the fixtures' state machines run as, with what the Step Functions Developer Guide says
 * each integration needs (stepfunctions-iam: Lambda, nested executions with .sync, SNS;
 * iam-policies-eg-dist-map: a Distributed Map starts executions of its own state machine), and
 * a trust in states.amazonaws.com for this account only (cross-service confused deputy prevention).
 */
function givenMachineRole(world: SandboxHarness['sandbox']['world']): void {
  givenRole(
    world,
    ACCOUNT,
    ROLE_NAME,
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'states.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        },
      ],
    },
    {
      integrations: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:stackfleet-test-*`,
          },
          {
            Effect: 'Allow',
            Action: 'states:StartExecution',
            Resource: [machine('integration-target'), machine('map-tolerance')],
          },
          {
            Effect: 'Allow',
            Action: ['states:DescribeExecution', 'states:StopExecution'],
            Resource: `arn:aws:states:eu-west-1:${ACCOUNT}:execution:integration-target:*`,
          },
          {
            Effect: 'Allow',
            Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
            Resource: `arn:aws:events:eu-west-1:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
          },
          {
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: `arn:aws:sns:eu-west-1:${ACCOUNT}:does-not-exist`,
          },
        ],
      },
    },
  );
}

describe('local engine: service integrations', () => {
  let h: SandboxHarness;
  let targetArn: string;

  async function create(name: string, file: string): Promise<string> {
    const definition = substituteDefinition(readFileSync(path.join(FIXTURES, file), 'utf8'), {
      TargetStateMachineArn: targetArn,
    });
    const out = await h.virtual(() =>
      h.sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE })),
    );
    return out.stateMachineArn as string;
  }

  beforeAll(async () => {
    h = await openSandboxHarness({ provision: false });
    givenMachineRole(h.sandbox.world);
    h.engine.registerFunction('stackfleet-test-begin', (event: unknown) => event);
    h.engine.registerFunction('stackfleet-test-end', (event: { account: string; region: string }) => {
      if (event.account.startsWith('2999'))
        throw new StackFailedError(`Resource Hub failed in ${event.account}`);
      return { account: event.account, outcome: 'CREATED' };
    });
    targetArn = (
      await h.virtual(() =>
        h.sfn.send(
          new CreateStateMachineCommand({
            name: 'integration-target',
            definition: readFileSync(path.join(FIXTURES, 'target.asl.json'), 'utf8'),
            roleArn: ROLE,
          }),
        ),
      )
    ).stateMachineArn as string;
  });

  it('answers each integration with the shape AWS gives', async () => {
    const arn = await create('integrations', 'integrations.asl.json');
    const run = await h.run(arn, {});
    expect(run.status).toBe('SUCCEEDED');
    const out = run.output as Record<string, Record<string, unknown>>;

    expect(out.invoked).toEqual({ account: '200000000001', status: 200 });

    expect(out.async?.ExecutionArn).toBe(`${targetArn.replace(':stateMachine:', ':execution:')}:async-child`);
    expect(typeof out.async?.StartDate).toBe('number');
    // fire-and-forget: the child kept running after the Task returned, and finished on its own
    const asyncChild = await h.virtual(() =>
      h.sfn.send(new DescribeExecutionCommand({ executionArn: out.async?.ExecutionArn as string })),
    );
    expect(asyncChild.status).toBe('SUCCEEDED');

    expect(out.sync?.status).toBe('SUCCEEDED');
    expect(typeof out.sync?.output).toBe('string');
    expect(JSON.parse(out.sync?.output as string)).toEqual({ account: '200000000003', outcome: 'CREATED' });

    expect(out.childError?.Error).toBe('States.TaskFailed');
    const child = JSON.parse(out.childError?.Cause as string);
    expect(child).toMatchObject({ Status: 'FAILED', Error: 'StackFailed', Name: 'failing-child' });
    expect(child.Input).toEqual({ account: FAILING, region: 'eu-west-1', seconds: 10 });

    // SNS errors arrive as SNS.<code>; the role may publish there, so the topic's absence is the answer.
    expect(out.snsError?.Error).toBe('SNS.NotFoundException');
  });

  it('tolerates failures up to the percentage, and fails past it with the Map Catch still working', async () => {
    const arn = await create('map-tolerance', 'map-tolerance.asl.json');
    const item = (account: string) => ({ account, region: 'eu-west-1', seconds: 10 });
    const within = await h.run(arn, {
      items: [item(FAILING), item('200000000001'), item('200000000002'), item('200000000003')],
    });
    expect(within.status).toBe('SUCCEEDED');
    const results = (within.output as { processed: { results: Array<Record<string, unknown>> } }).processed
      .results;
    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ Error: 'StackFailed' });
    expect(results[1]).toEqual({ account: '200000000001', outcome: 'CREATED' });

    const beyond = await h.run(arn, {
      items: [item(FAILING), item('299999999998'), item('200000000002'), item('200000000003')],
    });
    expect(beyond.status).toBe('SUCCEEDED');
    const failure = (beyond.output as { failure: { Error: string; Cause: string } }).failure;
    expect(failure.Error).toBe('States.ExceedToleratedFailureThreshold');
    expect(failure.Cause).toContain('2 of 4 items failed');
  });
});
