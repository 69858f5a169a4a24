import { formatDuration, renderProgressLine, renderSummary, shouldColor } from '../../../src/cli/render';

const report = {
  rolloutId: 'ro-1',
  mode: 'deploy',
  status: 'SUCCEEDED',
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:rollout:ro-1',
  counts: { CREATED: 10, FAILED: 2, SKIPPED: 1 },
  durationSeconds: 185,
  targets: [
    {
      accountId: '111111111111',
      region: 'eu-west-1',
      stackName: 'baseline',
      outcome: 'FAILED',
      error: 'StackFailed',
      reason: 'Trail: Invalid request provided: insufficient S3 bucket policy',
      failedResource: { logicalId: 'Trail', type: 'AWS::CloudTrail::Trail' },
    },
    { accountId: '222222222222', region: 'us-east-1', stackName: 'baseline', outcome: 'CREATED' },
  ],
  metrics: { stateTransitions: 120, cloudFormationCalls: 50, simulatedSeconds: 185 },
};

describe('summary rendering', () => {
  it('shows counts, failed targets with resource and reason, and duration', () => {
    const text = renderSummary(report, { color: false });
    expect(text).toContain('Rollout ro-1 (deploy): SUCCEEDED — 13 targets in 3m05s');
    expect(text).toMatch(/FAILED\s+2/);
    expect(text).toMatch(/CREATED\s+10/);
    expect(text).toContain(
      '111111111111  eu-west-1  StackFailed  Trail (AWS::CloudTrail::Trail)  Trail: Invalid request',
    );
    expect(text.indexOf('FAILED')).toBeLessThan(text.indexOf('CREATED'));
    expect(text).not.toContain('\u001b[');
  });

  it('colours only when asked', () => {
    expect(renderSummary(report, { color: true })).toContain('\u001b[31m');
  });

  it('honours NO_COLOR and non-terminals', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
  });

  it('draws a progress bar with counts', () => {
    const line = renderProgressLine(
      {
        total: 40,
        done: 10,
        failed: 1,
        running: 5,
        counts: { SUCCEEDED: 9, FAILED: 1 },
        inProgress: [],
        recentFailures: [],
        elapsedSeconds: 75,
        phase: 'deploying',
      },
      { color: false },
    );
    expect(line).toContain('[######------------------]  25% 10/40 done, 5 running, 1 failed');
    expect(line).toContain('deploying 1m15s');
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(3725)).toBe('1h02m05s');
    expect(formatDuration(undefined)).toBe('-');
  });
});
