/**
 * The sandbox's SigV4 check must agree with the SDK's own signer on every request shape it sees,
 * or real clients would be refused; and it must refuse a request signed with another secret.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sandbox } from '../../src/sandbox/sandbox';
import { parseQueryString } from '../../src/sandbox/server';
import {
  computeSignature,
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  type SigV4Authorization,
  verifyStreamingPayload,
} from '../../src/sandbox/sigv4';
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
    name: 'S3 GET with sub-resources, empty and repeated query values, an odd key and an unsigned payload',
    service: 's3',
    uriEscapePath: false,
    request: {
      method: 'GET',
      hostname: 'bucket.s3.eu-west-1.amazonaws.com',
      path: '/templates/base%20line%2Bv1.yaml',
      query: { versionId: 'abc+/=', 'x-id': 'GetObject', acl: '', tag: ['b', 'a'] },
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

/**
 * botocore sends S3 sub-resources without a value (`GET /bucket?versioning`) and signs them as
 * `versioning=`, as SigV4 says a parameter without a value is canonicalised (IAM User Guide,
 * "Create a signed AWS API request", CanonicalQueryString). The SDK sends and signs `versioning=`.
 * Both must verify; the AWS CLI's versioning, location and multipart calls depend on it.
 */
describe.each([
  ['GET', '/bucket', 'versioning', 'versioning'],
  ['GET', '/bucket', 'location', 'location'],
  ['GET', '/bucket', 'versions&prefix=templates%2F', 'versions'],
  ['POST', '/bucket/big.bin', 'uploads', 'uploads'],
  ['POST', '/bucket/big.bin', 'uploadId=abc%2Bdef', undefined],
])('a valueless S3 parameter as botocore and the SDK send it: %s %s?%s', (method, path, wire, bare) => {
  async function signAs(wireQuery: string) {
    // What the signer saw: every parameter with a value, `versioning=` for a bare name.
    const signedQuery: Record<string, string> = {};
    for (const [k, v] of Object.entries(parseQueryString(wireQuery))) signedQuery[k] = String(v ?? '');
    const signed = await signWithSdk(
      new HttpRequest({
        method,
        hostname: 'bucket.s3.eu-west-1.amazonaws.com',
        path,
        query: signedQuery,
        headers: { host: 'bucket.s3.eu-west-1.amazonaws.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      }),
      's3',
      false,
    );
    return signed;
  }

  test('botocore: a bare name on the wire verifies against its `name=` signature', async () => {
    const signed = await signAs(wire);
    // The HTTP server parses the raw query botocore sent: a bare name has a null value.
    const received = { ...signed, query: parseQueryString(wire) };
    if (bare) expect(received.query[bare]).toBeNull();
    const auth = parseAuthorization(signed.headers.authorization) as SigV4Authorization;
    expect(computeSignature(received, auth, credentials.secretAccessKey)).toBe(auth.signature);
  });

  test('SDK: `name=` on the wire verifies too, and a changed parameter does not', async () => {
    const signed = await signAs(wire);
    const auth = parseAuthorization(signed.headers.authorization) as SigV4Authorization;
    expect(computeSignature(signed, auth, credentials.secretAccessKey)).toBe(auth.signature);
    const changed = { ...signed, query: { ...signed.query, extra: null } };
    expect(computeSignature(changed, auth, credentials.secretAccessKey)).not.toBe(auth.signature);
  });
});

describe('the payload hash outside S3 is the body', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.open({ stateDir: null, scenario: 'src/sandbox/scenarios/small.yaml' });
  });

  /** A request signed by the SDK's signer with the sandbox's admin key (current time, so never skewed). */
  async function signedForSandbox(
    service: string,
    headers: Record<string, string>,
    body: string,
    path = '/',
    method = 'POST',
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
        method,
        hostname: 'localhost',
        path,
        headers: { host: 'localhost', ...headers },
        body,
      }),
    );
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) lower[k.toLowerCase()] = v;
    return { method, hostname: 'localhost', path, query: {}, headers: lower, body: Buffer.from(body) };
  }

  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const identity = 'Action=GetCallerIdentity&Version=2011-06-15';
  const assume =
    'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A333333333333%3Arole%2FStackFleetExecution&RoleSessionName=swap&ExternalId=stackfleet-small-demo';

  test('a GetCallerIdentity signed with UNSIGNED-PAYLOAD and its body swapped to AssumeRole is refused', async () => {
    // IAM User Guide, "Create a signed AWS API request": HashedPayload is the hash of the body;
    // UNSIGNED-PAYLOAD is an S3 option only (S3 API Reference, sig-v4-header-based-auth).
    const signed = await signedForSandbox(
      'sts',
      { ...form, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      identity,
    );
    const swapped = await sandbox.handle({ ...signed, body: Buffer.from(assume) });
    expect(swapped.statusCode).toBe(403);
    expect(String(swapped.body)).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(String(swapped.body)).not.toContain('SecretAccessKey');
    // The same claim without a swap is still refused: the client signed a hash that is not the body's.
    const unswapped = await sandbox.handle(signed);
    expect(String(unswapped.body)).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  test('a JSON-protocol request with a STREAMING payload claim and a swapped body is refused', async () => {
    const signed = await signedForSandbox(
      'organizations',
      {
        'x-amz-target': 'AWSOrganizationsV20161128.DescribeOrganization',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      },
      '{}',
    );
    const response = await sandbox.handle({ ...signed, body: Buffer.from('{"x":1}') });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(String(response.body)).__type).toBe('InvalidSignatureException');
  });

  test('a correctly signed body still passes, with or without a matching x-amz-content-sha256', async () => {
    const plain = await sandbox.handle(await signedForSandbox('sts', form, identity));
    expect(String(plain.body)).toContain('<Account>111111111111</Account>');
    const declared = await signedForSandbox('sts', form, identity);
    expect(declared.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(String((await sandbox.handle(declared)).body)).toContain('<Account>111111111111</Account>');
  });

  test('S3 takes UNSIGNED-PAYLOAD, but requires the header, signed, and a known value', async () => {
    const bucket = await sandbox.handle(await signedForSandbox('s3', {}, '', '/sigv4-bucket', 'PUT'));
    expect(bucket.statusCode).toBe(200);
    const unsigned = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const put = await signedForSandbox('s3', unsigned, 'body', '/sigv4-bucket/k', 'PUT');
    expect((await sandbox.handle(put)).statusCode).toBe(200);
    const missing = { ...put, headers: { ...put.headers } };
    delete missing.headers['x-amz-content-sha256'];
    const noHeader = await sandbox.handle(missing);
    expect(String(noHeader.body)).toContain('Missing required header for this request: x-amz-content-sha256');
    expect(noHeader.statusCode).toBe(400);
    const unsignedHeader = new SignatureV4({
      credentials: sandbox.adminCredentials,
      region: 'us-east-1',
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const signedWithout = await unsignedHeader.sign(
      new HttpRequest({
        method: 'PUT',
        hostname: 'localhost',
        path: '/sigv4-bucket/k',
        headers: { host: 'localhost' },
        body: 'body',
      }),
    );
    const headersWithout: Record<string, string> = {};
    for (const [k, v] of Object.entries(signedWithout.headers)) headersWithout[k.toLowerCase()] = v;
    const notSigned = await sandbox.handle({
      ...put,
      headers: { ...headersWithout, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(String(notSigned.body)).toContain(
      'header &apos;x-amz-content-sha256&apos; must be included in signature',
    );
    const junk = await sandbox.handle({
      ...put,
      headers: { ...put.headers, 'x-amz-content-sha256': 'GIBBERISH' },
    });
    expect(String(junk.body)).toContain('<Code>InvalidArgument</Code>');
    expect(String(junk.body)).toContain('or a valid sha256 value. Received: GIBBERISH');
    const wrongHash = await sandbox.handle({
      ...put,
      headers: { ...put.headers, 'x-amz-content-sha256': 'a'.repeat(64) },
    });
    expect(String(wrongHash.body)).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
  });
});

/**
 * The chunk-signed upload examples of the S3 API Reference ("Transferring Payload in Multiple
 * Chunks" and "... Including Trailing Headers"): 66,560 bytes of 'a' in chunks of 64 KiB, 1 KiB
 * and 0, with the documented seed and chunk signatures, secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.
 */
describe('chunk-signed S3 payloads (the S3 API Reference examples)', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const chunk = (size: number, signature: string) =>
    Buffer.concat([
      Buffer.from(`${size.toString(16)};chunk-signature=${signature}\r\n`),
      Buffer.alloc(size, 'a'),
      Buffer.from('\r\n'),
    ]);
  const request = (mode: string, body: Buffer): SandboxRequest => ({
    method: 'PUT',
    hostname: 's3.amazonaws.com',
    path: '/examplebucket/chunkObject.txt',
    query: {},
    headers: {
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': mode,
      'x-amz-decoded-content-length': '66560',
      'content-encoding': 'aws-chunked',
    },
    body,
  });
  const auth = (seed: string): SigV4Authorization => ({
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    date: '20130524',
    region: 'us-east-1',
    service: 's3',
    signedHeaders: [],
    signature: seed,
  });
  const signed = {
    seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    chunks: [
      'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
      '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
      'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
    ],
  };
  const body = (sigs: string[]) =>
    Buffer.concat([chunk(65_536, sigs[0] ?? ''), chunk(1024, sigs[1] ?? ''), chunk(0, sigs[2] ?? '')]);

  test('the documented STREAMING-AWS4-HMAC-SHA256-PAYLOAD body verifies', () => {
    expect(body(signed.chunks).length).toBe(66_824);
    expect(() =>
      verifyStreamingPayload(
        request('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', body(signed.chunks)),
        auth(signed.seed),
        secret,
      ),
    ).not.toThrow();
  });

  test('a chunk whose data changed, or a chunk signature from elsewhere, is refused as SignatureDoesNotMatch', () => {
    const tampered = body(signed.chunks);
    tampered[100] = 'b'.charCodeAt(0);
    const check =
      (b: Buffer, seed = signed.seed) =>
      () =>
        verifyStreamingPayload(request('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', b), auth(seed), secret);
    expect(check(tampered)).toThrow(expect.objectContaining({ code: 'SignatureDoesNotMatch' }));
    expect(check(body(signed.chunks), 'f'.repeat(64))).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
    const dropped = Buffer.concat([chunk(65_536, signed.chunks[0] ?? ''), chunk(0, signed.chunks[2] ?? '')]);
    expect(check(dropped)).toThrow(expect.objectContaining({ code: 'SignatureDoesNotMatch' }));
  });

  test('the documented trailer example verifies, and a changed trailing checksum does not', () => {
    const trailerBody = (checksum: string) =>
      Buffer.concat([
        body([
          'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
          '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
          '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
        ]).subarray(0, -2),
        Buffer.from(
          `x-amz-checksum-crc32c:${checksum}\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n`,
        ),
      ]);
    const seed = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
    const mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
    expect(() =>
      verifyStreamingPayload(request(mode, trailerBody('sOO8/Q==')), auth(seed), secret),
    ).not.toThrow();
    expect(() => verifyStreamingPayload(request(mode, trailerBody('AAAAAA==')), auth(seed), secret)).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
  });
});
