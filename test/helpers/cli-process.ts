/**
 * The CLI as a user runs it, for e2e tests: a separate process with real argv, exit code and
 * output streams. The environment is rebuilt from scratch: a fresh HOME, and AWS_CONFIG_FILE /
 * AWS_SHARED_CREDENTIALS_FILE inside it, so nothing of the developer's machine (~/.aws, AWS_*
 * variables) leaks into a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const FIXTURES = join(ROOT, 'test/fixtures/cli');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh, empty HOME with the AWS shared files pointed inside it. */
export function isolatedHome(): {
  HOME: string;
  AWS_CONFIG_FILE: string;
  AWS_SHARED_CREDENTIALS_FILE: string;
} {
  const home = mkdtempSync(join(tmpdir(), 'sf-home-'));
  return {
    HOME: home,
    AWS_CONFIG_FILE: join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
  };
}

export function runCli(
  args: string[],
  env: Record<string, string> = {},
  cwd = ROOT,
  timeout = 240_000,
): CliRun {
  const result = spawnSync(
    process.execPath,
    [require.resolve('tsx/cli'), join(ROOT, 'src/cli/main.ts'), ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...isolatedHome(), ...env },
      timeout,
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
