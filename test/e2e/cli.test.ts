import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { commandSpecs } from '../../src/cli/specs';
import { isolatedHome } from '../helpers/cli-process';

/**
 * The CLI as a user runs it: a separate process, real argv, exit codes and output streams,
 * against the sandbox with its state in a temporary directory.
 */
const ROOT = resolve(__dirname, '..', '..');
const SMALL = join(ROOT, 'src/sandbox/scenarios/small.yaml');
const STRICT = join(ROOT, 'test/fixtures/cli/strict.yaml');

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(
    process.execPath,
    [require.resolve('tsx/cli'), join(ROOT, 'src/cli/main.ts'), ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...isolatedHome(), ...env },
      timeout: 240_000,
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TERMINAL = ['CREATED', 'UPDATED', 'NO_CHANGE', 'FAILED', 'BLOCKED', 'SKIPPED'];

describe('stackfleet rollout on the sandbox demo organisation', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sf-e2e-demo-'));
  let doc: {
    rolloutId: string;
    status: string;
    counts: Record<string, number>;
    targets: Array<{
      accountId: string;
      region: string;
      stack?: string;
      stackName: string;
      outcome: string;
      reason?: string;
      blockedBy?: string;
    }>;
    graph: { stacks: string[]; byStack: Record<string, Record<string, number>> };
    metrics: Record<string, number>;
  };

  it('rolls out, exits 0 and prints one consistent JSON document', () => {
    const run = cli(['rollout', '--json', '--state-dir', stateDir]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    doc = JSON.parse(run.stdout);
    expect(doc.status).toBe('SUCCEEDED');
    const total = Object.values(doc.counts).reduce((a, b) => a + b, 0);
    expect(doc.targets).toHaveLength(total);
    for (const t of doc.targets) {
      expect(TERMINAL).toContain(t.outcome);
      expect(t.accountId).toMatch(/^\d{12}$/);
    }
    for (const [outcome, n] of Object.entries(doc.counts)) {
      expect(doc.targets.filter((t) => t.outcome === outcome)).toHaveLength(n);
    }
    // The demo organisation has failures within tolerance and an opt-in region most accounts lack.
    expect(doc.counts.FAILED).toBeGreaterThan(0);
    expect(doc.counts.SKIPPED).toBeGreaterThan(0);
    expect(doc.counts.CREATED).toBeGreaterThan(50);
    for (const failed of doc.targets.filter((t) => t.outcome === 'FAILED'))
      expect(failed.reason).toBeTruthy();
    expect(doc.metrics.cloudFormationCalls).toBeGreaterThan(0);
    expect(doc.metrics.stateTransitions).toBeGreaterThan(0);
  });

  it("deploys the demo's graph of stacks: a failed stack leaves only its dependants there BLOCKED", () => {
    expect(doc.graph.stacks).toEqual(['logging', 'config', 'detection', 'account-guard']);
    const outcome = (t: { accountId: string; region: string }, stack: string) =>
      doc.targets.find((o) => o.accountId === t.accountId && o.region === t.region && o.stack === stack)
        ?.outcome;
    const blocked = doc.targets.filter((t) => t.outcome === 'BLOCKED');
    expect(blocked.length).toBeGreaterThan(0);
    for (const t of blocked) {
      // The stack it names failed in that same target.
      expect(t.blockedBy).toBeDefined();
      expect(outcome(t, t.blockedBy as string)).toBe('FAILED');
    }
    // Where logging failed but the account could be entered, account-guard (no dependency) went on.
    const loggingFailedHome = doc.targets.filter(
      (t) => t.stack === 'logging' && t.outcome === 'FAILED' && t.region === 'us-east-1',
    );
    expect(loggingFailedHome.some((t) => outcome(t, 'account-guard') === 'CREATED')).toBe(true);
  });

  it('reports the finished rollout with status, from the saved sandbox state', () => {
    const run = cli(['status', doc.rolloutId, '--state-dir', stateDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Rollout ${doc.rolloutId} (deploy): SUCCEEDED`);
    // The demo is a graph of stacks: a row per stack, then the targets by their worst stack.
    expect(run.stdout).toMatch(/^STACK\s+FAILED\s+BLOCKED\s+CREATED/m);
    expect(run.stdout).toMatch(/^detection\s+[-\d]+\s+\d+\s+\d+/m);
    expect(run.stdout).toMatch(/^targets \(worst stack\)\s+\d+/m);
    const json = JSON.parse(cli(['status', '--json', '--state-dir', stateDir]).stdout);
    expect(json.rolloutId).toBe(doc.rolloutId);
    expect(json.counts).toEqual(doc.counts);
  });

  it('re-runs safely: the same template again leaves every deployed target NO_CHANGE', () => {
    const run = cli(['rollout', '--json', '--state-dir', stateDir]);
    expect(run.code).toBe(0);
    const again = JSON.parse(run.stdout) as typeof doc;
    expect(again.rolloutId).not.toBe(doc.rolloutId);
    expect(again.counts.NO_CHANGE).toBe((doc.counts.CREATED ?? 0) + (doc.counts.UPDATED ?? 0));
    expect(again.counts.CREATED ?? 0).toBe(0);
    expect(again.counts.UPDATED ?? 0).toBe(0);
  });

  it('names an unknown rollout in status with exit 2', () => {
    const run = cli(['status', 'ro-does-not-exist', '--state-dir', stateDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no rollout named "ro-does-not-exist"');
  });
});

describe('a rollout beyond its failure tolerance', () => {
  it('exits 1 and still prints the summary with the failed resource', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sf-e2e-strict-'));
    const run = cli(['rollout', '--config', STRICT, '--scenario', SMALL, '--state-dir', stateDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/: FAILED/);
    expect(run.stdout).toContain('Failed targets');
    // Grouped by error and reason, each group naming its targets (which fails first may vary).
    expect(run.stdout).toMatch(
      /targets?: RoleNotAssumable\n[\s\S]*?in 444444444444 |targets?: StackFailed in \w+ \(AWS::S3::Bucket\)[\s\S]*?in 333333333333 eu-west-1/,
    );
  });
});

describe('bad input exits 2 and names the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-e2e-bad-'));
  const stateDir = join(dir, 'state');
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const base = `template: ${join(ROOT, 'templates/baseline.yaml')}\nstackName: stackfleet-baseline\ntargets:\n  regions: [us-east-1]\n`;

  it.each([
    ['an account id that is not 12 digits', `${base}  accounts: ["12ab"]\n`, /targets\.accounts\[0\].*12ab/],
    ['a negative concurrency', `${base}maxConcurrency: -3\n`, /maxConcurrency.*-3/],
    ['an unknown field', `${base}stacName: typo\n`, /stacName/],
    ['a bad stack name', base.replace('stackfleet-baseline', '"1 bad name"'), /stackName.*1 bad name/],
    ['a region that does not exist', base.replace('us-east-1', 'moon-1'), /moon-1/],
  ])('%s', (_what, text, pattern) => {
    const run = cli(['rollout', '--config', write('bad.yaml', text), '--state-dir', stateDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stdout).toBe('');
  });

  it('refuses an unknown flag and a bad flag value', () => {
    const unknown = cli(['rollout', '--max-concurency', '3', '--state-dir', stateDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--max-concurency'");
    const badValue = cli(['rollout', '--max-concurrency', 'many', '--state-dir', stateDir]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain(
      '--max-concurrency must be a whole number from 1 to 10000. Received: "many"',
    );
  });

  it('refuses a malformed scenario file, naming the field', () => {
    const scenario = write(
      'scenario.yaml',
      'seed: 1\norganization:\n  accounts:\n    - { id: "12ab", name: x }\n',
    );
    const run = cli(['rollout', '--scenario', scenario, '--state-dir', join(dir, 'state2')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/scenario.*12ab/s);
  });

  it('refuses an unknown command', () => {
    const run = cli(['rollot']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown command "rollot"');
  });
});

describe('--help', () => {
  it('is printed for the program', () => {
    const run = cli(['--help']);
    expect(run.code).toBe(0);
    for (const name of Object.keys(commandSpecs)) expect(run.stdout).toContain(`  ${name}`);
  });

  it('says that target flags replace the config selection, never add to it', () => {
    const run = cli(['rollout', '--help']);
    expect(run.stdout).toContain("Replaces the config's accounts and organizationalUnits.");
    expect(run.stdout).toContain("Target flags replace that part of the config's targets, never add to it");
  });

  it.each(['rollout', 'preview', 'drift'])(
    'shows the stacks form of the config for %s (issue 17)',
    (name) => {
      const run = cli([name, '--help']);
      expect(run.stdout).toContain('or a graph of stacks');
      expect(run.stdout).toContain('dependsOn: [logging]');
      expect(run.stdout).toContain('{ fromStack: logging, output: BucketName }');
      expect(run.stdout).toContain('maxStacksPerTarget');
      expect(run.stdout).toContain('N stacks in flight across the rollout');
    },
  );

  it.each(Object.keys(commandSpecs))('is printed for %s with every option the parser accepts', (name) => {
    const run = cli([name, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`stackfleet ${name} — `);
    expect(run.stdout).toContain('Usage: stackfleet');
    for (const option of Object.keys(commandSpecs[name]!.options))
      expect(run.stdout).toContain(`--${option}`);
    expect(run.stdout).toContain('Exit codes:');
  });
});
