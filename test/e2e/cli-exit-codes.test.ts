import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODE_TABLE, ExitCodes } from '../../src/cli/exit-codes';
import { FIXTURES, isolatedHome, ROOT, runCli } from '../helpers/cli-process';

/**
 * One test per row of the exit-code table (src/cli/exit-codes.ts, README "Exit codes"), each
 * with the CLI as a process. The rows for "preview incomplete" (1) and drift found (4) on a
 * richer organisation are in cli-readonly.test.ts; SIGINT (130) and SIGTERM (143) are in
 * signals.test.ts.
 */
const dir = mkdtempSync(join(tmpdir(), 'sf-e2e-exit-'));
const state = (name: string) => ['--state-dir', join(dir, name)];
const SMALL = join(ROOT, 'src/sandbox/scenarios/small.yaml');
const TINY = [
  '--scenario',
  join(FIXTURES, 'tiny-scenario.yaml'),
  '--config',
  join(FIXTURES, 'tiny-rollout.yaml'),
];

it('the table has exactly these rows', () => {
  expect(EXIT_CODE_TABLE.map(([code]) => code)).toEqual([0, 1, 2, 3, 4, 70, 130, 143]);
});

describe('exit codes', () => {
  it('0: success, including `status` when nothing has run yet (not 1)', () => {
    const run = runCli(['status', ...state('empty')]);
    expect(run.code).toBe(ExitCodes.ok);
    expect(run.stdout).toMatch(/^No rollouts yet on the sandbox \(/);
  });

  it('1: a rollout beyond its failure tolerance', () => {
    const run = runCli([
      'rollout',
      '--config',
      join(FIXTURES, 'strict.yaml'),
      '--scenario',
      SMALL,
      ...state('strict'),
    ]);
    expect(run.code).toBe(ExitCodes.rolloutFailed);
    expect(run.stdout).toMatch(/\(deploy\): FAILED/);
  });

  describe('2: bad input, refused before anything starts', () => {
    it.each([
      // "Flow sequence in block collection ..." used to match a /lock/i test and exit 3.
      [
        'a scenario YAML syntax error',
        ['status', '--scenario', 'BAD_SCENARIO'],
        /--scenario: Scenario .*not valid YAML/,
      ],
      [
        'ui --export into a missing folder',
        ['ui', '--export', join(dir, 'no-such-folder', 'x.html')],
        /--export: the folder .*no-such-folder does not exist/,
      ],
      [
        '--template naming a directory',
        ['rollout', '--template', tmpdir()],
        /--template must be a template file, not a directory\. Received: /,
      ],
      [
        '--template that never ends',
        ['rollout', '--template', '/dev/zero'],
        /--template must be a template of at most 1000000 bytes .*Received: \/dev\/zero \(more than 1000000 bytes\)/,
      ],
      [
        'a fractional tolerance percentage',
        ['rollout', '--failure-tolerance-percent', '2.5'],
        /--failure-tolerance-percent must be a whole percentage from 0 to 100\. Received: "2\.5"/,
      ],
      [
        'an unknown STACKFLEET_BACKEND',
        ['status', 'ENV:STACKFLEET_BACKEND=prod'],
        /STACKFLEET_BACKEND must be aws or sandbox\. Received: "prod"/,
      ],
    ])('%s', (_what, args, message) => {
      const badScenario = join(dir, 'bad-scenario.yaml');
      writeFileSync(badScenario, 'seed: [1\n');
      const env = Object.fromEntries(
        args.filter((a) => a.startsWith('ENV:')).map((a) => a.slice(4).split('=')),
      );
      const argv = args
        .filter((a) => !a.startsWith('ENV:'))
        .map((a) => (a === 'BAD_SCENARIO' ? badScenario : a));
      const run = runCli([...argv, ...state('bad')], env);
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(ExitCodes.badInput);
    });
  });

  it('3: could not reach AWS (the region comes from the profile, not a silent us-east-1)', () => {
    const home = isolatedHome();
    writeFileSync(join(home.HOME, 'config'), '[profile ops]\nregion = eu-west-3\n');
    const run = runCli(['status', '--profile', 'ops'], {
      ...home,
      AWS_CONFIG_FILE: join(home.HOME, 'config'),
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Nothing listens here: the call fails to connect.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(run.code).toBe(ExitCodes.unreachable);
    expect(run.stderr).toContain('could not identify the AWS caller (sts:GetCallerIdentity in eu-west-3)');
  });

  it('4: drift --fail-on-drift found a target that differs from the request', () => {
    const run = runCli(['drift', '--no-repair', '--fail-on-drift', ...TINY, ...state('drift')]);
    expect(run.code).toBe(ExitCodes.driftFound);
    expect(run.stdout).toMatch(/MISSING\s+1/);
  });

  it('70: an internal error is a defect, reported as one, not as "could not reach" (3)', () => {
    const run = runCli(['rollout', ...state('defect')], {
      NODE_OPTIONS: `--require ${join(FIXTURES, 'defect-preload.js')}`,
    });
    expect(run.code).toBe(ExitCodes.internalError);
    expect(run.stderr).toContain(
      'stackfleet: internal error (a defect in stackfleet, please report it): TypeError: planted defect',
    );
  });
});
