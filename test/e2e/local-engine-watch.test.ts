import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCodes } from '../../src/cli/exit-codes';
import { type LiveCli, ROOT, runToEnd, startCli, stopAll, TEST_TIMEOUT_MS } from '../helpers/cli-live';

/**
 * `rollout --local-engine` inspected from other processes (issue 18): the local engine keeps its
 * executions in a state folder (src/cli/local-engine-host.ts), so `status --follow` in a second
 * terminal follows a rollout it runs, and `status`/`list` show it afterwards, with execution ARNs
 * in the caller's account (the tiny organisation's 999999999999, not the demo's 111122223333).
 */
jest.setTimeout(TEST_TIMEOUT_MS);

const TINY_CONFIG = join(ROOT, 'test/fixtures/cli/tiny-rollout.yaml');
let server: LiveCli | undefined;
let env: Record<string, string> = {};
let bucket = '';

beforeAll(async () => {
  server = startCli([
    'sandbox',
    'serve',
    '--port',
    '0',
    '--speed',
    '10',
    '--state-dir',
    mkdtempSync(join(tmpdir(), 'sf-le-watch-')),
    '--scenario',
    join(ROOT, 'test/fixtures/cli/watch-scenario.yaml'),
  ]);
  const [, url] = await server.waitFor(/Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/);
  // The admin stack's own bucket lets the admin functions and the members' execution roles in.
  const [, name] = await server.waitFor(/artifact bucket (\S+)\n/);
  bucket = name as string;
  env = {
    AWS_ENDPOINT_URL: url as string,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    STACKFLEET_LOCAL_ENGINE_DIR: mkdtempSync(join(tmpdir(), 'sf-le-state-')),
  };
});

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.closed;
  await stopAll();
});

it('a second process follows a --local-engine rollout live; status and list inspect it afterwards', async () => {
  const local = ['--local-engine', '--artifact-bucket', bucket];
  const empty = await runToEnd(['list', ...local], env);
  expect(empty.code).toBe(ExitCodes.ok);
  expect(empty.stdout).toContain('No rollouts yet');

  const rollout = startCli(['rollout', ...local, '--config', TINY_CONFIG, '--rollout-id', 'ro-le-1'], env);
  // The target waits on its ten-minute trail: the rollout is running in the first process.
  await rollout.waitFor(/0\/1 done, 1 running/);

  const follower = await runToEnd(['status', 'ro-le-1', ...local, '--follow'], env);
  expect(follower.code).toBe(ExitCodes.ok);
  expect(follower.stderr).toContain('Following ro-le-1');
  expect(follower.stderr).toMatch(/0\/1 done, 1 running \| .*deploying/);
  expect(follower.stdout).toContain('Rollout ro-le-1 (deploy): SUCCEEDED — 1 target in');
  expect(follower.stdout).toMatch(/execution:stackfleet-local-rollout:ro-le-1/);
  expect(follower.stdout).toContain('arn:aws:states:us-east-1:999999999999:execution:');
  expect((await rollout.exited).code).toBe(ExitCodes.ok);

  const status = await runToEnd(['status', 'ro-le-1', ...local, '--json'], env);
  expect(status.code).toBe(ExitCodes.ok);
  const doc = JSON.parse(status.stdout);
  expect(doc).toMatchObject({ rolloutId: 'ro-le-1', status: 'SUCCEEDED', counts: { CREATED: 1 } });
  expect(doc.executionArn).toBe(
    'arn:aws:states:us-east-1:999999999999:execution:stackfleet-local-rollout:ro-le-1',
  );

  const listed = await runToEnd(['list', ...local], env);
  expect(listed.code).toBe(ExitCodes.ok);
  expect(listed.stdout).toMatch(/^ro-le-1\s+deploy\s+SUCCEEDED\s+1\s.*CREATED 1$/m);
});
