/**
 * The sandbox's SigV4 check must agree with the SDK's own signer on every request shape it sees,
 * or real clients would be refused; and it must refuse a request signed with another secret.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { computeSignature, formatAmzDate, parseAmzDate, parseAuthorization } from '../../src/sandbox/sigv4';
import type { SandboxRequest } from '../../src/sandbox/types';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'sandbox-only-secret/with+odd=chars',
};

async function signWithSdk(request: HttpRequest, service: string, uriEscapePath = true) {
  const signer = new SignatureV4({
    credentials,
    region: 'eu-west-1',
    service,
    sha256: Sha256,
    uriEscapePath,
  });
  const signed = (await signer.sign(request, {
    signingDate: new Date(Date.UTC(2026, 10, 27, 12, 0, 0)),
  })) as HttpRequest;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  const body = signed.body === undefined ? Buffer.alloc(0) : Buffer.from(signed.body as string);
  const sandboxRequest: SandboxRequest = {
    method: signed.method,
    hostname: signed.hostname,
    path: signed.path,
    query: (signed.query ?? {}) as SandboxRequest['query'],
    headers,
    body,
  };
  return sandboxRequest;
}

const cases: Array<{
  name: string;
  service: string;
  uriEscapePath?: boolean;
  request: ConstructorParameters<typeof HttpRequest>[0];
}> = [
  {
    name: 'query protocol POST with a form body',
    service: 'sts',
    request: {
      method: 'POST',
      hostname: 'sts.eu-west-1.amazonaws.com',
      path: '/',
      headers: { host: 'sts.eu-west-1.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=AssumeRole&Version=2011-06-15&RoleSessionName=a%20b',
    },
  },
  {
    name: 'json protocol with X-Amz-Target',
    service: 'organizations',
    request: {
      method: 'POST',
      hostname: 'organizations.us-east-1.amazonaws.com',
      path: '/',
      headers: {
        host: 'organizations.us-east-1.amazonaws.com',
        'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"MaxResults":5}',
    },
  },
  {
    name: 'S3 GET with sub-resources, null and repeated query values, an odd key and an unsigned payload',
    service: 's3',
    uriEscapePath: false,
    request: {
      method: 'GET',
      hostname: 'bucket.s3.eu-west-1.amazonaws.com',
      path: '/templates/base%20line%2Bv1.yaml',
      query: { versionId: 'abc+/=', 'x-id': 'GetObject', acl: null as unknown as string, tag: ['b', 'a'] },
      headers: {
        host: 'bucket.s3.eu-west-1.amazonaws.com',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-amz-meta-note': '  two   spaces ',
      },
    },
  },
  {
    name: 'non-S3 path with characters that are escaped twice',
    service: 'states',
    request: {
      method: 'GET',
      hostname: 'states.eu-west-1.amazonaws.com',
      path: '/a%20b/c',
      headers: { host: 'states.eu-west-1.amazonaws.com' },
    },
  },
];

test.each(cases)('agrees with @smithy/signature-v4: $name', async ({ service, uriEscapePath, request }) => {
  const signed = await signWithSdk(new HttpRequest(request), service, uriEscapePath ?? true);
  const auth = parseAuthorization(signed.headers.authorization);
  expect(auth).toBeDefined();
  if (!auth) return;
  expect(auth.accessKeyId).toBe('AKIDEXAMPLE');
  expect(auth.region).toBe('eu-west-1');
  expect(auth.service).toBe(service);
  expect(computeSignature(signed, auth, credentials.secretAccessKey)).toBe(auth.signature);
  expect(computeSignature(signed, auth, 'another-secret')).not.toBe(auth.signature);
  const tampered = { ...signed, body: Buffer.concat([signed.body, Buffer.from('x')]) };
  if (!signed.headers['x-amz-content-sha256'])
    expect(computeSignature(tampered, auth, credentials.secretAccessKey)).not.toBe(auth.signature);
});

test('malformed Authorization headers are named, absent ones are not an error', () => {
  expect(parseAuthorization(undefined)).toBeUndefined();
  expect(() => parseAuthorization('Bearer abc')).toThrow(/Received: Bearer abc/);
  expect(() =>
    parseAuthorization(
      'AWS4-HMAC-SHA256 Credential=AK/20260101/eu-west-1/sts, SignedHeaders=host, Signature=ab',
    ),
  ).toThrow(/Credential should be scoped/);
});

test('amz dates round-trip', () => {
  const ms = Date.UTC(2026, 10, 27, 12, 34, 56);
  expect(formatAmzDate(ms)).toBe('20261127T123456Z');
  expect(parseAmzDate('20261127T123456Z')).toBe(ms);
  expect(parseAmzDate('yesterday')).toBeNaN();
});
