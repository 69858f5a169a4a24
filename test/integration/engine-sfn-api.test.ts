/**
 * The sandbox's Step Functions API through the real SFNClient: what the CLI and UI call,
 * with AWS's names, errors, idempotency rules and pagination.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { Sandbox } from '../../src/sandbox/sandbox';
import { engineFor } from '../../src/sandbox/services/stepfunctions';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'engine');
const ROLE = 'arn:aws:iam::111122223333:role/stackfleet-state-machine';
const waitLoop = readFileSync(path.join(FIXTURES, 'wait-loop.asl.json'), 'utf8');

describe('sandbox Step Functions API', () => {
  let h: SandboxHarness;
  let arn: string;

  beforeAll(async () => {
    h = await openSandboxHarness({ provision: false });
    h.engine.registerFunction('stackfleet-test-count', (event: { count: number }) => ({
      count: event.count + 1,
    }));
    arn = (
      await h.virtual(() =>
        h.sfn.send(new CreateStateMachineCommand({ name: 'api-test', definition: waitLoop, roleArn: ROLE })),
      )
    ).stateMachineArn as string;
  });

  it('creates state machines idempotently and refuses invalid definitions with the reason', async () => {
    const again = await h.virtual(() =>
      h.sfn.send(new CreateStateMachineCommand({ name: 'api-test', definition: waitLoop, roleArn: ROLE })),
    );
    expect(again.stateMachineArn).toBe(arn);
    await expect(
      h.virtual(() =>
        h.sfn.send(
          new CreateStateMachineCommand({
            name: 'api-test',
            definition: '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}',
            roleArn: ROLE,
          }),
        ),
      ),
    ).rejects.toBeInstanceOf(StateMachineAlreadyExists);
    const broken = '{"StartAt":"Missing","States":{"A":{"Type":"Succeed"}}}';
    const refused = h.virtual(() =>
      h.sfn.send(new CreateStateMachineCommand({ name: 'broken', definition: broken, roleArn: ROLE })),
    );
    await expect(refused).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(refused).rejects.toThrow(/Missing/);
    const validated = await h.virtual(() =>
      h.sfn.send(new ValidateStateMachineDefinitionCommand({ definition: broken })),
    );
    expect(validated.result).toBe('FAIL');
    const described = await h.virtual(() =>
      h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })),
    );
    expect(described).toMatchObject({
      name: 'api-test',
      type: 'STANDARD',
      status: 'ACTIVE',
      roleArn: ROLE,
      definition: waitLoop,
    });
    expect(described.creationDate).toBeInstanceOf(Date);
    const listed = await h.virtual(() => h.sfn.send(new ListStateMachinesCommand({})));
    expect(listed.stateMachines?.map((s) => s.name)).toContain('api-test');
    await expect(
      h.virtual(() => h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn}-nope` }))),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('applies AWS execution name rules and names the value received', async () => {
    for (const bad of ['has space', 'a'.repeat(81), 'semi;colon', 'brace{', '']) {
      const start = h.virtual(() =>
        h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: bad, input: '{}' })),
      );
      await expect(start).rejects.toBeInstanceOf(InvalidName);
    }
    await expect(
      h.virtual(() =>
        h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'has space', input: '{}' })),
      ),
    ).rejects.toThrow(/Received: "has space"/);
    const ok = await h.virtual(() =>
      h.sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name: `a-${'b'.repeat(78)}`, input: '{}' }),
      ),
    );
    expect(ok.executionArn).toMatch(/:execution:api-test:a-b{78}$/);
  });

  it('returns the existing execution for the same name and input, refuses a different input', async () => {
    const first = await h.virtual(() =>
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"x":1}' })),
    );
    const second = await h.virtual(() =>
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"x":1}' })),
    );
    expect(second.executionArn).toBe(first.executionArn);
    expect(second.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expect(
      h.virtual(() =>
        h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'same', input: '{"x":2}' })),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('stops a running execution and lists executions by status, page by page', async () => {
    const { executionArn, stopped, running } = await h.virtual(async () => {
      const started = await h.sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name: 'to-stop', input: '{}' }),
      );
      // let it reach its first ten-minute wait
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const runningNow = await h.sfn.send(
        new DescribeExecutionCommand({ executionArn: started.executionArn }),
      );
      await h.sfn.send(
        new StopExecutionCommand({
          executionArn: started.executionArn,
          error: 'Operator',
          cause: 'stopped by a test',
        }),
      );
      await h.engine.whenIdle();
      const after = await h.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      return { executionArn: started.executionArn as string, stopped: after, running: runningNow };
    });
    expect(running.status).toBe('RUNNING');
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by a test' });
    expect((stopped.stopDate as Date).getTime() - (stopped.startDate as Date).getTime()).toBeLessThan(600000);
    const last = await h.virtual(() =>
      h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 })),
    );
    expect(last.events?.[0]?.type).toBe('ExecutionAborted');
    expect(last.events?.[0]?.executionAbortedEventDetails).toEqual({
      error: 'Operator',
      cause: 'stopped by a test',
    });

    const aborted = await h.virtual(() =>
      h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'ABORTED' })),
    );
    expect(aborted.executions?.map((e) => e.executionArn)).toEqual([executionArn]);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.virtual(() =>
        h.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1, nextToken })),
      );
      expect(page.executions?.length).toBeLessThanOrEqual(1);
      seen.push(...(page.executions ?? []).map((e) => e.executionArn as string));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(executionArn);
    const forExecution = await h.virtual(() =>
      h.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn })),
    );
    expect(forExecution).toMatchObject({ stateMachineArn: arn, name: 'api-test', definition: waitLoop });
  });

  it('serves the definition an execution ran with, even after the state machine is updated', async () => {
    const started = await h.virtual(() =>
      h.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'before-update', input: '{}' })),
    );
    const updated = waitLoop.replace('Six ten-minute waits', 'Updated: six ten-minute waits');
    const res = await h.virtual(async () => {
      const out = await h.sfn.send(
        new UpdateStateMachineCommand({ stateMachineArn: arn, definition: updated }),
      );
      await h.engine.whenIdle();
      return out;
    });
    expect(res.updateDate).toBeInstanceOf(Date);
    const forExecution = await h.virtual(() =>
      h.sfn.send(
        new DescribeStateMachineForExecutionCommand({ executionArn: started.executionArn as string }),
      ),
    );
    expect(forExecution.definition).toBe(waitLoop);
    const current = await h.virtual(() =>
      h.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })),
    );
    expect(current.definition).toBe(updated);
  });

  it('persists executions in the world, and closes executions left RUNNING by a process that ended', async () => {
    const sandbox = await Sandbox.open({ stateDir: null });
    const engine = engineFor(sandbox.world);
    const sm = engine.createStateMachine({
      name: 'persisted',
      definition: waitLoop,
      roleArn: ROLE,
      region: 'eu-west-1',
      accountId: '111122223333',
    });
    engine.registerFunction('stackfleet-test-count', (event: { count: number }) => ({
      count: event.count + 1,
    }));
    const e = engine.startExecution({ stateMachineArn: sm.stateMachineArn, name: 'left-running' });
    // a later command loads the same world state with a new engine: the first process is gone
    const state = JSON.parse(JSON.stringify(sandbox.world.state));
    const later = await Sandbox.open({ stateDir: null });
    Object.assign(later.world.state, state);
    const laterEngine = engineFor(later.world);
    const seen = laterEngine.describeExecution(e.executionArn);
    expect(seen.status).toBe('ABORTED');
    expect(seen.cause).toContain('process that ran this execution ended');
    expect(seen.history.at(-1)?.type).toBe('ExecutionAborted');
    engine.stopExecution(e.executionArn);
    await engine.whenIdle();
  });
});
