import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, isolatedHome, runCli } from '../helpers/cli-process';

/**
 * The backend is chosen one documented way (README, "Which backend"): the sandbox unless AWS is
 * asked for. AWS files in HOME used to switch every command to AWS, so a plain `status` after
 * `npm start` failed with exit 3; now it finds the sandbox state in the current folder.
 */
it('AWS credentials and config in HOME do not switch a plain command away from the sandbox in this folder', () => {
  const project = mkdtempSync(join(tmpdir(), 'sf-e2e-project-'));
  const home = isolatedHome();
  mkdirSync(join(home.HOME, '.aws'));
  writeFileSync(home.AWS_CONFIG_FILE, '[default]\nregion = eu-west-1\n');
  writeFileSync(
    home.AWS_SHARED_CREDENTIALS_FILE,
    '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n',
  );
  const env = { ...home, AWS_PROFILE: 'default' };
  const tiny = [
    '--scenario',
    join(FIXTURES, 'tiny-scenario.yaml'),
    '--config',
    join(FIXTURES, 'tiny-rollout.yaml'),
  ];

  const rollout = runCli(['rollout', ...tiny, '--json'], env, project);
  expect(rollout.code).toBe(0);
  const { rolloutId } = JSON.parse(rollout.stdout) as { rolloutId: string };
  expect(rollout.stderr.split('\n')[0]).toMatch(
    /^Backend: the sandbox \(2 accounts, new world from scenario \S+tiny-scenario\.yaml, state in .*\.stackfleet\/sandbox\); admin account 999999999999, region us-east-1$/,
  );

  const status = runCli(['status'], env, project);
  expect(status.stderr.split('\n')[0]).toMatch(/^Backend: the sandbox \(/);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(`Rollout ${rolloutId} (deploy): SUCCEEDED`);
});
