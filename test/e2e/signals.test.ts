/**
 * Signals and kills as an operator sends them to `bin/stackfleet.js`: SIGINT in the middle of a
 * sandbox rollout exits 130 with the world (and its scenario) saved whole; SIGTERM stops
 * `sandbox serve` and `ui` with 143 and frees their ports (no child left behind); a served
 * sandbox killed with -9 comes back with every PutObject it acknowledged.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { EngineStore } from '../../src/engine/types';
import { Sandbox } from '../../src/sandbox/sandbox';
import { s3State } from '../../src/sandbox/services/s3';
import {
  liveCliFile,
  portIsFree,
  ROOT,
  runToEnd,
  sandboxRollout,
  snapshotFolder,
  startCli,
  startHeldRollout,
} from '../helpers/cli-live';
import { tinyBaselineStacks } from '../helpers/sandbox-state';

const work = liveCliFile('sf-e2e-signals-');
const TINY_ROLLOUT = join(ROOT, 'test/fixtures/cli/tiny-rollout.yaml');

/** The ids of the member's baseline stacks. */
const baselineStacks = (sandbox: Sandbox): string[] => tinyBaselineStacks(sandbox).map((s) => s.stackId);

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** `sandbox serve` on a new folder, with a versioned bucket `acked` made through it. */
async function serveWithVersionedBucket(stateDir: string, env: Record<string, string> = {}) {
  const serve = startCli(['sandbox', 'serve', '--port', '0', '--state-dir', stateDir], env);
  const url = (await serve.waitFor(/Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  const s3 = new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'acked' }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: 'acked', VersioningConfiguration: { Status: 'Enabled' } }),
  );
  return { serve, url, s3 };
}

describe('SIGINT during a sandbox rollout', () => {
  const stateDir = join(work, 'interrupted');

  it('exits 130 and saves the world as it stood, scenario included; running it again converges', async () => {
    // Its clock stops mid-way, so the signal finds it running whatever the machine's speed.
    const run = await startHeldRollout(stateDir, TINY_ROLLOUT, 6);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
    await run.waitFor(/stopped by SIGINT; the sandbox world was saved as it stood/);

    const saved = await Sandbox.open({ stateDir, access: 'read' });
    expect(saved.scenario.organization.managementAccountId).toBe('999999999999');
    const executions = Object.values((saved.world.state.stepfunctions as EngineStore).executions);
    expect(executions.length).toBeGreaterThan(0);
    const stacksBefore = baselineStacks(saved);
    expect(stacksBefore).toHaveLength(1);
    await saved.close();

    // No --scenario: the saved tiny organisation is in force; the interrupted stack is not made again.
    const again = await runToEnd(sandboxRollout(stateDir, TINY_ROLLOUT));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      /the sandbox \(2 accounts, scenario \S+tiny-scenario\.yaml, kept with the saved world/,
    );
    expect(again.stdout).toMatch(/NO_CHANGE\s+1/);
    expect(again.stdout).not.toMatch(/CREATED/);
    const after = await Sandbox.open({ stateDir, access: 'read' });
    expect(baselineStacks(after)).toEqual(stacksBefore);
    await after.close();
  });
});

describe('SIGTERM stops long-running commands', () => {
  it('sandbox serve exits 143, saves, and frees its port', async () => {
    const stateDir = join(work, 'served');
    const serve = startCli(['sandbox', 'serve', '--port', '0', '--state-dir', stateDir]);
    const port = Number((await serve.waitFor(/Sandbox ready at http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    expect(await portIsFree(port)).toBe(false);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(143);
    expect(await portIsFree(port)).toBe(true);
    await serve.waitFor(/Sandbox stopped \(SIGTERM\); state saved\./);
  });

  it('ui exits 143, frees its port, and writes nothing to the state folder', async () => {
    const stateDir = join(work, 'interrupted');
    const before = snapshotFolder(stateDir);
    const ui = startCli(['ui', '--sandbox', '--port', '0', '--state-dir', stateDir]);
    const port = Number((await ui.waitFor(/http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    expect(await portIsFree(port)).toBe(false);
    ui.child.kill('SIGTERM');
    expect((await ui.exited).code).toBe(143);
    expect(await portIsFree(port)).toBe(true);
    expect(snapshotFolder(stateDir)).toEqual(before);
  });
});

describe('sandbox serve killed with -9', () => {
  it('comes back with every PutObject it acknowledged, as acknowledged', async () => {
    const stateDir = join(work, 'killed-serve');
    const { serve: first, url, s3 } = await serveWithVersionedBucket(stateDir);
    const acknowledged = new Map<string, string>();
    const N = 200;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          const key = `k${String(next++).padStart(4, '0')}`;
          const put = await s3.send(
            new PutObjectCommand({ Bucket: 'acked', Key: key, Body: `body of ${key}` }),
          );
          acknowledged.set(key, put.VersionId as string);
        }
      }),
    );
    // The machine's AWS CLI (Python, v1) is another client whose acknowledged put must survive too.
    const aws = spawnSync('aws', ['--version'], { encoding: 'utf8' });
    if (aws.status === 0) {
      const body = join(work, 'aws-body.txt');
      writeFileSync(body, 'put by the aws cli');
      const put = spawnSync(
        'aws',
        [
          's3api',
          'put-object',
          '--bucket',
          'acked',
          '--key',
          'by-aws-cli',
          '--body',
          body,
          '--endpoint-url',
          url,
          '--output',
          'json',
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH ?? '',
            HOME: work,
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: 'us-east-1',
          },
        },
      );
      expect(put.stderr).toBe('');
      acknowledged.set('by-aws-cli', JSON.parse(put.stdout).VersionId);
    } else {
      console.warn(
        '`aws` is not on PATH: the AWS CLI part of this test is skipped (the SDK puts still run).',
      );
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await portIsFree(Number(new URL(url).port))).toBe(true);
    s3.destroy();

    const second = startCli(['sandbox', 'serve', '--port', '0', '--state-dir', stateDir]);
    const again = (await second.waitFor(/Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    const replayed = Number((await second.waitFor(/Replayed (\d+) acknowledged calls/))[1]);
    expect(replayed).toBeGreaterThanOrEqual(N);
    const s3again = new S3Client({ region: 'us-east-1', endpoint: again, forcePathStyle: true, credentials });
    const found = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await s3again.send(
        new ListObjectsV2Command({ Bucket: 'acked', ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const head = await s3again.send(new HeadObjectCommand({ Bucket: 'acked', Key: o.Key }));
        found.set(o.Key as string, head.VersionId as string);
      }
      token = page.NextContinuationToken;
    } while (token);
    expect(found).toEqual(acknowledged);
    const one = await s3again.send(new GetObjectCommand({ Bucket: 'acked', Key: 'k0007' }));
    expect(await one.Body?.transformToString()).toBe('body of k0007');
    s3again.destroy();
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(143);
  });

  it('killed while a checkpoint is written, comes back with each acknowledged write applied once', async () => {
    const stateDir = join(work, 'killed-in-checkpoint');
    // The second save (the checkpoint a Step Functions call asks for) stops before it is current.
    const { serve, url, s3 } = await serveWithVersionedBucket(stateDir, {
      STACKFLEET_SANDBOX_FAULT: 'pause-before-switch:2',
    });
    const before = await s3.send(new PutObjectCommand({ Bucket: 'acked', Key: 'before', Body: 'one' }));
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
    const pending = sfn
      .send(
        new CreateStateMachineCommand({
          name: 'never-answered',
          definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
          roleArn: 'arn:aws:iam::111122223333:role/any',
        }),
      )
      .catch(() => undefined);
    await serve.waitFor(/paused before switching generations/);
    // Journaled after the snapshot, in the next generation's journal, and acknowledged.
    const after = await s3.send(new PutObjectCommand({ Bucket: 'acked', Key: 'after', Body: 'two' }));
    serve.child.kill('SIGKILL');
    await serve.exited;
    await pending;
    s3.destroy();
    sfn.destroy();

    const versions = async () => {
      const world = await Sandbox.open({ stateDir, access: 'read' });
      const objects = s3State(world.world).buckets.acked?.objects ?? {};
      await world.close();
      return {
        before: objects.before?.map((v) => v.versionId),
        after: objects.after?.map((v) => v.versionId),
      };
    };
    expect(await versions()).toEqual({ before: [before.VersionId], after: [after.VersionId] });
    // A writer folds both journals into its generation; nothing is applied twice afterwards.
    const writer = await Sandbox.open({ stateDir });
    await writer.save();
    await writer.close();
    expect(await versions()).toEqual({ before: [before.VersionId], after: [after.VersionId] });
    expect(existsSync(join(stateDir, 'journal')) ? readdirSync(join(stateDir, 'journal')) : []).toEqual([]);
  });
});
