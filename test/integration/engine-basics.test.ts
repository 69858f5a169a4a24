/**
 * The local engine on the sandbox, through the real SFNClient: Wait under virtual time,
 * Retry with backoff, Catch, and the execution history a person reads in the console.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { TransientError } from '../../src/core/errors';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'engine');
const ROLE = 'arn:aws:iam::111122223333:role/stackfleet-state-machine';

async function createMachine(h: SandboxHarness, name: string, file: string): Promise<string> {
  const definition = readFileSync(path.join(FIXTURES, file), 'utf8');
  const out = await h.virtual(() =>
    h.sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE })),
  );
  return out.stateMachineArn as string;
}

async function history(h: SandboxHarness, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.virtual(() =>
      h.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 50 })),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('local engine: waits, retries and catches', () => {
  let h: SandboxHarness;
  let seen: number[];
  let flakyCalls: number[];

  beforeAll(async () => {
    h = await openSandboxHarness({ provision: false });
    h.engine.registerFunction('stackfleet-test-count', (event: { count: number }) => {
      seen.push(Date.now());
      return { count: event.count + 1 };
    });
    h.engine.registerFunction('stackfleet-test-flaky', (event: { failTimes: number }) => {
      flakyCalls.push(Date.now());
      if (flakyCalls.length <= event.failTimes)
        throw new TransientError(`attempt ${flakyCalls.length} failed`);
      return { attempts: flakyCalls.length };
    });
    h.engine.registerFunction('stackfleet-test-refuse', () => {
      const e = new Error(
        'AccessDenied: role StackFleetExecution in 200000000001 does not trust the admin account',
      );
      e.name = 'RoleNotAssumable';
      throw e;
    });
  });

  beforeEach(() => {
    seen = [];
    flakyCalls = [];
  });

  it('runs an hour of Wait states in virtual time, with the same timings on every run', async () => {
    const arn = await createMachine(h, 'wait-loop', 'wait-loop.asl.json');
    const first = await h.run(arn, {});
    const firstSeen = seen.map((t) => t - (seen[0] as number));
    seen = [];
    const second = await h.run(arn, {});
    const secondSeen = seen.map((t) => t - (seen[0] as number));

    expect(first.status).toBe('SUCCEEDED');
    expect(first.output).toEqual({ count: 6 });
    expect(first.metrics.simulatedSeconds).toBeGreaterThanOrEqual(3600);
    expect(first.metrics.simulatedSeconds).toBeLessThan(3601);
    expect(first.metrics.wallMs).toBeLessThan(5000);
    expect(firstSeen).toEqual([0, 600000, 1200000, 1800000, 2400000, 3000000]);
    expect(secondSeen).toEqual(firstSeen);
    expect(second.metrics.simulatedSeconds).toBe(first.metrics.simulatedSeconds);
    // 1 Pass + 6 x (Wait, Task, Choice) + Succeed
    expect(first.metrics.transitions).toBe(20);
  });

  it('records AWS history event types with ids, previous ids and virtual timestamps', async () => {
    const arn = await createMachine(h, 'wait-loop-history', 'wait-loop.asl.json');
    const run = await h.run(arn, {}, 'history-check');
    expect(run.executionArn).toBe(
      'arn:aws:states:eu-west-1:111122223333:execution:wait-loop-history:history-check',
    );
    const events = await history(h, run.executionArn);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 9)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
    ]);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e, i) => e.previousEventId === i)).toBe(true);
    const entered = events.find((e) => e.type === 'WaitStateEntered') as HistoryEvent;
    const exited = events.find((e) => e.type === 'WaitStateExited') as HistoryEvent;
    expect((exited.timestamp as Date).getTime() - (entered.timestamp as Date).getTime()).toBe(600000);
    expect(entered.stateEnteredEventDetails?.name).toBe('Wait ten minutes');
    const scheduled = events.find((e) => e.type === 'LambdaFunctionScheduled') as HistoryEvent;
    expect(scheduled.lambdaFunctionScheduledEventDetails?.resource).toBe(
      'arn:aws:lambda:eu-west-1:111122223333:function:stackfleet-test-count',
    );
    const reversed = await h.virtual(() =>
      h.sfn.send(
        new GetExecutionHistoryCommand({ executionArn: run.executionArn, reverseOrder: true, maxResults: 1 }),
      ),
    );
    expect(reversed.events?.[0]?.type).toBe('ExecutionSucceeded');
    expect(reversed.nextToken).toBeDefined();
  });

  it('retries with backoff, then catches an error by name and fails with its reason', async () => {
    const arn = await createMachine(h, 'retry-catch', 'retry-catch.asl.json');
    const run = await h.run(arn, { failTimes: 2 });

    expect(flakyCalls).toHaveLength(3);
    // IntervalSeconds 5, BackoffRate 2: the retries come 5 s and then 10 s later
    expect([
      (flakyCalls[1] as number) - (flakyCalls[0] as number),
      (flakyCalls[2] as number) - (flakyCalls[1] as number),
    ]).toEqual([5000, 10000]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RoleNotAssumable');
    const cause = JSON.parse(run.cause as string);
    expect(cause).toMatchObject({ errorType: 'RoleNotAssumable' });
    expect(cause.errorMessage).toContain('does not trust the admin account');
    const events = await history(h, run.executionArn);
    expect(
      events
        .filter((e) => e.type === 'LambdaFunctionFailed')
        .map((e) => e.lambdaFunctionFailedEventDetails?.error),
    ).toEqual(['TransientError', 'TransientError', 'RoleNotAssumable']);
    expect(events.at(-2)?.type).toBe('FailStateEntered');
    expect(events.at(-1)?.executionFailedEventDetails?.error).toBe('RoleNotAssumable');
  });

  it('fails the execution when retries run out', async () => {
    const arn = await createMachine(h, 'retry-exhausted', 'retry-catch.asl.json');
    const run = await h.run(arn, { failTimes: 10 });
    expect(flakyCalls).toHaveLength(4);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TransientError');
    expect(JSON.parse(run.cause as string).errorMessage).toBe('attempt 4 failed');
  });
});
