import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ExitCodes } from '../../src/cli/exit-codes';
import type { RolloutListItemWire, RolloutWire } from '../../src/ui/wire';
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
 * Watching and steering rollouts from more than one terminal (issue 18), against `sandbox serve`
 * as any other AWS-compatible endpoint: every command runs with --aws and AWS_ENDPOINT_URL, so
 * the served engine runs the rollouts and each command is its own process reading the Step
 * Functions API, as it would read AWS.
 */
jest.setTimeout(TEST_TIMEOUT_MS);

const TINY_CONFIG = join(ROOT, 'test/fixtures/cli/tiny-rollout.yaml');
const WATCH_SCENARIO = join(ROOT, 'test/fixtures/cli/watch-scenario.yaml');

interface Served {
  server: LiveCli;
  env: Record<string, string>;
}

async function serve(args: string[]): Promise<Served> {
  const server = startCli([
    'sandbox',
    'serve',
    '--port',
    '0',
    '--state-dir',
    mkdtempSync(join(tmpdir(), 'sf-watch-')),
    ...args,
  ]);
  const [, url] = await server.waitFor(/Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/);
  return {
    server,
    env: {
      AWS_ENDPOINT_URL: url as string,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    },
  };
}

async function stopServer(s: Served | undefined): Promise<void> {
  if (!s) return;
  s.server.child.kill('SIGTERM');
  await s.server.closed;
}

/** Polls `status --json` (a condition with a deadline, never a fixed sleep) until `done` holds. */
async function untilStatus(
  env: Record<string, string>,
  rolloutId: string,
  done: (doc: { status: string; progress?: { running: number; phase: string } }) => boolean,
) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const run = await runToEnd(['status', rolloutId, '--aws', '--json'], env);
    if (run.code === ExitCodes.ok || run.code === ExitCodes.rolloutFailed) {
      const doc = JSON.parse(run.stdout);
      if (done(doc)) return doc;
    }
    if (Date.now() > deadline)
      throw new Error(`status of ${rolloutId} never matched; last: ${run.stdout}${run.stderr}`);
  }
}

afterAll(stopAll);

describe('a served sandbox (tiny organisation, a ten-minute trail, --speed 10)', () => {
  let served: Served | undefined;
  beforeAll(async () => {
    served = await serve(['--speed', '10', '--scenario', WATCH_SCENARIO]);
  });
  afterAll(() => stopServer(served));

  it('list says there are no rollouts yet, then lists each with mode, status, counts, start and duration', async () => {
    const env = served!.env;
    const empty = await runToEnd(['list', '--aws'], env);
    expect(empty.code).toBe(ExitCodes.ok);
    expect(empty.stdout).toContain('No rollouts yet');

    // A preview changes nothing and finishes without waiting on the trail.
    const previewed = await runToEnd(
      ['preview', '--aws', '--config', TINY_CONFIG, '--rollout-id', 'ro-list-1'],
      env,
    );
    expect(previewed.code).toBe(ExitCodes.ok);

    const listed = await runToEnd(['list', '--aws'], env);
    expect(listed.code).toBe(ExitCodes.ok);
    expect(listed.stdout).toMatch(/^ROLLOUT\s+MODE\s+STATUS\s+TARGETS\s+STARTED\s+DURATION\s+OUTCOMES$/m);
    expect(listed.stdout).toMatch(
      /^ro-list-1\s+preview\s+SUCCEEDED\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\S+\s+CHANGES 1$/m,
    );

    const json = JSON.parse((await runToEnd(['list', '--aws', '--json'], env)).stdout);
    expect(json.rollouts[0]).toMatchObject({
      rolloutId: 'ro-list-1',
      mode: 'preview',
      status: 'SUCCEEDED',
      targets: 1,
      counts: { CHANGES: 1 },
    });
    expect(json.rollouts[0].durationSeconds).toBeGreaterThan(0);
  });

  it('status --follow from a second process shows the live view of a running rollout, then its summary', async () => {
    const env = served!.env;
    const started = await runToEnd(
      ['rollout', '--aws', '--config', TINY_CONFIG, '--rollout-id', 'ro-follow-1', '--no-follow'],
      env,
    );
    expect(started.code).toBe(ExitCodes.ok);
    expect(started.stdout.trim()).toMatch(/:execution:[^:]+:ro-follow-1$/);
    // The rollout goes on without the process that started it.
    await untilStatus(env, 'ro-follow-1', (d) => d.status === 'RUNNING' && (d.progress?.running ?? 0) > 0);

    const follower = await runToEnd(['status', 'ro-follow-1', '--follow', '--aws'], env);
    expect(follower.code).toBe(ExitCodes.ok);
    expect(follower.stderr).toContain('Following ro-follow-1');
    // A live line while the target deploys, then the last one with the summary's counts.
    expect(follower.stderr).toMatch(/0\/1 done, 1 running \| .*deploying/);
    expect(follower.stderr).toMatch(/1\/1 done, 0 running \| CREATED 1 \| SUCCEEDED/);
    expect(follower.stdout).toContain('Rollout ro-follow-1 (deploy): SUCCEEDED — 1 target in');
    expect(follower.stdout).toMatch(/CREATED\s+1/);
  });

  it('stop mid-rollout stops the rollout and its running target; the summary says STOPPED and by whom', async () => {
    const env = served!.env;
    // An update of the trail would be quick: a new stack name makes a new ten-minute trail. The
    // rollout is followed in its own terminal; another one stops it.
    const rollout = startCli(
      [
        'rollout',
        '--aws',
        '--config',
        TINY_CONFIG,
        '--stack-name',
        'stackfleet-baseline-stop',
        '--rollout-id',
        'ro-stop-1',
      ],
      env,
    );
    await rollout.waitFor(/0\/1 done, 1 running/);

    const stopped = await runToEnd(['stop', 'ro-stop-1', '--aws', '--reason', 'wrong template'], env);
    expect(stopped.code).toBe(ExitCodes.ok);
    expect(stopped.stdout).toContain(
      'Rollout ro-stop-1: STOPPED by arn:aws:iam::999999999999:root: wrong template',
    );
    // The target was waiting on its stack: the operation is left to CloudFormation, and said so.
    expect(stopped.stdout).toContain('1 target execution stopped');
    expect(stopped.stdout).toMatch(
      /888888888888\/us-east-1 \(was at "(Wait for stack|Check stack|Stack settled\?)"\)/,
    );

    // Its target execution ended ABORTED (read with the SDK, as the console would show it).
    const sfn = new SFNClient({
      region: 'us-east-1',
      endpoint: env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    const deployTarget = machines.stateMachines?.find((m) => m.name?.includes('DeployTarget'));
    const children = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: deployTarget!.stateMachineArn }),
    );
    const child = children.executions?.find((e) => e.name === '888888888888-us-east-1-ro-stop-1');
    expect(child?.status).toBe('ABORTED');

    // The terminal that was following it ends with the same verdict.
    expect((await rollout.exited).code).toBe(ExitCodes.rolloutFailed);
    await rollout.closed;
    expect(rollout.output().stderr).toMatch(/\/1 done, 0 running.* \| STOPPED \d/);
    expect(rollout.output().stdout).toContain('Rollout ro-stop-1 (deploy): STOPPED');
    expect(rollout.output().stdout).toContain('Stopped by arn:aws:iam::999999999999:root: wrong template');

    const status = await runToEnd(['status', 'ro-stop-1', '--aws'], env);
    expect(status.code).toBe(ExitCodes.rolloutFailed);
    expect(status.stdout).toContain('Rollout ro-stop-1 (deploy): STOPPED');
    expect(status.stdout).toContain('Stopped by arn:aws:iam::999999999999:root: wrong template');
    const listed = await runToEnd(['list', '--aws'], env);
    expect(listed.stdout).toMatch(/^ro-stop-1\s+deploy\s+STOPPED\s+1\s/m);

    // Stopping it again changes nothing and says so.
    const again = await runToEnd(['stop', 'ro-stop-1', '--aws'], env);
    expect(again.code).toBe(ExitCodes.ok);
    expect(again.stdout).toContain('already ended (STOPPED)');
  });

  it('stop and status name a rollout that does not exist (exit 2)', async () => {
    const run = await runToEnd(['stop', 'ro-nope', '--aws'], served!.env);
    expect(run.code).toBe(ExitCodes.badInput);
    expect(run.stderr).toContain('no rollout named "ro-nope"');
  });

  it("ui --aws serves the served sandbox's rollouts with their targets, and refuses a foreign execution", async () => {
    const ui = startCli(['ui', '--aws'], served!.env);
    const [, url] = await ui.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/)\n/);
    const get = async <T>(p: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(new URL(p, url));
      return { status: res.status, body: (await res.json()) as T };
    };
    const listed = await get<{ rollouts: RolloutListItemWire[] }>('/api/rollouts');
    expect(listed.status).toBe(200);
    const preview = listed.body.rollouts.find((r) => r.name === 'ro-list-1');
    expect(preview).toMatchObject({ status: 'SUCCEEDED', mode: 'preview', counts: { CHANGES: 1 } });
    const stop = listed.body.rollouts.find((r) => r.name === 'ro-stop-1');
    // STOPPED, as `stackfleet list` says, and counted from its map run (it ended before Summarize).
    expect(stop).toMatchObject({ status: 'STOPPED', mode: 'deploy', total: 1 });

    const rollout = await get<RolloutWire>(`/api/rollout?arn=${encodeURIComponent(stop!.executionArn)}`);
    expect(rollout.status).toBe(200);
    // Who stopped it and why, as the CLI's summary says; its target ABORTED (stopped), not FAILED.
    expect(rollout.body.rollout).toMatchObject({ status: 'STOPPED', error: 'StackFleet.RolloutStopped' });
    expect(rollout.body.rollout.cause).toContain('Stopped by arn:aws:iam::999999999999:root');
    const t = rollout.body.targets;
    expect(
      t.rows.map((r) => ({ account: t.accounts[r[0]], region: t.regions[r[1]], outcome: t.outcomes[r[2]] })),
    ).toEqual([{ account: '888888888888', region: 'us-east-1', outcome: 'ABORTED' }]);

    // Another workload's execution in the same account is refused before anything reads it.
    const foreign = await get<{ error: string }>(
      `/api/target?arn=${encodeURIComponent('arn:aws:states:us-east-1:999999999999:execution:payroll-export:run-1')}`,
    );
    expect(foreign.status).toBe(403);

    ui.child.kill('SIGINT');
    expect((await ui.exited).code).toBe(ExitCodes.interrupted);
  });
});

describe('a served sandbox at --speed 60 (the demo organisation)', () => {
  let served: Served | undefined;
  beforeAll(async () => {
    served = await serve(['--speed', '60']);
  });
  afterAll(() => stopServer(served));

  it('completes the demo rollout: no ExpiredToken, every target accounted for as in the summary', async () => {
    const run = await runToEnd(
      ['rollout', '--aws', '--config', join(ROOT, 'examples/rollout.yaml')],
      served!.env,
    );
    expect(run.stderr).not.toMatch(/ExpiredToken|internal error/);
    // On failure the output's end says why.
    expect({
      code: run.code,
      end: run.code === 0 ? '' : `${run.stdout}\n${run.stderr.slice(-3000)}`,
    }).toEqual({
      code: ExitCodes.ok,
      end: '',
    });
    expect(run.stdout).toMatch(/\(deploy\): SUCCEEDED — 145 targets, 4 stacks in/);
    // The demo is a graph of stacks: the live line counts lanes (map items) from the first line to
    // the last, says so, and names the skipped targets apart; at the end all lanes are done.
    const totals = [...run.stderr.matchAll(/(\d+)\/(\d+) lanes done, (\d+) running/g)];
    expect(totals.length).toBeGreaterThan(1);
    expect(new Set(totals.map((m) => m[2])).size).toBe(1);
    const last =
      /(\d+)\/(\d+) lanes done, 0 running, \d+ failed \| .* \| 25 targets skipped \| SUCCEEDED/.exec(
        run.stderr,
      );
    expect(last?.[1]).toBeDefined();
    expect(last?.[1]).toBe(last?.[2]);
    expect(run.stderr).not.toMatch(/\d+\/\d+ done,/);
  });
});

describe('--no-follow on the built-in sandbox', () => {
  it('draws no live view and prints only the execution ARN; the rollout ran in that process and status reads it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sf-nofollow-'));
    const args = ['--state-dir', stateDir, '--scenario', join(ROOT, 'test/fixtures/cli/tiny-scenario.yaml')];
    const run = await runToEnd([
      'rollout',
      '--config',
      TINY_CONFIG,
      '--rollout-id',
      'ro-nf-1',
      '--no-follow',
      ...args,
    ]);
    expect(run.code).toBe(ExitCodes.ok);
    expect(run.stdout.trim()).toMatch(/^arn:aws:states:us-east-1:999999999999:execution:[^:\s]+:ro-nf-1$/);
    expect(run.stderr).not.toMatch(/\[[#-]{24}\]/);
    expect(run.stderr).toContain('The sandbox ran ro-nf-1 to its end in this process (simulated time)');
    const status = await runToEnd(['status', 'ro-nf-1', ...args]);
    expect(status.code).toBe(ExitCodes.ok);
    expect(status.stdout).toContain('Rollout ro-nf-1 (deploy): SUCCEEDED — 1 target in');
  });
});
