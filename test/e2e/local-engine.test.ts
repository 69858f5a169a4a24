import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/**
 * `stackfleet sandbox serve` as another process, and `rollout --local-engine` against it through
 * AWS_ENDPOINT_URL: the state machines run in the CLI's process in real time, every AWS call goes
 * over HTTP to the served sandbox, exactly as it would to a real organisation.
 */
const ROOT = resolve(__dirname, '..', '..');
const TSX = require.resolve('tsx/cli');
const MAIN = join(ROOT, 'src/cli/main.ts');
const PORT = 4700 + Math.floor(Math.random() * 200);
const URL = `http://127.0.0.1:${PORT}`;
const awsEnv = {
  AWS_ENDPOINT_URL: URL,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
};

let server: ChildProcess;
let serverOutput = '';

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sf-serve-'));
  server = spawn(
    process.execPath,
    [
      TSX,
      MAIN,
      'sandbox',
      'serve',
      '--port',
      String(PORT),
      '--speed',
      '10',
      '--state-dir',
      stateDir,
      '--scenario',
      join(ROOT, 'test/fixtures/cli/tiny-scenario.yaml'),
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`sandbox serve did not print its ready line: ${serverOutput}`)),
      60_000,
    );
    server.stdout?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
      if (serverOutput.includes('Sandbox ready at')) {
        clearTimeout(timer);
        ready();
      }
    });
    server.on('exit', (code) => fail(new Error(`sandbox serve exited with ${code}: ${serverOutput}`)));
  });
}, 90_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
});

describe('sandbox serve + rollout --local-engine', () => {
  it('prints a ready line naming the URL and the environment to use', () => {
    expect(serverOutput).toContain(`Sandbox ready at ${URL} (speed x10`);
    expect(serverOutput).toContain(`export AWS_ENDPOINT_URL=${URL}`);
  });

  it('answers the real SDK over HTTP, with assumed-role calls landing in the member account', async () => {
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: URL,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::888888888888:role/StackFleetExecution',
        RoleSessionName: 'e2e-check',
      }),
    );
    expect(assumed.AssumedRoleUser?.Arn).toContain('888888888888');
  });

  it('runs the state machines here, against the served sandbox, and deploys the stack there', async () => {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: URL,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'local-artifacts' }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'local-artifacts',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );

    const run = spawnSync(
      process.execPath,
      [
        TSX,
        MAIN,
        'rollout',
        '--local-engine',
        '--artifact-bucket',
        'local-artifacts',
        '--json',
        '--config',
        join(ROOT, 'test/fixtures/cli/tiny-rollout.yaml'),
      ],
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...awsEnv }, timeout: 240_000 },
    );
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.status).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.status).toBe('SUCCEEDED');
    expect(doc.counts.CREATED).toBe(1);
    expect(doc.counts.FAILED).toBe(0);
    expect(doc.targets[0]).toMatchObject({
      accountId: '888888888888',
      region: 'us-east-1',
      outcome: 'CREATED',
    });

    // The manifest, results and summary went to the artifact bucket on the served sandbox...
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: 'local-artifacts', Prefix: `rollouts/${doc.rolloutId}/` }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toContain(`rollouts/${doc.rolloutId}/targets.jsonl`);
    expect(keys).toContain(`rollouts/${doc.rolloutId}/summary.json`);
    // ...and the stack exists in the member account (seen through its own execution role).
    const assumed = await new STSClient({
      region: 'us-east-1',
      endpoint: URL,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }).send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::888888888888:role/StackFleetExecution',
        RoleSessionName: 'e2e-check',
      }),
    );
    const c = assumed.Credentials!;
    const cfn = new CloudFormationClient({
      region: 'us-east-1',
      endpoint: URL,
      credentials: {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      },
    });
    const stacks = await cfn.send(new DescribeStacksCommand({ StackName: 'stackfleet-baseline' }));
    expect(stacks.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  });

  it('refuses --local-engine without an artifact bucket (exit 2)', () => {
    const run = spawnSync(
      process.execPath,
      [TSX, MAIN, 'rollout', '--local-engine', '--config', join(ROOT, 'test/fixtures/cli/tiny-rollout.yaml')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', ...awsEnv },
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--local-engine needs --artifact-bucket');
  });
});
