/**
 * The callback pattern in the local engine (Step Functions Developer Guide, connect-to-resource
 * "Wait for a Callback with Task Token"; API Reference SendTaskSuccess, SendTaskFailure,
 * SendTaskHeartbeat): `lambda:invoke.waitForTaskToken` hands `$$.Task.Token` to the function and
 * waits for it; TimeoutSeconds / TimeoutSecondsPath / HeartbeatSeconds end the wait with
 * States.Timeout / States.HeartbeatTimeout; a token that is closed answers TaskTimedOut. Run under
 * virtual time: every "later" below is a timer on the virtual clock, never wall time.
 */
import '../../src/core/polyfills';
import { LocalEngine } from '../../src/engine/engine';
import { decodeTaskToken, taskTokenStateMachineArn } from '../../src/engine/task-tokens';
import type { StoredExecution } from '../../src/engine/types';
import { runWithVirtualTime } from '../../src/sandbox/clock';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/callback-tests`;
const FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:callback-worker`;

/** A machine with one callback task and whatever else the test adds. */
function definition(task: Record<string, unknown>, extraStates: Record<string, unknown> = {}): string {
  return JSON.stringify({
    StartAt: 'Wait for callback',
    States: {
      'Wait for callback': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: FUNCTION,
          Payload: { 'token.$': '$$.Task.Token', 'job.$': '$.job' },
        },
        ...task,
      },
      ...extraStates,
    },
  });
}

interface Harness {
  engine: LocalEngine;
  /** Tokens the worker function was given, in order. */
  tokens: string[];
  /** When each token reached the worker (virtual ms since the start). */
  given: number[];
  run(def: string, input: unknown, during?: (token: string) => void): Promise<StoredExecution>;
}

/**
 * An engine whose worker function records the token it gets and calls `during(token)`, which
 * schedules the test's calls (timers on the virtual clock).
 */
function harness(): Harness {
  const engine = new LocalEngine({ seed: 'callback-tests' });
  const tokens: string[] = [];
  const given: number[] = [];
  let start = 0;
  let during: ((token: string) => void) | undefined;
  engine.registerFunction('callback-worker', (event: { token: string }) => {
    tokens.push(event.token);
    given.push(Date.now() - start);
    during?.(event.token);
    return { accepted: true };
  });
  let n = 0;
  return {
    engine,
    tokens,
    given,
    run: (def, input, hook) =>
      runWithVirtualTime(async () => {
        start = Date.now();
        during = hook;
        n += 1;
        const sm = engine.createStateMachine({
          name: `callback-${n}`,
          definition: def,
          roleArn: ROLE,
          region: REGION,
          accountId: ACCOUNT,
        });
        const e = engine.startExecution({
          stateMachineArn: sm.stateMachineArn,
          input: JSON.stringify(input),
        });
        const done = await engine.waitForExecution(e.executionArn);
        while (scheduled.length > 0) {
          const pending = scheduled;
          scheduled = [];
          await Promise.all(pending);
        }
        return done;
      }),
  };
}

/** The test's scheduled calls: a run ends once they have all been made, even after the execution ended. */
let scheduled: Array<Promise<void>> = [];
const later = (seconds: number, call: () => void): void => {
  scheduled.push(
    new Promise<void>((resolve) =>
      setTimeout(() => {
        call();
        resolve();
      }, seconds * 1000),
    ),
  );
};

function errorOf(call: () => void): { name?: string; message?: string } {
  try {
    call();
  } catch (error) {
    return error as { name?: string; message?: string };
  }
  throw new Error('expected the call to throw');
}

function types(e: StoredExecution): string[] {
  return e.history.map((h) => h.type);
}

function detail(e: StoredExecution, type: string): Record<string, unknown> {
  const event = e.history.find((h) => h.type === type);
  if (!event) throw new Error(`no ${type} in ${types(e).join(', ')}`);
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails')) as string;
  return event[key] as Record<string, unknown>;
}

describe('callback tasks (.waitForTaskToken)', () => {
  it('hands $$.Task.Token to the function and ends with the output SendTaskSuccess names, recorded as AWS records a callback', async () => {
    const h = harness();
    const done = await h.run(definition({ TimeoutSeconds: 600, End: true }), { job: 'j-1' }, (token) =>
      later(120, () => h.engine.sendTaskSuccess(token, JSON.stringify({ status: 'CREATE_COMPLETE' }))),
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual({ status: 'CREATE_COMPLETE' });
    expect(types(done)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(detail(done, 'TaskScheduled')).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: REGION,
      timeoutInSeconds: 600,
    });
    // TaskSubmitted holds the invocation's own response; TaskSucceeded the callback's output.
    expect(detail(done, 'TaskSubmitted').$output).toMatchObject({
      Payload: { accepted: true },
      StatusCode: 200,
    });
    expect(detail(done, 'TaskSucceeded').$output).toEqual({ status: 'CREATE_COMPLETE' });
    // The task waited for the callback (120 virtual seconds), not for the function.
    expect(((done.stopDate as number) - done.startDate) / 1000).toBe(120);
    expect(taskTokenStateMachineArn(h.tokens[0] as string)).toBe(
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:callback-1`,
    );
    expect(decodeTaskToken(h.tokens[0] as string)?.executionArn).toBe(done.executionArn);
  });

  it('fails the task with the error and cause of SendTaskFailure, which a Catch sees', async () => {
    const h = harness();
    const done = await h.run(
      definition(
        {
          TimeoutSeconds: 600,
          Catch: [{ ErrorEquals: ['StackFailed'], ResultPath: '$.failure', Next: 'Failed' }],
          End: true,
        },
        { Failed: { Type: 'Pass', End: true } },
      ),
      { job: 'j-2' },
      (token) =>
        later(30, () => h.engine.sendTaskFailure(token, 'StackFailed', '{"reason":"Bucket failed"}')),
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string).failure).toEqual({
      Error: 'StackFailed',
      Cause: '{"reason":"Bucket failed"}',
    });
    expect(detail(done, 'TaskFailed')).toMatchObject({
      error: 'StackFailed',
      cause: '{"reason":"Bucket failed"}',
    });
  });

  it('times out with States.Timeout after TimeoutSeconds; a callback after that answers TaskTimedOut and changes nothing', async () => {
    const h = harness();
    const late: Array<{ name?: string; message?: string }> = [];
    const done = await h.run(
      definition(
        {
          TimeoutSeconds: 90,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Poll instead' }],
          End: true,
        },
        { 'Poll instead': { Type: 'Pass', End: true } },
      ),
      { job: 'j-3' },
      (token) => later(100, () => late.push(errorOf(() => h.engine.sendTaskSuccess(token, '{"late":true}')))),
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string).timedOut.Error).toBe('States.Timeout');
    expect(detail(done, 'TaskTimedOut')).toMatchObject({
      error: 'States.Timeout',
      resource: 'invoke.waitForTaskToken',
    });
    expect(types(done).filter((t) => t === 'TaskTimedOut')).toHaveLength(1);
    expect(((done.stopDate as number) - done.startDate) / 1000).toBe(90);
    expect(late).toEqual([expect.objectContaining({ name: 'TaskTimedOut' })]);
    expect(done.output).not.toContain('late');
  });

  it('takes the first SendTaskSuccess: a second on the same token answers TaskTimedOut and the output stays the first', async () => {
    const h = harness();
    const second: Array<{ name?: string }> = [];
    const done = await h.run(definition({ TimeoutSeconds: 600, End: true }), { job: 'j-4' }, (token) => {
      later(10, () => h.engine.sendTaskSuccess(token, '{"n":1}'));
      later(11, () => second.push(errorOf(() => h.engine.sendTaskSuccess(token, '{"n":2}'))));
      later(12, () => second.push(errorOf(() => h.engine.sendTaskFailure(token, 'Late', 'too late'))));
    });
    expect(JSON.parse(done.output as string)).toEqual({ n: 1 });
    expect(second.map((e) => e.name)).toEqual(['TaskTimedOut', 'TaskTimedOut']);
    expect(types(done).filter((t) => t === 'TaskSucceeded')).toHaveLength(1);
  });

  it('refuses tokens it did not issue (InvalidToken) and output that is not JSON (InvalidOutput), leaving the task waiting', async () => {
    const h = harness();
    const refusals: Array<{ name?: string; message?: string }> = [];
    const done = await h.run(definition({ TimeoutSeconds: 600, End: true }), { job: 'j-5' }, (token) => {
      later(5, () => {
        refusals.push(errorOf(() => h.engine.sendTaskSuccess('not-a-token', '{}')));
        // A token in the engine's format with another MAC (issued by an engine with another seed).
        const other = new LocalEngine({ seed: 'another-cloud' });
        const decoded = decodeTaskToken(token) as { executionArn: string };
        const foreign = (other as unknown as { tokens: { issue(arn: string): string } }).tokens.issue(
          decoded.executionArn,
        );
        refusals.push(errorOf(() => h.engine.sendTaskSuccess(foreign, '{}')));
        refusals.push(errorOf(() => h.engine.sendTaskSuccess(token, 'not json')));
      });
      later(20, () => h.engine.sendTaskSuccess(token, '{"ok":true}'));
    });
    expect(refusals.map((e) => e.name)).toEqual(['InvalidToken', 'InvalidToken', 'InvalidOutput']);
    expect(refusals[2]?.message).toContain('Received: not json');
    expect(JSON.parse(done.output as string)).toEqual({ ok: true });
  });

  it('answers TaskDoesNotExist for a well-formed token of an execution it does not have', async () => {
    const h = harness();
    await h.run(definition({ TimeoutSeconds: 600, End: true }), { job: 'j-6' }, (token) =>
      later(5, () => h.engine.sendTaskSuccess(token, '{}')),
    );
    const fresh = new LocalEngine({ seed: 'callback-tests' });
    expect(errorOf(() => fresh.sendTaskSuccess(h.tokens[0] as string, '{}')).name).toBe('TaskDoesNotExist');
  });

  it('keeps a task alive while heartbeats come within HeartbeatSeconds, and ends it with States.HeartbeatTimeout when they stop', async () => {
    const h = harness();
    const alive = await h.run(
      definition({ TimeoutSeconds: 600, HeartbeatSeconds: 60, End: true }),
      { job: 'j-7' },
      (token) => {
        for (const at of [40, 80, 120]) later(at, () => h.engine.sendTaskHeartbeat(token));
        later(150, () => h.engine.sendTaskSuccess(token, '{"done":true}'));
      },
    );
    expect(alive.status).toBe('SUCCEEDED');
    expect(detail(alive, 'TaskScheduled')).toMatchObject({ timeoutInSeconds: 600, heartbeatInSeconds: 60 });

    const silent = await h.run(
      definition(
        {
          TimeoutSeconds: 600,
          HeartbeatSeconds: 60,
          // AWS defines States.Timeout to cover a missed heartbeat too (concepts-error-handling).
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.why', Next: 'Gave up' }],
          End: true,
        },
        { 'Gave up': { Type: 'Pass', End: true } },
      ),
      { job: 'j-8' },
      (token) => later(30, () => h.engine.sendTaskHeartbeat(token)),
    );
    expect(JSON.parse(silent.output as string).why.Error).toBe('States.HeartbeatTimeout');
    expect(detail(silent, 'TaskTimedOut').error).toBe('States.HeartbeatTimeout');
    expect(((silent.stopDate as number) - silent.startDate) / 1000).toBe(90);
  });

  it('answers a heartbeat on a token whose task missed its heartbeat, or was answered, with TaskTimedOut, and one it never issued with InvalidToken (Step Functions API reference: SendTaskHeartbeat)', async () => {
    const h = harness();
    const answers: Array<{ name?: string }> = [];
    const missed = await h.run(
      definition({ TimeoutSeconds: 600, HeartbeatSeconds: 30, End: true }),
      { job: 'j-8b' },
      (token) => {
        later(35, () => answers.push(errorOf(() => h.engine.sendTaskHeartbeat(token))));
        later(36, () => answers.push(errorOf(() => h.engine.sendTaskHeartbeat('not-a-token'))));
      },
    );
    expect(missed.status).toBe('FAILED');
    expect(missed.error).toBe('States.HeartbeatTimeout');
    const answered = await h.run(
      definition({ TimeoutSeconds: 600, HeartbeatSeconds: 30, End: true }),
      { job: 'j-8c' },
      (token) => {
        later(10, () => h.engine.sendTaskSuccess(token, '{"ok":true}'));
        later(11, () => answers.push(errorOf(() => h.engine.sendTaskHeartbeat(token))));
      },
    );
    expect(answered.status).toBe('SUCCEEDED');
    expect(answers.map((e) => e.name)).toEqual(['TaskTimedOut', 'InvalidToken', 'TaskTimedOut']);
  });

  it('does not let States.TaskFailed catch a timeout (it matches every error but States.Timeout)', async () => {
    const h = harness();
    const done = await h.run(
      definition(
        {
          TimeoutSeconds: 30,
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Handled' }],
          End: true,
        },
        { Handled: { Type: 'Pass', End: true } },
      ),
      { job: 'j-9' },
    );
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('States.Timeout');
  });

  it('reads TimeoutSecondsPath from the state input, and fails with States.Runtime when it is not a positive integer', async () => {
    const h = harness();
    const timed = await h.run(
      definition({ TimeoutSecondsPath: '$.wait', HeartbeatSecondsPath: '$.beat', End: true }),
      { job: 'j-10', wait: 45, beat: 40 },
    );
    expect(timed.error).toBe('States.HeartbeatTimeout');
    expect(detail(timed, 'TaskScheduled')).toMatchObject({ timeoutInSeconds: 45, heartbeatInSeconds: 40 });
    // The integration got the state's own Parameters, not the engine's wrapping of them.
    expect(detail(timed, 'TaskScheduled').$parameters).toEqual({
      FunctionName: FUNCTION,
      Payload: { token: h.tokens[0], job: 'j-10' },
    });

    const bad = await h.run(definition({ TimeoutSecondsPath: '$.wait', End: true }), {
      job: 'j-11',
      wait: 0,
    });
    expect(bad.status).toBe('FAILED');
    expect(bad.error).toBe('States.Runtime');
    expect(bad.cause).toContain('TimeoutSecondsPath');
    expect(bad.cause).toContain('Received: 0');
  });

  it('gives a retried task a new token; the first one is closed', async () => {
    const h = harness();
    let calls = 0;
    h.engine.registerFunction('callback-worker', (event: { token: string }) => {
      h.tokens.push(event.token);
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('cold start'), { name: 'TransientError' });
      later(10, () => h.engine.sendTaskSuccess(event.token, '{"attempt":2}'));
      return {};
    });
    const done = await h.run(
      definition({
        TimeoutSeconds: 600,
        Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2 }],
        End: true,
      }),
      { job: 'j-12' },
    );
    expect(JSON.parse(done.output as string)).toEqual({ attempt: 2 });
    expect(h.tokens).toHaveLength(2);
    expect(h.tokens[0]).not.toBe(h.tokens[1]);
    expect(errorOf(() => h.engine.sendTaskSuccess(h.tokens[0] as string, '{}')).name).toBe('TaskTimedOut');
  });

  it('closes the tokens of an execution that is stopped', async () => {
    const h = harness();
    let answer: { name?: string } | undefined;
    const done = await h.run(definition({ TimeoutSeconds: 600, End: true }), { job: 'j-13' }, (token) => {
      const arn = decodeTaskToken(token)?.executionArn as string;
      later(5, () => h.engine.stopExecution(arn, 'Operator', 'stopped by hand'));
      later(6, () => {
        answer = errorOf(() => h.engine.sendTaskSuccess(token, '{}'));
      });
    });
    expect(done.status).toBe('ABORTED');
    expect(answer?.name).toBe('TaskTimedOut');
  });

  it('refuses a definition whose HeartbeatSeconds is not below TimeoutSeconds, as CreateStateMachine does', () => {
    const engine = new LocalEngine();
    expect(() =>
      engine.createStateMachine({
        name: 'bad-heartbeat',
        definition: definition({ TimeoutSeconds: 60, HeartbeatSeconds: 60, End: true }),
        roleArn: ROLE,
        region: REGION,
        accountId: ACCOUNT,
      }),
    ).toThrow(
      /HeartbeatSeconds must be smaller than TimeoutSeconds.*Received: HeartbeatSeconds 60, TimeoutSeconds 60/,
    );
  });
});
