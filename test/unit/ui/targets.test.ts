import { targetExecutionName } from '../../../src/core/execution-name';
import {
  outcomeFromOutput,
  outcomeFromStatus,
  parseTargetExecutionName,
  readRolloutSummary,
} from '../../../src/ui/targets';

describe('parseTargetExecutionName', () => {
  it.each([
    ['111122223333', 'eu-west-1', 'rollout-7'],
    ['111122223333', 'ap-southeast-2', 'a-very-long-rollout-id-that-gets-hashed-2026'],
    ['123456789012', 'us-gov-west-1', 'x'],
  ])('reads back %s / %s from the names the rollout gives its targets', (account, region, rolloutId) => {
    const parsed = parseTargetExecutionName(targetExecutionName(account, region, rolloutId));
    expect(parsed).toMatchObject({ account, region });
  });

  it('refuses names that are not target executions', () => {
    expect(parseTargetExecutionName('ui-demo-1')).toBeUndefined();
    expect(parseTargetExecutionName('12345-eu-west-1-x')).toBeUndefined();
  });
});

describe('outcomes', () => {
  it.each([
    ['RUNNING', 'IN_PROGRESS'],
    ['SUCCEEDED', 'SUCCEEDED'],
    ['FAILED', 'FAILED'],
    ['TIMED_OUT', 'FAILED'],
    ['ABORTED', 'ABORTED'],
  ])('a %s execution shows as %s before its output is read', (status, outcome) => {
    expect(outcomeFromStatus(status)).toBe(outcome);
  });

  it('takes the finer outcome and reason from the deploy-target output', () => {
    expect(
      outcomeFromOutput(
        'SUCCEEDED',
        JSON.stringify({ accountId: '1', outcome: 'NO_CHANGE', reason: 'Up to date' }),
      ),
    ).toEqual({
      outcome: 'NO_CHANGE',
      reason: 'Up to date',
    });
    expect(outcomeFromOutput('SUCCEEDED', 'not json')).toEqual({ outcome: 'SUCCEEDED' });
  });
});

describe('readRolloutSummary', () => {
  it('finds failed targets with reasons and the counts in the rollout output', () => {
    const read = readRolloutSummary({
      rolloutId: 'r1',
      counts: { CREATED: 3, FAILED: 1 },
      failures: [
        { accountId: '111122223333', region: 'eu-west-1', error: 'StackFailed', reason: 'Bucket exists' },
      ],
    });
    expect(read.counts).toEqual({ CREATED: 3, FAILED: 1 });
    expect(read.targets).toEqual([
      {
        account: '111122223333',
        region: 'eu-west-1',
        outcome: 'FAILED',
        reason: 'Bucket exists',
        error: 'StackFailed',
      },
    ]);
  });

  it('reads every target of summary.json with its outcome and execution name', () => {
    const read = readRolloutSummary({
      targets: [
        {
          accountId: '1',
          region: 'us-east-1',
          outcome: 'SKIPPED',
          reason: 'Region not enabled',
          phase: 'plan',
        },
        {
          accountId: '2',
          region: 'us-east-1',
          outcome: 'CREATED',
          executionName: '2-us-east-1-r1',
          phase: 'main',
        },
      ],
    });
    expect(read.targets.map((t) => [t.account, t.outcome, t.name])).toEqual([
      ['1', 'SKIPPED', undefined],
      ['2', 'CREATED', '2-us-east-1-r1'],
    ]);
  });
});
