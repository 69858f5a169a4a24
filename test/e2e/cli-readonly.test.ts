import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers/cli-process';
import { liveStacks, snapshotWorld, type WorldSnapshot } from '../helpers/sandbox-state';

/**
 * `preview` and `drift --no-repair` change nothing, ever: every stack (status, parameters, tags,
 * resources, number of events) and every S3 object is compared before and after, on an
 * organisation with a stack left in ROLLBACK_COMPLETE, a drifted bucket, a parameter that differs
 * from the request and an account whose role refuses AssumeRole. And a preview covers every
 * target whatever its failure tolerance.
 */
const SCENARIO = join(FIXTURES, 'readonly-scenario.yaml');
const CONFIG = join(FIXTURES, 'readonly-rollout.yaml');
const stateDir = mkdtempSync(join(tmpdir(), 'sf-e2e-readonly-'));
const sandbox = ['--state-dir', stateDir];

interface Doc {
  rolloutId: string;
  status: string;
  counts: Record<string, number>;
  targets: Array<{ accountId: string; region: string; outcome: string; reason?: string; error?: string }>;
}

/** A config like CONFIG whose parameters differ for one target (333333333333 us-east-1). */
function differingConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sf-e2e-readonly-cfg-')), 'differs.yaml');
  writeFileSync(
    file,
    `template: ${join(FIXTURES, '../../../templates/baseline.yaml')}
stackName: stackfleet-baseline
capabilities: [CAPABILITY_NAMED_IAM]
parameterOverrides:
  - { accounts: ["333333333333"], regions: [us-east-1], parameters: { LogRetentionDays: 30 } }
targets: { organizationalUnits: [r-ro01], regions: [us-east-1, eu-west-1] }
maxConcurrency: 4
failureTolerance: { percent: 60 }
`,
  );
  return file;
}

/** Everything but the artifact bucket's per-rollout records (each command writes its own there). */
const snapshot = () => snapshotWorld(stateDir, (bucketKey) => /\/rollouts\//.test(bucketKey));

function expectUnchanged(before: WorldSnapshot, after: WorldSnapshot): void {
  // Every stack that existed is exactly as it was, no live stack appeared, and every object is too.
  for (const [id, stack] of Object.entries(before.stacks))
    expect({ [id]: after.stacks[id] }).toEqual({ [id]: stack });
  expect(liveStacks(after)).toEqual(liveStacks(before));
  expect(after.objects).toEqual(before.objects);
}

let before: WorldSnapshot;

beforeAll(async () => {
  // Deploy everywhere but 222222222222, whose us-east-1 stack stays in ROLLBACK_COMPLETE.
  const run = runCli([
    'rollout',
    '--config',
    CONFIG,
    '--scenario',
    SCENARIO,
    '--exclude-accounts',
    '222222222222',
    '--json',
    ...sandbox,
  ]);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  before = await snapshot();
  expect(
    Object.values(liveStacks(before))
      .map((s) => (s as { status: string }).status)
      .sort(),
  ).toEqual(['CREATE_COMPLETE', 'CREATE_COMPLETE', 'ROLLBACK_COMPLETE']);
}, 240_000);

describe('preview', () => {
  let run: ReturnType<typeof runCli>;
  let doc: Doc;
  beforeAll(() => {
    // A tolerance of 0 used to stop the preview at the first failure, leaving targets unpreviewed.
    run = runCli(['preview', '--config', CONFIG, '--failure-tolerance-count', '0', ...sandbox]);
    const id = /Starting preview (\S+)/.exec(run.stderr)?.[1] ?? '';
    doc = JSON.parse(runCli(['status', id, '--json', ...sandbox]).stdout);
  }, 240_000);

  it('previews every target past failures, whatever the failure tolerance', () => {
    expect(doc.targets).toHaveLength(6);
    expect(doc.counts.NOT_STARTED ?? 0).toBe(0);
    const outcome = (a: string, r: string) =>
      doc.targets.find((t) => t.accountId === a && t.region === r)?.outcome;
    expect(outcome('444444444444', 'us-east-1')).toBe('FAILED');
    expect(outcome('444444444444', 'eu-west-1')).toBe('FAILED');
    expect(outcome('222222222222', 'us-east-1')).toBe('FAILED');
    expect(outcome('222222222222', 'eu-west-1')).toBe('CHANGES');
    expect(outcome('333333333333', 'us-east-1')).toBe('NO_CHANGE');
    expect(outcome('333333333333', 'eu-west-1')).toBe('NO_CHANGE');
  });

  it('exits 1 and says how many targets could not be previewed, and why', () => {
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Preview: 1 target would change, 2 would not, 3 could not be previewed.');
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      '3 targets could not be previewed (RoleNotAssumable: 2, StackFailed: 1;',
    );
    expect(run.stdout).toMatch(/2 targets: RoleNotAssumable\n/);
    expect(run.stdout).toMatch(/1 target: StackFailed\n\s+Stack stackfleet-baseline is ROLLBACK_COMPLETE/);
  });

  it('changed no stack and no object', async () => {
    expectUnchanged(before, await snapshot());
  });
});

describe('drift --no-repair', () => {
  let doc: Doc;
  let run: ReturnType<typeof runCli>;
  beforeAll(() => {
    run = runCli(['drift', '--no-repair', '--config', differingConfig(), '--json', ...sandbox]);
    doc = JSON.parse(run.stdout);
  }, 240_000);

  it('reports each difference from the request and repairs none', () => {
    expect(run.code).toBe(0);
    const target = (a: string, r: string) => doc.targets.find((t) => t.accountId === a && t.region === r);
    expect(target('222222222222', 'us-east-1')).toMatchObject({ outcome: 'INOPERABLE' });
    expect(target('222222222222', 'us-east-1')?.reason).toContain('ROLLBACK_COMPLETE');
    expect(target('222222222222', 'eu-west-1')).toMatchObject({ outcome: 'MISSING' });
    // Differing parameters used to read IN_SYNC: only the template version was compared.
    expect(target('333333333333', 'us-east-1')).toMatchObject({ outcome: 'OUTDATED' });
    expect(target('333333333333', 'us-east-1')?.reason).toContain(
      'parameter LogRetentionDays is "365", the request sets "30"',
    );
    expect(target('333333333333', 'eu-west-1')).toMatchObject({ outcome: 'DRIFTED' });
    expect(doc.counts.DRIFT_REPAIRED ?? 0).toBe(0);
    expect((doc.counts.CREATED ?? 0) + (doc.counts.UPDATED ?? 0)).toBe(0);
  });

  it('changed no stack and no object (the ROLLBACK_COMPLETE stack was not deleted and re-created)', async () => {
    expectUnchanged(before, await snapshot());
  });

  it('with --fail-on-drift exits 4 when a target differs from the request, still changing nothing', async () => {
    const failing = runCli(['drift', '--no-repair', '--fail-on-drift', '--config', CONFIG, ...sandbox]);
    expect(failing.code).toBe(4);
    expect(failing.stdout).toContain('not as requested and left as found');
    expectUnchanged(before, await snapshot());
  });
});
