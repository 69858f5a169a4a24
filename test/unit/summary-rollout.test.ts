import type { PlannedTarget, SkippedTarget } from '../../src/core/plan';
import {
  MAX_LISTED_FAILURES,
  type MapRunResultEntry,
  parseFailure,
  parseResultFile,
  RolloutStatuses,
  type SummaryInput,
  smallSummary,
  summarizeRollout,
  targetResultFromEntry,
} from '../../src/core/summary';

const childCause = JSON.stringify({
  reason: 'Resource handler returned message: "Invalid bucket policy"',
  accountId: '111122223333',
  region: 'eu-west-1',
  stackName: 'baseline',
  failedResource: {
    logicalId: 'LogBucketPolicy',
    type: 'AWS::S3::BucketPolicy',
    status: 'CREATE_FAILED',
    statusReason: 'Invalid bucket policy',
  },
});

describe('parseFailure: the innermost error and a human reason, however it is wrapped', () => {
  test('the deploy-target contract cause directly', () => {
    const parsed = parseFailure('StackFailed', childCause);
    expect(parsed).toMatchObject({
      error: 'StackFailed',
      reason: 'Resource handler returned message: "Invalid bucket policy"',
      accountId: '111122223333',
      failedResource: { logicalId: 'LogBucketPolicy', status: 'CREATE_FAILED' },
    });
  });

  test('a .sync task failure wrapping the child DescribeExecution', () => {
    const wrapped = JSON.stringify({
      ExecutionArn: 'arn:aws:states:eu-west-1:000000000001:execution:deploy-target:111122223333-eu-west-1-r1',
      Status: 'FAILED',
      Error: 'StackFailed',
      Cause: childCause,
    });
    const parsed = parseFailure('States.TaskFailed', wrapped);
    expect(parsed.error).toBe('StackFailed');
    expect(parsed.failedResource?.type).toBe('AWS::S3::BucketPolicy');
  });

  test('a Lambda error cause, with the error type replacing a generic wrapper', () => {
    const parsed = parseFailure(
      'States.TaskFailed',
      JSON.stringify({
        errorType: 'RoleNotAssumable',
        errorMessage: 'Could not assume arn:aws:iam::111122223333:role/R',
        trace: [],
      }),
    );
    expect(parsed).toEqual({
      error: 'RoleNotAssumable',
      reason: 'Could not assume arn:aws:iam::111122223333:role/R',
    });
  });

  test('a Lambda error whose message is itself the contract JSON', () => {
    const parsed = parseFailure(
      'StackFailed',
      JSON.stringify({ errorType: 'StackFailed', errorMessage: childCause }),
    );
    expect(parsed.reason).toContain('Invalid bucket policy');
    expect(parsed.failedResource?.logicalId).toBe('LogBucketPolicy');
  });

  test('a plain text cause', () => {
    expect(parseFailure('States.Timeout', 'Execution timed out')).toEqual({
      error: 'States.Timeout',
      reason: 'Execution timed out',
    });
  });

  test('a name collision tells the operator to use a new rollout id', () => {
    const parsed = parseFailure('StepFunctions.ExecutionAlreadyExistsException', 'Execution Already Exists');
    expect(parsed.reason).toContain('start the rollout with a new rolloutId');
  });

  test('no cause at all still gives a reason', () => {
    expect(parseFailure(undefined, undefined).reason).toMatch(/failed with Unknown/);
  });

  test('very long reasons are clipped', () => {
    expect(parseFailure('X', 'y'.repeat(5000)).reason.length).toBeLessThanOrEqual(1000);
  });
});

function item(accountId: string, region: string): string {
  return JSON.stringify({
    target: { accountId, region, parameters: {}, executionName: `${accountId}-${region}-r1` },
    deployment: { stackName: 'baseline' },
  });
}

describe('targetResultFromEntry', () => {
  test('a SUCCEEDED entry carries the child outcome and timings', () => {
    const result = targetResultFromEntry(
      {
        Status: 'SUCCEEDED',
        Input: item('111122223333', 'eu-west-1'),
        Output: JSON.stringify({
          accountId: '111122223333',
          region: 'eu-west-1',
          stackName: 'baseline',
          stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/baseline/1',
          outcome: 'CREATED',
          reason: 'Stack created',
          startedAt: '2026-01-01T00:00:00.000Z',
          finishedAt: '2026-01-01T00:03:00.000Z',
          durationSeconds: 180,
        }),
        ExecutionArn: 'arn:map-child',
      },
      'main',
    );
    expect(result).toMatchObject({
      accountId: '111122223333',
      region: 'eu-west-1',
      outcome: 'CREATED',
      durationSeconds: 180,
      executionName: '111122223333-eu-west-1-r1',
      stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/baseline/1',
    });
  });

  test('a FAILED entry takes account and region from the item input even when the cause lacks them', () => {
    const result = targetResultFromEntry(
      {
        Status: 'FAILED',
        Input: item('444455556666', 'us-east-1'),
        Error: 'RoleNotAssumable',
        Cause: 'Access denied',
      },
      'canary',
    );
    expect(result).toMatchObject({
      accountId: '444455556666',
      region: 'us-east-1',
      outcome: 'FAILED',
      error: 'RoleNotAssumable',
      reason: 'Access denied',
      phase: 'canary',
      stackName: 'baseline',
    });
  });

  test('a TIMED_OUT entry without an error is reported as a failure', () => {
    const result = targetResultFromEntry(
      { Status: 'TIMED_OUT', Input: item('444455556666', 'us-east-1') },
      'main',
    );
    expect(result.outcome).toBe('FAILED');
    expect(result.error).toBe('States.TIMED_OUT');
  });

  // AWS stops the running children of a Map Run that failed (Step Functions API reference,
  // MapRunExecutionCounts `aborted`); the target's stack operation is not stopped with it.
  test('an ABORTED entry (stopped by its failed Map Run) is ABORTED, not FAILED, and says its stack may still be changing', () => {
    const result = targetResultFromEntry(
      {
        Status: 'ABORTED',
        Error: 'States.Aborted',
        Cause:
          'Map Run arn:aws:states:eu-west-1:1:mapRun:rollout/Targets:1 failed: the tolerated failure threshold was exceeded',
        Input: item('444455556666', 'us-east-1'),
      },
      'main',
    );
    expect(result).toMatchObject({ accountId: '444455556666', region: 'us-east-1', outcome: 'ABORTED' });
    expect(result.reason).toContain('tolerated failure threshold was exceeded');
    expect(result.reason).toContain('stack operation may still be running');
    const summary = summarizeRollout({
      rolloutId: 'r1',
      mode: 'deploy',
      summaryBucket: 'b',
      summaryKey: 'k',
      targets: [{ accountId: '444455556666', region: 'us-east-1' } as PlannedTarget],
      canaries: [],
      skipped: [],
      results: [result],
      stops: [{ stage: 'targets', error: 'States.ExceedToleratedFailureThreshold' }],
    });
    expect(summary.counts).toMatchObject({ ABORTED: 1, FAILED: 0 });
    expect(summary.failureCount).toBe(0);
    expect(summary.text).toContain(
      'Aborted targets (stack operations may still be running):\n  444455556666 us-east-1',
    );
  });
});

describe('parseResultFile', () => {
  const entries: MapRunResultEntry[] = [{ Status: 'SUCCEEDED' }, { Status: 'FAILED' }];
  test('reads the JSON array AWS writes by default', () => {
    expect(parseResultFile(JSON.stringify(entries))).toEqual(entries);
  });
  test('reads JSON Lines', () => {
    expect(parseResultFile(entries.map((e) => JSON.stringify(e)).join('\n'))).toEqual(entries);
  });
  test('reads an empty file', () => {
    expect(parseResultFile('  ')).toEqual([]);
  });
});

function planned(accountId: string, region: string): PlannedTarget {
  return { accountId, region, parameters: {}, executionName: `${accountId}-${region}-r1` };
}

function succeeded(accountId: string, region: string, outcome: string) {
  return targetResultFromEntry(
    {
      Status: 'SUCCEEDED',
      Input: item(accountId, region),
      Output: JSON.stringify({ accountId, region, outcome, reason: outcome }),
    },
    'main',
  );
}

function failed(accountId: string, region: string, phase: 'main' | 'canary' = 'main') {
  return targetResultFromEntry(
    { Status: 'FAILED', Input: item(accountId, region), Error: 'StackFailed', Cause: childCause },
    phase,
  );
}

function input(partial: Partial<SummaryInput>): SummaryInput {
  return {
    rolloutId: 'r1',
    mode: 'deploy',
    summaryBucket: 'artifacts',
    summaryKey: 'rollouts/r1/summary.json',
    targets: [],
    canaries: [],
    skipped: [],
    results: [],
    stops: [],
    ...partial,
  };
}

describe('summarizeRollout', () => {
  const skipped: SkippedTarget[] = [
    {
      accountId: '333333333333',
      region: 'ap-east-1',
      outcome: 'SKIPPED',
      reason: 'Region ap-east-1 is not enabled',
    },
  ];

  test('counts every outcome, including skipped targets, and succeeds within tolerance', () => {
    const targets = [
      planned('111111111111', 'eu-west-1'),
      planned('111111111111', 'us-east-1'),
      planned('222222222222', 'eu-west-1'),
      planned('222222222222', 'us-east-1'),
    ];
    const summary = summarizeRollout(
      input({
        targets,
        skipped,
        results: [
          succeeded('111111111111', 'eu-west-1', 'CREATED'),
          succeeded('111111111111', 'us-east-1', 'UPDATED'),
          succeeded('222222222222', 'eu-west-1', 'NO_CHANGE'),
          failed('222222222222', 'us-east-1'),
        ],
      }),
    );
    expect(summary.status).toBe(RolloutStatuses.SUCCEEDED);
    expect(summary.counts).toEqual({
      CREATED: 1,
      UPDATED: 1,
      NO_CHANGE: 1,
      FAILED: 1,
      SKIPPED: 1,
      NOT_STARTED: 0,
    });
    expect(summary.total).toBe(5);
    expect(summary.failures).toEqual([
      {
        accountId: '222222222222',
        region: 'us-east-1',
        error: 'StackFailed',
        reason: 'Resource handler returned message: "Invalid bucket policy"',
        failedResource: {
          logicalId: 'LogBucketPolicy',
          type: 'AWS::S3::BucketPolicy',
          status: 'CREATE_FAILED',
          statusReason: 'Invalid bucket policy',
        },
        executionName: '222222222222-us-east-1-r1',
        phase: 'main',
      },
    ]);
    expect(summary.text).toContain(
      'Rollout r1 (deploy) SUCCEEDED: 5 targets - 1 CREATED, 1 UPDATED, 1 NO_CHANGE, 1 FAILED, 1 SKIPPED.',
    );
    expect(summary.text).toContain('222222222222 us-east-1: StackFailed - Resource handler returned message');
    expect(summary.text).toContain('[LogBucketPolicy AWS::S3::BucketPolicy CREATE_FAILED]');
    expect(summary.text).toContain('s3://artifacts/rollouts/r1/summary.json');
    expect(summary.subject).toBe('stackfleet deploy r1: SUCCEEDED, 1 failed of 5');
  });

  test('tolerance exceeded: FAILED, targets never started are NOT_STARTED with a reason', () => {
    const summary = summarizeRollout(
      input({
        targets: [
          planned('111111111111', 'eu-west-1'),
          planned('222222222222', 'eu-west-1'),
          planned('333333333333', 'eu-west-1'),
        ],
        results: [failed('111111111111', 'eu-west-1'), failed('222222222222', 'eu-west-1')],
        stops: [
          {
            stage: 'targets',
            error: 'States.ExceedToleratedFailureThreshold',
            cause: 'The specified tolerated failure threshold was exceeded',
          },
        ],
      }),
    );
    expect(summary.status).toBe(RolloutStatuses.FAILED);
    expect(summary.counts.FAILED).toBe(2);
    expect(summary.counts.NOT_STARTED).toBe(1);
    expect(summary.targets.find((t) => t.accountId === '333333333333')?.reason).toMatch(/failure tolerance/);
    expect(summary.stoppedBy).toMatchObject({
      stage: 'targets',
      error: 'States.ExceedToleratedFailureThreshold',
    });
    expect(summary.text).toContain('More targets failed than the failure tolerance allows');
  });

  test('canary failure: CANARY_FAILED, canary listed first, every other target NOT_STARTED', () => {
    const summary = summarizeRollout(
      input({
        canaries: [planned('111111111111', 'eu-west-1')],
        targets: [planned('222222222222', 'eu-west-1'), planned('222222222222', 'us-east-1')],
        results: [failed('111111111111', 'eu-west-1', 'canary')],
        stops: [{ stage: 'canaries', error: 'States.ExceedToleratedFailureThreshold' }],
      }),
    );
    expect(summary.status).toBe(RolloutStatuses.CANARY_FAILED);
    expect(summary.failures[0]).toMatchObject({ accountId: '111111111111', phase: 'canary' });
    expect(summary.counts.NOT_STARTED).toBe(2);
    expect(summary.text).toContain('A canary target failed, so no other target was started.');
  });

  test('a later result for the same target wins (a redriven map run)', () => {
    const summary = summarizeRollout(
      input({
        targets: [planned('111111111111', 'eu-west-1')],
        results: [failed('111111111111', 'eu-west-1'), succeeded('111111111111', 'eu-west-1', 'CREATED')],
      }),
    );
    expect(summary.counts).toMatchObject({ CREATED: 1, FAILED: 0 });
  });

  test('outcomes of other modes are counted generically', () => {
    const summary = summarizeRollout(
      input({
        mode: 'drift',
        targets: [planned('111111111111', 'eu-west-1'), planned('222222222222', 'eu-west-1')],
        results: [
          succeeded('111111111111', 'eu-west-1', 'DRIFTED'),
          succeeded('222222222222', 'eu-west-1', 'IN_SYNC'),
        ],
      }),
    );
    expect(summary.counts.DRIFTED).toBe(1);
    expect(summary.counts.IN_SYNC).toBe(1);
    expect(summary.text).toContain('1 DRIFTED, 1 IN_SYNC');
  });

  test('lists at most the first 50 failures but counts all, and the small summary drops the per-target list', () => {
    const targets = Array.from({ length: 120 }, (_, i) => planned(String(100000000000 + i), 'eu-west-1'));
    const summary = summarizeRollout(
      input({ targets, results: targets.map((t) => failed(t.accountId, t.region)) }),
    );
    expect(summary.failures).toHaveLength(MAX_LISTED_FAILURES);
    expect(summary.failureCount).toBe(120);
    expect(summary.text).toContain('... and 110 more');
    const small = smallSummary(summary);
    expect('targets' in small).toBe(false);
    expect(JSON.stringify(small).length).toBeLessThan(64 * 1024);
  });

  test('the SNS subject stays ASCII and within 100 characters', () => {
    const summary = summarizeRollout(input({ rolloutId: `é${'x'.repeat(150)}` }));
    expect(summary.subject.length).toBeLessThanOrEqual(100);
    expect(summary.subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
