import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, runCli } from '../helpers/cli-process';

/**
 * What the CLI prints: text that came from AWS reaches the terminal without escape sequences or
 * control characters, and `publish` prints what `--template` accepts.
 */
const sandbox = () => ['--state-dir', mkdtempSync(join(tmpdir(), 'sf-e2e-output-'))];
const TINY = join(FIXTURES, 'tiny-rollout.yaml');

/** C0 controls but newline, DEL, C1 controls and bidi overrides: none may reach a terminal. */
function controls(text: string): string[] {
  return [...text].filter((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return (
      (code < 0x20 && ch !== '\n') || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e)
    );
  });
}

it('prints a status reason carrying ESC sequences, BEL and a bidi override without them', () => {
  const run = runCli([
    'rollout',
    '--config',
    TINY,
    '--scenario',
    join(FIXTURES, 'hostile-scenario.yaml'),
    ...sandbox(),
  ]);
  expect(run.code).toBe(1);
  expect(controls(run.stdout)).toEqual([]);
  expect(controls(run.stderr)).toEqual([]);
  // The words stay; only what would drive the terminal is gone.
  expect(run.stdout.replace(/\s+/g, ' ')).toContain('Denied by policy, see the runbook');
});

it('publish prints the s3:// form --template takes, and a rollout accepts it', () => {
  const state = sandbox();
  const published = runCli(['publish', join(ROOT, 'templates/baseline.yaml'), ...state]);
  expect(published.code).toBe(0);
  const template = published.stdout.trim();
  expect(template).toMatch(/^s3:\/\/[a-z0-9.-]+\/templates\/baseline\.yaml\?versionId=\S+$/);
  const one = ['--accounts', '200000000001', '--regions', 'us-east-1'];
  const rollout = runCli(['rollout', '--template', template, ...one, '--json', ...state]);
  expect(rollout.stderr).not.toMatch(/stackfleet: /);
  expect(rollout.code).toBe(0);
  expect(JSON.parse(rollout.stdout).counts.CREATED).toBe(1);
});
