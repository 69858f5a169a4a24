import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCodes } from '../../src/cli/exit-codes';
import type { RolloutWire } from '../../src/ui/wire';
import {
  DEADLINE_MS,
  type LiveCli,
  ROOT,
  runToEnd,
  startCli,
  stopAll,
  TEST_TIMEOUT_MS,
} from '../helpers/cli-live';

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

it('ui --local-engine serves the rollouts of the state folder, and one started after it launched', async () => {
  const local = ['--local-engine', '--artifact-bucket', bucket];
  // ro-le-1 ran in the test above: its state folder is what this UI reads.
  const ui = startCli(['ui', ...local], env);
  const [, url] = await ui.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/)\n/);
  const get = async <T>(p: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(new URL(p, url));
    return { status: res.status, body: (await res.json()) as T };
  };
  type Listed = {
    rollouts: Array<{
      name: string;
      executionArn: string;
      status: string;
      mode?: string;
      counts?: Record<string, number>;
      total?: number;
    }>;
  };
  const page = await fetch(url as string);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('stackfleet-config');

  const first = await get<Listed>('/api/rollouts');
  expect(first.status).toBe(200);
  const ro1 = first.body.rollouts.find((r) => r.name === 'ro-le-1');
  expect(ro1).toMatchObject({
    status: 'SUCCEEDED',
    mode: 'deploy',
    executionArn: 'arn:aws:states:us-east-1:999999999999:execution:stackfleet-local-rollout:ro-le-1',
    counts: { CREATED: 1 },
  });
  const outcomesOf = async (arn: string) => {
    const { status, body } = await get<RolloutWire>(`/api/rollout?arn=${encodeURIComponent(arn)}`);
    expect(status).toBe(200);
    const t = body.targets;
    return {
      rollout: body.rollout,
      targets: t.rows.map((r) => ({
        account: t.accounts[r[0]],
        region: t.regions[r[1]],
        outcome: t.outcomes[r[2]],
        name: r[3],
      })),
    };
  };
  const one = await outcomesOf(ro1!.executionArn);
  expect(one.rollout).toMatchObject({ status: 'SUCCEEDED', mode: 'deploy', done: 1, total: 1 });
  expect(one.targets).toEqual([expect.objectContaining({ outcome: 'CREATED' })]);
  // The target's own execution is served too (the local engine's per-target machine).
  const detail = await get<{ outcome: string; status: string }>(
    `/api/target?arn=${encodeURIComponent(`${(await get<RolloutWire>(`/api/rollout?arn=${encodeURIComponent(ro1!.executionArn)}`)).body.targets.executionPrefix}${one.targets[0]!.name}`)}`,
  );
  expect(detail.status).toBe(200);
  expect(detail.body).toMatchObject({ status: 'SUCCEEDED', outcome: 'CREATED' });

  // A rollout started after the UI launched appears without a restart (nothing changed: UNCHANGED).
  const rollout = await runToEnd(
    ['rollout', ...local, '--config', TINY_CONFIG, '--rollout-id', 'ro-le-2'],
    env,
  );
  expect(rollout.code).toBe(ExitCodes.ok);
  let ro2: Listed['rollouts'][number] | undefined;
  const until = Date.now() + DEADLINE_MS;
  while (ro2?.status !== 'SUCCEEDED' && Date.now() < until) {
    ro2 = (await get<Listed>('/api/rollouts')).body.rollouts.find((r) => r.name === 'ro-le-2');
    if (ro2?.status !== 'SUCCEEDED') await new Promise((r) => setTimeout(r, 250));
  }
  expect(ro2).toMatchObject({ status: 'SUCCEEDED', mode: 'deploy', total: 1 });
  const two = await outcomesOf(ro2!.executionArn);
  expect(two.rollout).toMatchObject({ status: 'SUCCEEDED', done: 1, total: 1 });
  expect(two.targets).toHaveLength(1);
  expect(two.targets[0]!.outcome).not.toMatch(/PENDING|IN_PROGRESS|FAILED/);

  ui.child.kill('SIGINT');
  expect((await ui.exited).code).toBe(ExitCodes.interrupted);
});
