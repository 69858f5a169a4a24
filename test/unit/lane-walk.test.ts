import { laneResultsFromEntry, rollUp, worseOutcome } from '../../src/core/graph-summary';
import {
  blockedResult,
  dependencyVerdict,
  finishLane,
  LaneActions,
  type LaneStackResult,
  MAX_CAUSE_CHARACTERS,
  previewAwaitingInputs,
  resultOfRun,
} from '../../src/core/lane-walk';

/**
 * The pure half of walking a lane (walk-lane's Next stack) and of summarizing lanes: what a
 * stack's execution says, what its dependencies allow, the lane's end, and each lane walker's
 * result entry as one result per (target, stack).
 */

const base = {
  stack: 'config',
  stackName: 'stackfleet-config',
  accountId: '111122223333',
  region: 'eu-west-1',
  executionName: '111122223333-eu-west-1-config-r1',
};
const done = (stack: string, outcome: string, extra: Partial<LaneStackResult> = {}): LaneStackResult => ({
  ...base,
  stack,
  outcome,
  reason: `${stack} ${outcome}`,
  ...extra,
});

describe("a stack's execution, as the lane records it", () => {
  it("takes a succeeded execution's outcome, reason, timings and findings", () => {
    const result = resultOfRun(
      { ...base, inputsFrom: { Bucket: 'logging.BucketName' } },
      {
        Status: 'SUCCEEDED',
        Output: {
          outcome: 'CHANGES',
          reason: 'Change set of 2 changes',
          startedAt: '2026-01-01T00:00:00.000Z',
          finishedAt: '2026-01-01T00:01:00.000Z',
          durationSeconds: 60,
          changes: [{ action: 'Add', logicalId: 'Bucket', type: 'AWS::S3::Bucket' }],
          changeCount: 1,
        },
      },
    );
    expect(result).toEqual({
      ...base,
      inputsFrom: { Bucket: 'logging.BucketName' },
      outcome: 'CHANGES',
      reason: 'Change set of 2 changes',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
      durationSeconds: 60,
      changes: [{ action: 'Add', logicalId: 'Bucket', type: 'AWS::S3::Bucket' }],
      changeCount: 1,
    });
  });

  it("unwraps a failed execution to the child's error, reason and failed resource", () => {
    const child = {
      ExecutionArn: 'arn:aws:states:eu-west-1:111122223333:execution:deploy:x',
      Status: 'FAILED',
      Error: 'StackFailed',
      Cause: JSON.stringify({
        reason: 'ConfigRecorder CREATE_FAILED: limit reached',
        failedResource: { logicalId: 'ConfigRecorder', type: 'AWS::Config::ConfigurationRecorder' },
      }),
    };
    const result = resultOfRun(base, { Error: 'States.TaskFailed', Cause: JSON.stringify(child) });
    expect(result).toMatchObject({
      outcome: 'FAILED',
      error: 'StackFailed',
      reason: 'ConfigRecorder CREATE_FAILED: limit reached',
      failedResource: { logicalId: 'ConfigRecorder' },
    });
  });
});

describe('a preview whose dependency is not deployed yet', () => {
  const refused = done('config', 'FAILED', {
    error: 'TemplateInvalid',
    reason:
      "CloudFormation refused the template or its parameters: Parameter 'KeyArn' must match pattern ^arn:aws[a-z-]*:kms:.+$",
    pendingInputs: { KeyArn: 'logging.KeyArn', Days: 'logging.Days' },
  });

  it('reports a change set refused over a placeholder as a stack that would change, naming what it waits for', () => {
    const result = previewAwaitingInputs(refused, ['KeyArn']);
    expect(result.outcome).toBe('CHANGES');
    expect(result.error).toBeUndefined();
    expect(result.reason).toContain(
      'Not previewed yet: its parameters KeyArn (from logging.KeyArn) take outputs that logging would create',
    );
    expect(result.reason).toContain("Parameter 'KeyArn' must match pattern");
    expect(result.pendingInputs).toEqual(refused.pendingInputs);
  });

  it('keeps other failures FAILED: no placeholder was given, or the stack failed for its own reasons', () => {
    expect(previewAwaitingInputs(refused, [])).toBe(refused);
    const own = { ...refused, error: 'StackFailed' };
    expect(previewAwaitingInputs(own, ['KeyArn'])).toBe(own);
  });
});

describe('what dependencies allow', () => {
  const known = (results: LaneStackResult[]) => (name: string) => results.find((r) => r.stack === name);

  it('waits for a dependency without a result, runs when all let dependants start', () => {
    expect(dependencyVerdict(['logging', 'guard'], known([done('logging', 'CREATED')]))).toEqual({
      kind: 'wait',
      pending: ['guard'],
    });
    expect(dependencyVerdict(['logging'], known([done('logging', 'NO_CHANGE')]))).toEqual({ kind: 'ready' });
    // A preview or a detect-only drift run goes on: nothing was changed.
    expect(dependencyVerdict(['logging'], known([done('logging', 'CHANGES')])).kind).toBe('ready');
    expect(dependencyVerdict(['logging'], known([done('logging', 'MISSING')])).kind).toBe('ready');
  });

  it('blocks a stack whose dependency failed, or was blocked, naming the stack that failed', () => {
    const failed = done('logging', 'FAILED');
    expect(dependencyVerdict(['logging'], known([failed]))).toEqual({
      kind: 'blocked',
      by: 'logging',
      reason: 'FAILED: logging FAILED',
    });
    const blocked = blockedResult({ ...base, stack: 'config' }, { by: 'logging', reason: 'x' }, 'now');
    const verdict = dependencyVerdict(['config'], known([failed, blocked]));
    expect(verdict).toMatchObject({ kind: 'blocked', by: 'logging', via: 'config' });
    const detection = blockedResult({ ...base, stack: 'detection' }, verdict as never, 'now');
    expect(detection).toMatchObject({ outcome: 'BLOCKED', blockedBy: 'logging' });
    expect(detection.reason).toContain(
      'it depends on config, which did not start because logging failed here',
    );
  });
});

describe("the lane's end", () => {
  it('is DONE when no stack failed (BLOCKED is not a failure of its own)', () => {
    const out = { accountId: base.accountId, region: base.region, lane: 0, stacks: [done('a', 'CREATED')] };
    expect(finishLane(out)).toEqual({ action: LaneActions.Done, result: out });
  });

  it("is FAILED with the first failure's error and the lane's results as the Cause, within Step Functions' limit", () => {
    const big = Array.from({ length: 800 }, (_, i) => ({
      action: 'Add',
      logicalId: `R${i}`,
      type: 'AWS::SNS::Topic',
    }));
    const out = {
      accountId: base.accountId,
      region: base.region,
      lane: 1,
      stacks: [
        done('a', 'CREATED', { changes: big }),
        done('b', 'FAILED', { error: 'RoleNotAssumable' }),
        done('c', 'BLOCKED'),
      ],
    };
    const end = finishLane(out);
    expect(end.action).toBe(LaneActions.Failed);
    expect(end.error).toBe('RoleNotAssumable');
    expect(JSON.stringify(out).length).toBeGreaterThan(MAX_CAUSE_CHARACTERS);
    expect((end.cause ?? '').length).toBeLessThanOrEqual(MAX_CAUSE_CHARACTERS);
    expect(JSON.parse(end.cause ?? '{}').stacks.map((s: LaneStackResult) => s.outcome)).toEqual([
      'CREATED',
      'FAILED',
      'BLOCKED',
    ]);
  });
});

describe("a lane walker's result entry in the summary", () => {
  const input = {
    target: {
      accountId: base.accountId,
      region: base.region,
      lane: {
        index: 0,
        count: 1,
        stacks: [
          { name: 'logging', executionName: 'l' },
          { name: 'config', executionName: 'c' },
        ],
      },
    },
  };
  const laneJson = JSON.stringify({
    accountId: base.accountId,
    region: base.region,
    lane: 0,
    stacks: [
      done('logging', 'FAILED', { error: 'StackFailed' }),
      done('config', 'BLOCKED', { blockedBy: 'logging' }),
    ],
  });

  it('reads a failed lane from the Cause inside the wrapping task failure', () => {
    const entry = {
      Status: 'FAILED',
      Input: JSON.stringify(input),
      Error: 'States.TaskFailed',
      Cause: JSON.stringify({ Status: 'FAILED', Error: 'StackFailed', Cause: laneJson }),
    };
    const results = laneResultsFromEntry(entry, 'main');
    expect(results.map((r) => [r.stack, r.outcome, r.blockedBy])).toEqual([
      ['logging', 'FAILED', undefined],
      ['config', 'BLOCKED', 'logging'],
    ]);
  });

  it('accounts for every stack of an aborted lane, which could not report', () => {
    const results = laneResultsFromEntry(
      { Status: 'ABORTED', Input: JSON.stringify(input), Cause: 'Map Run failed' },
      'main',
    );
    expect(results.map((r) => [r.stack, r.outcome])).toEqual([
      ['logging', 'ABORTED'],
      ['config', 'ABORTED'],
    ]);
    expect(results[0]?.reason).toContain('A stack operation it had started may still be running');
  });

  it('rolls results up per stack and per target by the worst outcome', () => {
    const rows = [
      { accountId: 'a', region: 'r', stack: 'logging', outcome: 'CREATED', phase: 'main' as const },
      { accountId: 'a', region: 'r', stack: 'config', outcome: 'BLOCKED', phase: 'main' as const },
      { accountId: 'b', region: 'r', stack: 'logging', outcome: 'NO_CHANGE', phase: 'main' as const },
      { accountId: 'c', region: 'r', outcome: 'SKIPPED', phase: 'plan' as const },
    ];
    const rollup = rollUp(rows, ['logging', 'config']);
    expect(rollup.byStack).toEqual({ logging: { CREATED: 1, NO_CHANGE: 1 }, config: { BLOCKED: 1 } });
    expect(rollup.targetCounts).toEqual({ BLOCKED: 1, NO_CHANGE: 1, SKIPPED: 1 });
    expect(worseOutcome('CREATED', 'FAILED')).toBe('FAILED');
    expect(worseOutcome('NO_CHANGE', 'UPDATED')).toBe('UPDATED');
  });
});
