import {
  formatDuration,
  renderLiveView,
  renderProgressLine,
  renderSummary,
  shouldColor,
} from '../../../src/cli/render';

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
    expect(text).toContain('  1 target: StackFailed in Trail (AWS::CloudTrail::Trail)\n');
    expect(text).toContain('    Invalid request provided: insufficient S3 bucket policy\n');
    expect(text).toContain('    in 111111111111 eu-west-1\n');
    expect(text.indexOf('FAILED')).toBeLessThan(text.indexOf('CREATED'));
    expect(text).not.toContain('\u001b[');
  });

  it('never cuts a reason before its advice, and does not repeat the resource in the reason', () => {
    const advice =
      'Check that the execution role exists there, trusts the stackfleet admin account, and expects this external id.';
    const long = `Could not assume arn:aws:iam::333333333333:role/StackFleetExecution in account 333333333333: User: arn:aws:iam::111122223333:root is not authorized to perform: sts:AssumeRole. ${advice}`;
    const text = renderSummary(
      {
        ...report,
        targets: [
          {
            accountId: '333333333333',
            region: 'us-east-1',
            stackName: 'b',
            outcome: 'FAILED',
            error: 'RoleNotAssumable',
            reason: long,
          },
          {
            accountId: '111111111111',
            region: 'eu-west-1',
            stackName: 'b',
            outcome: 'FAILED',
            error: 'StackFailed',
            reason: 'Trail (AWS::CloudTrail::Trail) CREATE_FAILED: Invalid request provided',
            failedResource: { logicalId: 'Trail', type: 'AWS::CloudTrail::Trail', status: 'CREATE_FAILED' },
          },
        ],
      },
      { color: false },
      { width: 80 },
    );
    expect(text.replace(/\s+/g, ' ')).toContain(advice);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toContain(
      'StackFailed in Trail (AWS::CloudTrail::Trail) CREATE_FAILED\n    Invalid request provided\n',
    );
    expect(text).not.toContain('...');
  });

  it('groups targets that failed the same way, with a count and every target', () => {
    const failed = (accountId: string, region: string) => ({
      accountId,
      region,
      stackName: 'b',
      outcome: 'FAILED',
      error: 'StackFailed',
      reason: 'ConfigRecorder (AWS::Config::ConfigurationRecorder) CREATE_FAILED: recorder limit reached',
      failedResource: {
        logicalId: 'ConfigRecorder',
        type: 'AWS::Config::ConfigurationRecorder',
        status: 'CREATE_FAILED',
      },
    });
    const text = renderSummary(
      {
        ...report,
        targets: [
          failed('222222222222', 'us-east-1'),
          failed('111111111111', 'eu-west-1'),
          failed('111111111111', 'us-east-1'),
        ],
      },
      { color: false },
    );
    expect(text).toContain(
      '  3 targets: StackFailed in ConfigRecorder (AWS::Config::ConfigurationRecorder) CREATE_FAILED\n' +
        '    recorder limit reached\n' +
        '    in 111111111111 eu-west-1, 111111111111 us-east-1, 222222222222 us-east-1\n',
    );
    expect(text.match(/recorder limit reached/g)).toHaveLength(1);
  });

  it('prints no escape sequence or control character that came from AWS', () => {
    const hostile = 'bad\u001b]0;owned\u0007\u001b[2J\u009b31m reason\u0000\r with\u202e bidi';
    const text = renderSummary(
      {
        ...report,
        targets: [
          {
            accountId: '111111111111',
            region: 'eu-west-1',
            stackName: 'b',
            outcome: 'FAILED',
            error: 'StackFailed',
            reason: hostile,
          },
        ],
        cause: `cause \u001b[31mred\u001b[0m`,
        status: 'FAILED',
        error: 'RolloutFailed',
      },
      { color: false },
    );
    // No C0 control other than newline, no DEL, no C1, no bidi override.
    const controls = [...text].filter((ch) => {
      const code = ch.codePointAt(0) ?? 0;
      return (
        (code < 0x20 && ch !== '\n') || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e)
      );
    });
    expect(controls).toEqual([]);
    expect(text).toContain('bad reason with bidi');
    expect(text).toContain('cause red');
    const live = renderLiveView(
      {
        total: 1,
        done: 0,
        failed: 1,
        running: 1,
        counts: {},
        inProgress: ['a\u001b[2Jb'],
        recentFailures: ['c\u0007d'],
        elapsedSeconds: 1,
        phase: 'deploying',
      },
      { color: false },
    ).join('\n');
    expect(live).toContain('in progress: ab');
    expect(live).toContain('failed: cd');
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

  it('says the stacks form counts lanes, and names skipped targets apart', () => {
    const line = renderProgressLine(
      {
        total: 174,
        done: 40,
        failed: 2,
        running: 8,
        counts: { SUCCEEDED: 38, FAILED: 2 },
        inProgress: [],
        recentFailures: [],
        elapsedSeconds: 75,
        phase: 'deploying',
        unit: 'lanes',
        skippedTargets: 25,
      },
      { color: false },
    );
    expect(line).toContain(
      '40/174 lanes done, 8 running, 2 failed | FAILED 2 SUCCEEDED 38 | 25 targets skipped | deploying',
    );
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(3725)).toBe('1h02m05s');
    expect(formatDuration(undefined)).toBe('-');
  });
});
