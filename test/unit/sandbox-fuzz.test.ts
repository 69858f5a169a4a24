/**
 * Whatever arrives, the sandbox answers in AWS's shape and never throws: junk requests get 4xx,
 * and correctly signed requests with junk parameters get a named error from the emulator, not
 * an InternalFailure (which would mean an operation trusted its input).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { Sandbox } from '../../src/sandbox/sandbox';
import { s3State } from '../../src/sandbox/services/s3';
import type { SandboxRequest } from '../../src/sandbox/types';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await Sandbox.open({ stateDir: null, scenario: 'src/sandbox/scenarios/small.yaml' });
});

const headerName = fc.constantFrom(
  'authorization',
  'x-amz-target',
  'content-type',
  'x-amz-date',
  'host',
  'x-amz-security-token',
);

test('junk requests are answered with AWS-style client errors', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH'),
      fc.string(),
      fc.dictionary(headerName, fc.string()),
      fc.uint8Array({ maxLength: 200 }),
      async (method, path, headers, body) => {
        const response = await sandbox.handle({
          method,
          hostname: 'localhost',
          path: `/${path}`,
          query: {},
          headers,
          body: Buffer.from(body),
        });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
      },
    ),
    { numRuns: 300 },
  );
});

const OPERATIONS = {
  sts: { protocol: 'query', ops: ['AssumeRole', 'GetCallerIdentity', 'Nope'] },
  sns: {
    protocol: 'query',
    ops: ['CreateTopic', 'Publish', 'ListTopics', 'GetTopicAttributes', 'DeleteTopic'],
  },
  ec2: { protocol: 'query', ops: ['DescribeRegions'] },
  organizations: {
    protocol: 'json',
    ops: [
      'DescribeOrganization',
      'ListAccounts',
      'ListRoots',
      'ListOrganizationalUnitsForParent',
      'ListAccountsForParent',
      'DescribeAccount',
      'ListParents',
    ],
  },
} as const;

async function signedRequest(
  service: string,
  headers: Record<string, string>,
  body: string,
  path = '/',
  query: Record<string, string> = {},
): Promise<SandboxRequest> {
  const signer = new SignatureV4({
    credentials: sandbox.adminCredentials,
    region: 'us-east-1',
    service,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: service === 's3' ? 'PUT' : 'POST',
      hostname: 'localhost',
      path,
      query,
      headers: { host: 'localhost', ...headers },
      body,
    }),
  );
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) lower[k.toLowerCase()] = v;
  return {
    method: signed.method,
    hostname: 'localhost',
    path: signed.path,
    query,
    headers: lower,
    body: Buffer.from(body),
  };
}

test('signed requests with junk parameters get named errors, never InternalFailure', async () => {
  const value = fc.oneof(
    fc.string(),
    fc.integer().map(String),
    fc.constant(''),
    fc.constant('arn:aws:iam::333333333333:role/StackFleetExecution'),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...(Object.keys(OPERATIONS) as Array<keyof typeof OPERATIONS>)),
      fc.nat(),
      fc.dictionary(
        fc.constantFrom(
          'RoleArn',
          'RoleSessionName',
          'DurationSeconds',
          'ExternalId',
          'Name',
          'TopicArn',
          'Message',
          'MaxResults',
          'NextToken',
          'ParentId',
          'AccountId',
          'ChildId',
          'RegionName.1',
          'AllRegions',
          'Filter.1.Name',
          'Filter.1.Value.1',
          'SourceIdentity',
        ),
        value,
      ),
      async (service, pick, params) => {
        const { protocol, ops } = OPERATIONS[service];
        const operation = ops[pick % ops.length] as string;
        const request =
          protocol === 'json'
            ? await signedRequest(
                service,
                {
                  'x-amz-target': `AWSOrganizationsV20161128.${operation}`,
                  'content-type': 'application/x-amz-json-1.1',
                },
                JSON.stringify(params),
              )
            : await signedRequest(
                service,
                { 'content-type': 'application/x-www-form-urlencoded' },
                new URLSearchParams({ Action: operation, Version: '2011-06-15', ...params }).toString(),
              );
        const response = await sandbox.handle(request);
        expect(String(response.body)).not.toContain('InternalFailure');
        expect(response.statusCode).toBeLessThan(500);
      },
    ),
    { numRuns: 300 },
  );
});

test('signed S3 requests with junk keys and bodies get named errors, never InternalFailure', async () => {
  s3State(sandbox.world).buckets['fuzz-bucket'] = {
    owner: sandbox.scenario.organization.managementAccountId,
    region: 'us-east-1',
    createdAt: 0,
    objects: {},
  };
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(
      fc.string({ minLength: 1 }),
      fc.string(),
      fc.constantFrom('', 'versioning', 'x-id=PutObject'),
      async (key, body, sub) => {
        const query: Record<string, string> =
          sub === '' ? {} : sub.includes('=') ? { 'x-id': 'PutObject' } : { versioning: '' };
        const path = sub === 'versioning' ? '/fuzz-bucket' : `/fuzz-bucket/${encodeURIComponent(key)}`;
        const request = await signedRequest('s3', {}, body, path, query);
        const response = await sandbox.handle(request);
        expect(String(response.body)).not.toContain('InternalFailure');
        expect(response.statusCode).toBeLessThan(500);
        statuses.add(response.statusCode);
      },
    ),
    { numRuns: 200 },
  );
  // Both outcomes happened: objects were stored, and junk versioning XML was refused.
  expect(statuses.has(200)).toBe(true);
  expect(statuses.has(400)).toBe(true);
});

test('keys named like Object members are plain keys, not inherited members', async () => {
  s3State(sandbox.world).buckets['proto-bucket'] = {
    owner: sandbox.scenario.organization.managementAccountId,
    region: 'us-east-1',
    createdAt: 0,
    objects: {},
  };
  expect(sandbox.world.readObject('proto-bucket', 'constructor')).toBeUndefined();
  for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const put = await sandbox.handle(
      await signedRequest('s3', {}, `body of ${key}`, `/proto-bucket/${key}`, { 'x-id': 'PutObject' }),
    );
    expect(put.statusCode).toBe(200);
    expect(sandbox.world.readObject('proto-bucket', key)?.body.toString()).toBe(`body of ${key}`);
  }
  expect(sandbox.world.readObject('proto-bucket', 'valueOf')).toBeUndefined();
  const action = await sandbox.handle(
    await signedRequest(
      'sts',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Action=constructor&Version=2011-06-15',
    ),
  );
  expect(String(action.body)).toContain('not implemented in the sandbox: STS.constructor');
});
