import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/**
 * `stackfleet sandbox serve` as another process, and `rollout --local-engine` against it through
 * AWS_ENDPOINT_URL: the state machines run in the CLI's process in real time, every AWS call goes
 * over HTTP to the served sandbox, exactly as it would to a real organisation. The served sandbox
 * is prepared as AWS is after docs/real-aws.md (members bootstrapped, the admin stack deployed),
 * and the local engine invokes the admin stack's functions there through Lambda, so each runs as
 * its own role: the only principals the members' execution role trusts.
 */
const ROOT = resolve(__dirname, '..', '..');
const TSX = require.resolve('tsx/cli');
const MAIN = join(ROOT, 'src/cli/main.ts');
const PORT = 4700 + Math.floor(Math.random() * 200);
const URL = `http://127.0.0.1:${PORT}`;
const ADMIN = '999999999999';
const MEMBER = '888888888888';
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
    // Before it listens it synthesizes the CDK app (not cached on a fresh checkout) and deploys it.
    const timer = setTimeout(
      () => fail(new Error(`sandbox serve did not print its ready line: ${serverOutput}`)),
      150_000,
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
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
});

/**
 * Credentials in the member account through the role Organizations created there (trusted by the
 * management account's root, unlike the execution role, which trusts only the admin functions).
 */
async function memberCredentials() {
  const assumed = await new STSClient({
    region: 'us-east-1',
    endpoint: URL,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  }).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'e2e-check',
    }),
  );
  return assumed;
}

/**
 * What the artifact bucket must allow, as the admin stack's bucket does (infra/lib/artifact-store.ts):
 * the admin functions' roles (under /stackfleet/) read templates and write manifests and summaries,
 * and CloudFormation in the members reads templates with the execution role's credentials.
 */
function artifactBucketPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AdminFunctions',
        Effect: 'Allow',
        Principal: '*',
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ADMIN}:role/stackfleet/*` } },
      },
      {
        Sid: 'ExecutionRolesReadTemplates',
        Effect: 'Allow',
        Principal: '*',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: `arn:aws:s3:::${bucket}/templates/*`,
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': 'o-tiny000001' },
          ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleetExecution' },
        },
      },
    ],
  });
}

describe('sandbox serve + rollout --local-engine', () => {
  it('prints a ready line naming the URL and the environment to use', () => {
    expect(serverOutput).toContain(`Sandbox ready at ${URL} (speed x10`);
    expect(serverOutput).toContain(`export AWS_ENDPOINT_URL=${URL}`);
    // Prepared as AWS is after docs/real-aws.md: the admin stack is there, with its bucket.
    expect(serverOutput).toMatch(/admin stack deployed in us-east-1: artifact bucket stackfleetadmin-\S+\n/);
  });

  it('answers the real SDK over HTTP, with assumed-role calls landing in the member account', async () => {
    const assumed = await memberCredentials();
    expect(assumed.AssumedRoleUser?.Arn).toContain(MEMBER);
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
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'local-artifacts',
        Policy: artifactBucketPolicy('local-artifacts'),
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
      accountId: MEMBER,
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
    // ...and the stack exists in the member account (seen through the role Organizations made there).
    const c = (await memberCredentials()).Credentials!;
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
  }, 240_000);

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
