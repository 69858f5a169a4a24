import { renderDrift, renderPreview } from '../../src/cli/preview-render';
import type { RolloutReport, TargetReport } from '../../src/cli/render';

const trail = {
  action: 'Modify',
  logicalId: 'Trail',
  type: 'AWS::CloudTrail::Trail',
  replacement: 'False',
  properties: ['IsLogging'],
};

function target(
  accountId: string,
  region: string,
  outcome: string,
  changes?: TargetReport['changes'],
): TargetReport {
  return { accountId, region, stackName: 'baseline', outcome, ...(changes ? { changes } : {}) };
}

function report(targets: TargetReport[]): RolloutReport {
  const counts: Record<string, number> = {};
  for (const t of targets) counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
  return {
    rolloutId: 'pv-1',
    mode: 'preview',
    status: 'SUCCEEDED',
    executionArn: 'arn',
    counts,
    targets,
    metrics: {},
  };
}

const plain = { color: false };

describe('renderPreview', () => {
  test('312 targets with the same single change read as one line', () => {
    const targets = Array.from({ length: 312 }, (_, i) =>
      target(String(100000000000 + i), 'eu-west-1', 'CHANGES', [trail]),
    );
    targets.push(target('999999999999', 'eu-west-1', 'NO_CHANGE'));
    const text = renderPreview(report(targets), plain);
    expect(text).toContain('Preview: 312 targets would change, 1 would not. Nothing was changed.');
    expect(text).toContain('312 targets: Modify AWS::CloudTrail::Trail Trail (no replacement): IsLogging');
    expect(text).toContain(
      'in 100000000000 eu-west-1, 100000000001 eu-west-1, 100000000002 eu-west-1, +309 more',
    );
    expect(text).not.toContain('!!');
  });

  test('replacements and removals are flagged loudly, their groups first', () => {
    const risky = [
      { action: 'Remove', logicalId: 'Legacy', type: 'AWS::SNS::Topic' },
      { ...trail, replacement: 'True', properties: ['TrailName'] },
    ];
    const text = renderPreview(
      report([
        target('111111111111', 'eu-west-1', 'CHANGES', [trail]),
        target('111111111111', 'us-east-1', 'CHANGES', [trail]),
        target('222222222222', 'eu-west-1', 'CHANGES', risky),
      ]),
      plain,
    );
    const lines = text.split('\n');
    expect(lines).toContain('!! 1 target would REMOVE resources (deleted with their data).');
    expect(lines).toContain('!! 1 target would REPLACE resources (new physical resource, old one deleted).');
    const riskyAt = lines.indexOf('1 target: 2 changes');
    const safeAt = lines.findIndex((l) => l.startsWith('2 targets: Modify AWS::CloudTrail::Trail'));
    expect(riskyAt).toBeGreaterThan(0);
    expect(safeAt).toBeGreaterThan(riskyAt);
    expect(lines[riskyAt + 1]).toBe('  !! REMOVAL     Remove AWS::SNS::Topic Legacy');
    expect(lines[riskyAt + 2]).toBe(
      '  !! REPLACEMENT Modify AWS::CloudTrail::Trail Trail (REPLACEMENT): TrailName',
    );
  });

  test('colour only when asked', () => {
    const r = report([
      target('111111111111', 'eu-west-1', 'CHANGES', [{ action: 'Remove', logicalId: 'L', type: 'T' }]),
    ]);
    expect(renderPreview(r, plain)).not.toContain('\u001b[');
    expect(renderPreview(r, { color: true })).toContain('\u001b[31m');
  });

  test('a preview with nothing to change says so', () => {
    const text = renderPreview(report([target('111111111111', 'eu-west-1', 'NO_CHANGE')]), plain);
    expect(text).toBe('Preview: 0 targets would change, 1 would not. Nothing was changed.\n');
  });

  test('many groups are cut with a pointer to --json', () => {
    const targets = Array.from({ length: 5 }, (_, i) =>
      target('111111111111', `r-${i}`, 'CHANGES', [
        { action: 'Add', logicalId: `R${i}`, type: 'AWS::SNS::Topic' },
      ]),
    );
    const text = renderPreview(report(targets), plain, { maxGroups: 2 });
    expect(text.match(/^1 target: Add/gm)).toHaveLength(2);
    expect(text).toContain('... and 3 more groups of targets (use --json for every target)');
  });
});

describe('renderDrift', () => {
  const trail = {
    logicalId: 'Trail',
    type: 'AWS::CloudTrail::Trail',
    status: 'MODIFIED',
    properties: ['/IsLogging'],
  };

  test('groups identical drift, reported-only targets first and marked', () => {
    const text = renderDrift(
      report([
        { ...target('111111111111', 'eu-west-1', 'DRIFT_REPAIRED'), drifted: [trail] },
        { ...target('111111111111', 'us-east-1', 'DRIFT_REPAIRED'), drifted: [trail] },
        { ...target('222222222222', 'eu-west-1', 'DRIFTED'), drifted: [trail] },
        target('333333333333', 'eu-west-1', 'IN_SYNC'),
      ]),
      plain,
    );
    expect(text.split('\n')).toEqual([
      'Drift: 2 targets repaired, 1 drifted and left as found.',
      '',
      '1 target (NOT repaired):',
      '  Trail (AWS::CloudTrail::Trail) MODIFIED /IsLogging',
      '  in 222222222222 eu-west-1',
      '',
      '2 targets (repaired):',
      '  Trail (AWS::CloudTrail::Trail) MODIFIED /IsLogging',
      '  in 111111111111 eu-west-1, 111111111111 us-east-1',
      '',
    ]);
  });

  test('nothing drifted: nothing to add', () => {
    expect(renderDrift(report([target('333333333333', 'eu-west-1', 'IN_SYNC')]), plain)).toBe('');
  });
});

describe('the stacks form (issue 17)', () => {
  const bucket = { action: 'Add', logicalId: 'Bucket', type: 'AWS::S3::Bucket' };
  const rule = { action: 'Add', logicalId: 'Rule', type: 'AWS::Config::ConfigRule' };
  function graphReport(targets: TargetReport[]): RolloutReport {
    return {
      ...report(targets),
      graph: { stacks: ['logging', 'detection'], byStack: {}, targetCounts: {} },
    };
  }
  const inStack = (stack: string, t: TargetReport): TargetReport => ({ ...t, stack, stackName: stack });

  test("previews each stack's change sets apart, a dependant's pending inputs named after their source", () => {
    const text = renderPreview(
      graphReport([
        inStack('logging', target('111111111111', 'eu-west-1', 'CHANGES', [bucket])),
        inStack('logging', target('222222222222', 'eu-west-1', 'CHANGES', [bucket])),
        {
          ...inStack('detection', target('111111111111', 'eu-west-1', 'CHANGES', [rule])),
          pendingInputs: { BucketName: 'logging.BucketName' },
        },
        {
          ...inStack('detection', target('222222222222', 'eu-west-1', 'NO_CHANGE')),
          pendingInputs: { BucketName: 'logging.BucketName' },
        },
      ]),
      plain,
    );
    const lines = text.split('\n');
    // Both targets appear once per stack: counted in their stack's section, not merged across stacks.
    expect(lines).toContain(
      'Preview of stack logging: 2 targets would change, 0 would not. Nothing was changed.',
    );
    expect(lines).toContain(
      'Preview of stack detection: 1 target would change, 1 would not. Nothing was changed.',
    );
    expect(lines.indexOf('2 targets: Add AWS::S3::Bucket Bucket')).toBeGreaterThan(-1);
    const detection = lines.findIndex((l) => l.startsWith('Preview of stack detection'));
    expect(detection).toBeGreaterThan(lines.indexOf('2 targets: Add AWS::S3::Bucket Bucket'));
    expect(lines.slice(detection)).toContain(
      '  parameters known once their stack is deployed: BucketName (from logging.BucketName)',
    );
    // The unchanged dependant is warned about: its preview used today's output.
    expect(text).toContain(
      '1 target would not change with the current values of BucketName (from logging.BucketName)',
    );
  });

  test('counts a dependant not previewable yet as one that would change, saying what it waits for', () => {
    const text = renderPreview(
      graphReport([
        inStack('logging', target('111111111111', 'eu-west-1', 'CHANGES', [bucket])),
        {
          ...inStack('detection', target('111111111111', 'eu-west-1', 'CHANGES')),
          pendingInputs: { BucketName: 'logging.BucketName' },
        },
      ]),
      plain,
    );
    expect(text).toContain(
      'Preview of stack detection: 1 target would change, 0 would not. Nothing was changed.',
    );
    expect(text.replace(/\s+/g, ' ')).toContain(
      '1 target: not previewed yet, their parameters BucketName (from logging.BucketName) are known only once the stacks they come from are deployed',
    );
    expect(text).toContain('  in 111111111111 eu-west-1');
  });

  test("reports each stack's drift apart, leaving out stacks with nothing drifted", () => {
    const trail = { logicalId: 'Trail', type: 'AWS::CloudTrail::Trail', status: 'MODIFIED' };
    const text = renderDrift(
      graphReport([
        { ...inStack('logging', target('111111111111', 'eu-west-1', 'DRIFT_REPAIRED')), drifted: [trail] },
        inStack('detection', target('111111111111', 'eu-west-1', 'IN_SYNC')),
      ]),
      plain,
    );
    expect(text.split('\n')).toEqual([
      'Drift of stack logging: 1 target repaired, 0 drifted and left as found.',
      '',
      '1 target (repaired):',
      '  Trail (AWS::CloudTrail::Trail) MODIFIED',
      '  in 111111111111 eu-west-1',
      '',
    ]);
  });
});
