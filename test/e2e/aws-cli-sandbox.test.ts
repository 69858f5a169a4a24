/**
 * The machine's AWS CLI (botocore signs differently from the JS SDK: bare `?versioning`, its own
 * multipart transfers) against `scripts/sandbox-serve.ts`, as an engineer would point it at the
 * sandbox with AWS_ENDPOINT_URL. Skipped, and says so, where no `aws` is on PATH.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const hasAwsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

const MEMBER = { AWS_ACCESS_KEY_ID: 'AKIAAUDITCLI', AWS_SECRET_ACCESS_KEY: 'audit-cli-secret' };
const SCENARIO = `
seed: 7
organization:
  id: o-clitest001
  rootId: r-cl01
  managementAccountId: "111111111111"
  ous:
    - { id: ou-cl01-security, name: Security }
  accounts:
    - { id: "111111111111", name: management }
    - { id: "222222222222", name: audit, parent: ou-cl01-security }
    - { id: "333333333333", name: app, parent: ou-cl01-security }
regions: [us-east-1, eu-west-1]
accessKeys:
  - { accessKeyId: ${MEMBER.AWS_ACCESS_KEY_ID}, secretAccessKey: ${MEMBER.AWS_SECRET_ACCESS_KEY}, accountId: "222222222222" }
durations: { default: 0, "AWS::KMS::Key": 0 }
`;
const KEY_TEMPLATE = `Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: the CLI test's artifact key
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: AccountAdministers
            Effect: Allow
            Principal: {AWS: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root'}
            Action: 'kms:*'
            Resource: '*'
Outputs:
  KeyArn: {Value: !GetAtt Key.Arn}
`;

const suite = hasAwsCli ? describe : describe.skip;
const title = hasAwsCli
  ? 'the AWS CLI against sandbox serve'
  : 'the AWS CLI against sandbox serve (skipped: no `aws` command on PATH)';

suite(title, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-awscli-'));
  let server: ChildProcess | undefined;
  let endpoint = '';

  beforeAll(async () => {
    const scenario = join(dir, 'scenario.yaml');
    writeFileSync(scenario, SCENARIO);
    const child = spawn(
      process.execPath,
      [
        '-r',
        'tsx/cjs',
        'scripts/sandbox-serve.ts',
        '--port',
        '0',
        '--state',
        join(dir, 'state'),
        '--scenario',
        scenario,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    endpoint = await new Promise<string>((ready, fail) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) ready(m[1]);
      });
      child.on('exit', (code) =>
        fail(new Error(`sandbox serve exited with ${code} before it was ready: ${out}`)),
      );
    });
  }, 90_000);

  afterAll(async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((done) => server?.on('exit', done));
    server.kill('SIGTERM');
    await exited;
  });

  /** Runs `aws ...` as the management account (test/test) unless `env` names other keys. */
  function aws(args: string[], env: Record<string, string> = {}) {
    const run = spawnSync('aws', [...args, '--output', 'json'], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        AWS_CONFIG_FILE: join(dir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: endpoint,
        AWS_PAGER: '',
        ...env,
      },
      timeout: 60_000,
    });
    const json = () => JSON.parse(run.stdout) as Record<string, unknown>;
    return { code: run.status, stdout: run.stdout, stderr: run.stderr, json };
  }

  function ok(args: string[], env?: Record<string, string>) {
    const run = aws(args, env);
    if (run.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
    return run;
  }

  test('sts get-caller-identity names the account of the signing key', () => {
    expect(ok(['sts', 'get-caller-identity']).json().Account).toBe('111111111111');
    expect(ok(['sts', 'get-caller-identity'], MEMBER).json().Account).toBe('222222222222');
  });

  test('s3api get-bucket-versioning and get-bucket-location: bare ?versioning and ?location verify', () => {
    ok(['s3api', 'create-bucket', '--bucket', 'cli-versioned']);
    // A bucket that never had versioning answers an empty configuration, which the CLI prints as nothing.
    expect(ok(['s3api', 'get-bucket-versioning', '--bucket', 'cli-versioned']).stdout.trim()).toBe('');
    ok([
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'cli-versioned',
      '--versioning-configuration',
      'Status=Enabled',
    ]);
    expect(ok(['s3api', 'get-bucket-versioning', '--bucket', 'cli-versioned']).json().Status).toBe('Enabled');
    expect(
      ok(['s3api', 'get-bucket-location', '--bucket', 'cli-versioned']).json().LocationConstraint,
    ).toBeNull();
  });

  test('s3api create-multipart-upload, upload-part, complete-multipart-upload', () => {
    ok(['s3api', 'create-bucket', '--bucket', 'cli-multipart']);
    writeFileSync(join(dir, 'part1.bin'), Buffer.alloc(5 * 1024 * 1024, 'p'));
    writeFileSync(join(dir, 'part2.bin'), 'and the small last part');
    const uploadId = String(
      ok(['s3api', 'create-multipart-upload', '--bucket', 'cli-multipart', '--key', 'joined.bin']).json()
        .UploadId,
    );
    const parts = ['part1.bin', 'part2.bin'].map((file, i) => ({
      PartNumber: i + 1,
      ETag: String(
        ok([
          's3api',
          'upload-part',
          '--bucket',
          'cli-multipart',
          '--key',
          'joined.bin',
          '--upload-id',
          uploadId,
          '--part-number',
          String(i + 1),
          '--body',
          file,
        ]).json().ETag,
      ),
    }));
    writeFileSync(join(dir, 'parts.json'), JSON.stringify({ Parts: parts }));
    const done = ok([
      's3api',
      'complete-multipart-upload',
      '--bucket',
      'cli-multipart',
      '--key',
      'joined.bin',
      '--upload-id',
      uploadId,
      '--multipart-upload',
      'file://parts.json',
    ]).json();
    expect(String(done.ETag)).toMatch(/^"[0-9a-f]{32}-2"$/);
    const head = ok(['s3api', 'head-object', '--bucket', 'cli-multipart', '--key', 'joined.bin']).json();
    expect(head.ContentLength).toBe(5 * 1024 * 1024 + 'and the small last part'.length);
  });

  test('aws s3 cp of a file over 8 MB goes up in parts and comes back byte for byte', () => {
    ok(['s3api', 'create-bucket', '--bucket', 'cli-transfer']);
    const data = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    writeFileSync(join(dir, 'big.bin'), data);
    ok(['s3', 'cp', 'big.bin', 's3://cli-transfer/big.bin', '--only-show-errors']);
    const head = ok(['s3api', 'head-object', '--bucket', 'cli-transfer', '--key', 'big.bin']).json();
    expect(String(head.ETag)).toMatch(/-\d+"$/);
    ok(['s3', 'cp', 's3://cli-transfer/big.bin', 'back.bin', '--only-show-errors']);
    expect(readFileSync(join(dir, 'back.bin')).equals(data)).toBe(true);
  });

  /**
   * Deploys a KMS key with the sandbox's CloudFormation through the CLI (the sandbox has no KMS
   * API) and answers its ARN: S3 uses only keys that exist, as the caller (S3 User Guide,
   * UsingKMSEncryption). The key policy is KMS's default: the account's IAM policies decide.
   */
  function deployKey(stackName: string): string {
    writeFileSync(join(dir, 'key.yaml'), KEY_TEMPLATE);
    ok(['cloudformation', 'create-stack', '--stack-name', stackName, '--template-body', 'file://key.yaml']);
    // The scenario gives resources no duration: the stack settles within a few requests.
    for (let attempt = 0; attempt < 10; attempt++) {
      const stack = (
        ok(['cloudformation', 'describe-stacks', '--stack-name', stackName]).json().Stacks as
          | Array<{ StackStatus: string; Outputs?: Array<{ OutputKey: string; OutputValue: string }> }>
          | undefined
      )?.[0];
      if (stack?.StackStatus === 'CREATE_COMPLETE') {
        const arn = stack.Outputs?.find((o) => o.OutputKey === 'KeyArn')?.OutputValue;
        if (!arn) throw new Error(`stack ${stackName} has no KeyArn output`);
        return arn;
      }
      if (stack && stack.StackStatus !== 'CREATE_IN_PROGRESS')
        throw new Error(`stack ${stackName} ended ${stack.StackStatus}`);
    }
    throw new Error(`stack ${stackName} did not finish in 10 describe-stacks calls`);
  }

  test('put-object and head-object on an SSE-KMS bucket: the ETag is not the MD5 of the file', () => {
    const key = deployKey('cli-kms-key');
    expect(key).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]{36}$/);
    ok(['s3api', 'create-bucket', '--bucket', 'cli-kms']);
    ok([
      's3api',
      'put-bucket-encryption',
      '--bucket',
      'cli-kms',
      '--server-side-encryption-configuration',
      JSON.stringify({
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
            BucketKeyEnabled: true,
          },
        ],
      }),
    ]);
    writeFileSync(join(dir, 'template.yaml'), 'Resources: {}\n');
    const put = ok([
      's3api',
      'put-object',
      '--bucket',
      'cli-kms',
      '--key',
      'template.yaml',
      '--body',
      'template.yaml',
    ]).json();
    const head = ok(['s3api', 'head-object', '--bucket', 'cli-kms', '--key', 'template.yaml']).json();
    const md5 = `"${createHash('md5').update('Resources: {}\n').digest('hex')}"`;
    expect(head).toMatchObject({
      ETag: put.ETag,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: key,
      BucketKeyEnabled: true,
    });
    expect(head.ETag).not.toBe(md5);
  });

  test('organizations: a member describes the organisation, lists accounts only once registered as delegated administrator', () => {
    expect(ok(['organizations', 'describe-organization'], MEMBER).json().Organization).toMatchObject({
      Id: 'o-clitest001',
      MasterAccountId: '111111111111',
    });
    const refused = aws(['organizations', 'list-accounts'], MEMBER);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "An error occurred (AccessDeniedException) when calling the ListAccounts operation: You don't have permissions to access this resource.",
    );
    const principal = 'member.org.stacksets.cloudformation.amazonaws.com';
    ok(['organizations', 'enable-aws-service-access', '--service-principal', principal]);
    ok([
      'organizations',
      'register-delegated-administrator',
      '--account-id',
      '222222222222',
      '--service-principal',
      principal,
    ]);
    const accounts = ok(['organizations', 'list-accounts'], MEMBER).json().Accounts as Array<{ Id: string }>;
    expect(accounts.map((a) => a.Id).sort()).toEqual(['111111111111', '222222222222', '333333333333']);
  });
});
