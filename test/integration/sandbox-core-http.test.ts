/**
 * The sandbox as a server for other processes: bad input gets AWS-style answers and never
 * takes the server down, and `scripts/sandbox-serve.ts` serves a world whose clock runs K times
 * faster and is saved when it stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ORGANIZATION_ACCESS_ROLE } from '../../src/sandbox/admin/bootstrap';
import { Sandbox } from '../../src/sandbox/sandbox';

let sandbox: Sandbox;
let server: { url: string; close(): Promise<void> };
let port: number;

beforeAll(async () => {
  sandbox = await Sandbox.open({ stateDir: null });
  server = await sandbox.listen(0);
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function signed(service: string, headers: Record<string, string>, body: string) {
  const signer = new SignatureV4({
    credentials: sandbox.adminCredentials,
    region: 'us-east-1',
    service,
    sha256: Sha256,
  });
  const req = new HttpRequest({
    method: 'POST',
    hostname: '127.0.0.1',
    port,
    path: '/',
    headers: { host: `127.0.0.1:${port}`, ...headers },
    body,
  });
  return (await signer.sign(req)).headers;
}

async function stillServes(): Promise<void> {
  const sts = new STSClient({
    region: 'us-east-1',
    credentials: sandbox.adminCredentials,
    endpoint: server.url,
  });
  expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(
    sandbox.scenario.organization.managementAccountId,
  );
}

test('unsigned, half-signed and non-HTTP input get AWS-style errors and the server keeps serving', async () => {
  const unsigned = await send(
    'POST',
    '/',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'Action=GetCallerIdentity',
  );
  expect(unsigned.status).toBe(403);
  expect(unsigned.body).toContain('<Code>MissingAuthenticationToken</Code>');

  const garbageAuth = await send('POST', '/', { authorization: 'AWS4-HMAC-SHA256 nonsense' }, 'x');
  expect(garbageAuth.status).toBe(403);
  expect(garbageAuth.body).toContain('IncompleteSignature');

  const badUri = await send('GET', '/bucket/%E0%A4%A', {});
  expect(badUri.status).toBeGreaterThanOrEqual(400);

  await new Promise<void>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
    socket.on('data', (d) => expect(d.toString()).toContain('400 Bad Request'));
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  await stillServes();
});

test('a correctly signed request with a broken body is refused the way the protocol says', async () => {
  const headers = await signed(
    'organizations',
    { 'x-amz-target': 'AWSOrganizationsV20161128.ListRoots', 'content-type': 'application/x-amz-json-1.1' },
    '{not json',
  );
  const res = await send('POST', '/', headers as Record<string, string>, '{not json');
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body).__type).toBe('SerializationException');

  const sqs = await signed('sqs', { 'content-type': 'application/json' }, '{}');
  const unknownService = await send('POST', '/', sqs as Record<string, string>, '{}');
  expect(unknownService.body).toContain('not implemented in the sandbox: sqs');

  const noAction = await signed(
    'sts',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'Version=2011-06-15',
  );
  const missing = await send('POST', '/', noAction as Record<string, string>, 'Version=2011-06-15');
  expect(missing.body).toContain('<Code>MissingAction</Code>');
  await stillServes();
});

describe('scripts/sandbox-serve.ts', () => {
  let child: ChildProcess | undefined;
  afterEach(() => child?.kill('SIGKILL'));

  test('serves on the port it prints, runs its clock K times faster, and saves state when stopped', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sf-serve-'));
    child = spawn(
      process.execPath,
      ['-r', 'tsx/cjs', 'scripts/sandbox-serve.ts', '--port', '0', '--speed', '600', '--state', stateDir],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const proc = child;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      proc.on('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready: ${out}`)));
    });
    const admin = new STSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      endpoint: url,
    });
    const member = sandbox.scenario.organization.accounts[1]?.id;
    // The management root reaches a member through the role Organizations made there.
    const out = await admin.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${member}:role/${ORGANIZATION_ACCESS_ROLE}`,
        RoleSessionName: 'serve-test',
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials;
    const session = new STSClient({
      region: 'us-east-1',
      credentials: {
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken ?? '',
      },
      endpoint: url,
    });
    expect((await session.send(new GetCallerIdentityCommand({}))).Account).toBe(member);
    // 15 virtual minutes pass in 1.5 real seconds at speed 600.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await expect(session.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'ExpiredToken',
    });

    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
    expect(existsSync(join(stateDir, 'stackfleet-sandbox.json'))).toBe(true);
  }, 90_000);

  test('refuses a bad flag by name', async () => {
    const proc = spawn(process.execPath, ['-r', 'tsx/cjs', 'scripts/sandbox-serve.ts', '--speed', 'fast'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--speed must be a number above 0 and at most 100000. Received: fast');
  }, 60_000);
});
