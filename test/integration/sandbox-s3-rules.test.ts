/**
 * The S3 rules stackfleet depends on, through the real SDK client: default encryption and SSE-KMS
 * (with ETags that are not an MD5 of the data, as S3 documents), bucket policies stored and served
 * with S3's syntax checks, additional checksums verified and returned, and multipart uploads.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { defaultKeyPolicy } from '../../src/sandbox/cfn/providers/kms';
import { Sandbox } from '../../src/sandbox/sandbox';
import { putKey } from '../../src/sandbox/services/kms-state';
import {
  bucketEncryptionOf,
  bucketOwnerOf,
  bucketPolicyOf,
  objectEncryptionOf,
} from '../../src/sandbox/services/s3';
import { checksumOf } from '../../src/sandbox/services/s3-checksums';

const KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_KEY_ID = '0987dcba-09fe-87dc-65ba-ab0987654321';
const md5 = (data: string | Buffer) => `"${createHash('md5').update(data).digest('hex')}"`;

let sandbox: Sandbox;
let s3: S3Client;
beforeAll(async () => {
  sandbox = await Sandbox.open({ stateDir: null, scenario: 'src/sandbox/scenarios/small.yaml' });
  s3 = new S3Client({
    region: 'us-east-1',
    credentials: sandbox.adminCredentials,
    requestHandler: sandbox.requestHandler(),
    maxAttempts: 1,
  });
  // SSE-KMS uses keys that exist: S3 asks KMS for a data key as the caller (S3 User Guide,
  // UsingKMSEncryption), so the keys are made first, with the default key policy KMS gives a key
  // created without one (the account's own IAM policies decide; KMS Developer Guide,
  // key-policy-default).
  for (const keyId of [KEY_ARN.split('/')[1] ?? '', OTHER_KEY_ID]) {
    putKey(sandbox.world, {
      accountId: '111111111111',
      region: 'us-east-1',
      keyId,
      policy: defaultKeyPolicy('111111111111'),
      now: sandbox.now(),
    });
  }
});

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

async function bucket(name: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

describe('server-side encryption', () => {
  test('a new bucket encrypts with SSE-S3 by default, and its objects keep MD5 ETags', async () => {
    const name = await bucket('sse-s3-default');
    const config = await s3.send(new GetBucketEncryptionCommand({ Bucket: name }));
    expect(config.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
    ]);
    const put = await s3.send(new PutObjectCommand({ Bucket: name, Key: 'a.yaml', Body: 'Resources: {}' }));
    expect(put.ServerSideEncryption).toBe('AES256');
    expect(put.ETag).toBe(md5('Resources: {}'));
  });

  test('an SSE-KMS bucket: objects carry the key and bucket-key headers, and ETags that are not the MD5', async () => {
    const name = await bucket('sse-kms-bucket');
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    const config = await s3.send(new GetBucketEncryptionCommand({ Bucket: name }));
    expect(config.ServerSideEncryptionConfiguration?.Rules?.[0]).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN },
      BucketKeyEnabled: true,
    });
    const body = 'Resources: {} # the same bytes twice';
    const first = await s3.send(new PutObjectCommand({ Bucket: name, Key: 't.yaml', Body: body }));
    const second = await s3.send(new PutObjectCommand({ Bucket: name, Key: 't.yaml', Body: body }));
    expect(first).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    // S3 API Reference, Object: "Objects encrypted by SSE-C or SSE-KMS have ETags that are not an MD5 digest".
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.ETag).not.toBe(md5(body));
    expect(second.ETag).not.toBe(first.ETag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: 't.yaml' }));
    expect(head).toMatchObject({
      ETag: second.ETag,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      BucketKeyEnabled: true,
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: name, Key: 't.yaml' }));
    expect(await got.Body?.transformToString()).toBe(body);
    expect(got.SSEKMSKeyId).toBe(KEY_ARN);
    expect(objectEncryptionOf(sandbox.world, name, 't.yaml')).toEqual({
      sseAlgorithm: 'aws:kms',
      kmsKeyId: KEY_ARN,
      bucketKeyEnabled: true,
    });
    expect(bucketEncryptionOf(sandbox.world, name)).toEqual({
      sseAlgorithm: 'aws:kms',
      kmsKeyId: KEY_ARN,
      bucketKeyEnabled: true,
    });

    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: name }));
    const back = await s3.send(new PutObjectCommand({ Bucket: name, Key: 'after.yaml', Body: body }));
    expect(back).toMatchObject({ ServerSideEncryption: 'AES256', ETag: md5(body) });
  });

  test('per-object SSE headers: a key id becomes its ARN, no key means the aws/s3 managed key, bad values are refused', async () => {
    const name = await bucket('sse-per-object');
    const byId = await s3.send(
      new PutObjectCommand({
        Bucket: name,
        Key: 'k',
        Body: 'x',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: OTHER_KEY_ID,
      }),
    );
    expect(byId.SSEKMSKeyId).toBe(`arn:aws:kms:us-east-1:111111111111:key/${OTHER_KEY_ID}`);
    // A key that does not exist: S3 passes KMS's answer on (S3 API Reference, Error codes).
    const noSuchKey = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: name,
          Key: 'k',
          Body: 'x',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: '11111111-2222-3333-4444-555555555555',
        }),
      ),
    );
    expect(noSuchKey.name).toBe('KMS.NotFoundException');
    const managed = await s3.send(
      new PutObjectCommand({ Bucket: name, Key: 'm', Body: 'x', ServerSideEncryption: 'aws:kms' }),
    );
    expect(managed.SSEKMSKeyId).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]{36}$/);
    expect(managed.ETag).not.toBe(md5('x'));
    const keyWithoutKms = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: name,
          Key: 'n',
          Body: 'x',
          ServerSideEncryption: 'AES256',
          SSEKMSKeyId: KEY_ARN,
        }),
      ),
    );
    expect(keyWithoutKms.name).toBe('InvalidArgument');
    const unknown = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: name,
          Key: 'n',
          Body: 'x',
          ServerSideEncryption: 'rot13' as 'AES256',
        }),
      ),
    );
    expect(unknown.message).toContain('The encryption method specified is not supported. Received: rot13');
  });
});

describe('bucket policies', () => {
  const policyFor = (name: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OrgReadsTemplates',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${name}/*`,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-small00001' } },
        },
      ],
    });

  test('stored as put, served by GetBucketPolicy, gone after DeleteBucketPolicy (NoSuchBucketPolicy)', async () => {
    const name = await bucket('policy-bucket');
    const none = await failure(s3.send(new GetBucketPolicyCommand({ Bucket: name })));
    expect(none.name).toBe('NoSuchBucketPolicy');
    expect(none.$metadata?.httpStatusCode).toBe(404);
    await s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: policyFor(name) }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: name }))).Policy).toBe(policyFor(name));
    expect(bucketPolicyOf(sandbox.world, name)).toBe(policyFor(name));
    expect(bucketOwnerOf(sandbox.world, name)).toBe('111111111111');
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: name }));
    expect((await failure(s3.send(new GetBucketPolicyCommand({ Bucket: name })))).name).toBe(
      'NoSuchBucketPolicy',
    );
    expect(bucketPolicyOf(sandbox.world, name)).toBeUndefined();
  });

  test.each([
    [
      'not JSON at the first byte',
      'Statement: []',
      "Policies must be valid JSON and the first byte must be '{'",
    ],
    ['broken JSON', '{"Statement": [', 'This policy contains invalid Json'],
    ['no Statement', '{"Version":"2012-10-17"}', 'Missing required field Statement'],
    [
      'no Principal',
      '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::malformed-policies/*"}]}',
      'Missing required field Principal',
    ],
    [
      'a non-S3 action',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:s3:::malformed-policies/*"}]}',
      'Policy has invalid action',
    ],
    [
      'another bucket as resource',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}',
      'Policy has invalid resource',
    ],
  ])('refuses %s as MalformedPolicy', async (_name, policy, message) => {
    const name = 'malformed-policies';
    await s3.send(new CreateBucketCommand({ Bucket: name })).catch(() => undefined);
    const error = await failure(s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: policy })));
    expect({ name: error.name, message: error.message }).toEqual({ name: 'MalformedPolicy', message });
    expect(bucketPolicyOf(sandbox.world, name)).toBeUndefined();
  });
});

describe('additional checksums', () => {
  test('the CRCs match the catalogue check values of "123456789"', () => {
    const hex = (algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME') =>
      Buffer.from(checksumOf(algorithm, Buffer.from('123456789')), 'base64').toString('hex');
    expect(hex('CRC32')).toBe('cbf43926');
    expect(hex('CRC32C')).toBe('e3069283');
    expect(hex('CRC64NVME')).toBe('ae8b14860a799888');
  });

  test.each(['SHA256', 'CRC32', 'CRC32C', 'CRC64NVME', 'SHA1'] as const)(
    "a PutObject with the SDK's %s checksum is verified, stored and returned with ChecksumMode ENABLED",
    async (algorithm) => {
      const name = 'checksums-bucket';
      await s3.send(new CreateBucketCommand({ Bucket: name })).catch(() => undefined);
      const body = `template body for ${algorithm}`;
      await s3.send(
        new PutObjectCommand({ Bucket: name, Key: algorithm, Body: body, ChecksumAlgorithm: algorithm }),
      );
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: name, Key: algorithm, ChecksumMode: 'ENABLED' }),
      );
      expect(head[`Checksum${algorithm}`]).toBe(checksumOf(algorithm, Buffer.from(body)));
      expect(head.ChecksumType).toBe('FULL_OBJECT');
      // The SDK validates the checksum GetObject returns against the body it reads.
      const got = await s3.send(
        new GetObjectCommand({ Bucket: name, Key: algorithm, ChecksumMode: 'ENABLED' }),
      );
      expect(await got.Body?.transformToString()).toBe(body);
      const plainHead = await s3.send(new HeadObjectCommand({ Bucket: name, Key: algorithm }));
      expect(plainHead[`Checksum${algorithm}`]).toBeUndefined();
    },
  );

  test("a checksum that does not match the body is refused as BadDigest; no checksum gets S3's CRC64NVME", async () => {
    const name = 'checksums-bucket';
    await s3.send(new CreateBucketCommand({ Bucket: name })).catch(() => undefined);
    const wrong = await failure(
      s3.send(
        new PutObjectCommand({
          Bucket: name,
          Key: 'bad',
          Body: 'abc',
          ChecksumSHA256: checksumOf('SHA256', Buffer.from('abd')),
        }),
      ),
    );
    expect({ name: wrong.name, message: wrong.message }).toEqual({
      name: 'BadDigest',
      message: 'The SHA256 you specified did not match the calculated checksum.',
    });
    const bare = new S3Client({
      region: 'us-east-1',
      credentials: sandbox.adminCredentials,
      requestHandler: sandbox.requestHandler(),
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await bare.send(new PutObjectCommand({ Bucket: name, Key: 'bare', Body: 'no checksum sent' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: 'bare', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC64NVME).toBe(checksumOf('CRC64NVME', Buffer.from('no checksum sent')));
  });
});

test('GetObject with a Range answers that slice (the AWS CLI downloads big files in ranges)', async () => {
  const name = await bucket('ranges-bucket');
  await s3.send(new PutObjectCommand({ Bucket: name, Key: 'r', Body: '0123456789' }));
  const slice = await s3.send(new GetObjectCommand({ Bucket: name, Key: 'r', Range: 'bytes=2-5' }));
  expect(await slice.Body?.transformToString()).toBe('2345');
  expect(slice.ContentRange).toBe('bytes 2-5/10');
  expect(slice.$metadata.httpStatusCode).toBe(206);
  const suffix = await s3.send(new GetObjectCommand({ Bucket: name, Key: 'r', Range: 'bytes=-3' }));
  expect(await suffix.Body?.transformToString()).toBe('789');
  const past = await failure(s3.send(new GetObjectCommand({ Bucket: name, Key: 'r', Range: 'bytes=10-' })));
  expect(past.name).toBe('InvalidRange');
  expect(past.$metadata?.httpStatusCode).toBe(416);
});

describe('multipart uploads', () => {
  const big = Buffer.alloc(5 * 1024 * 1024, 'a');
  const tail = Buffer.from('the last part may be small');

  async function upload(name: string, key: string, parts: Buffer[]) {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: name, Key: key }));
    const uploaded = [];
    for (const [i, body] of parts.entries()) {
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: name,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: i + 1,
          Body: body,
        }),
      );
      uploaded.push({ PartNumber: i + 1, ETag: part.ETag });
    }
    return { uploadId: created.UploadId as string, parts: uploaded };
  }

  test('parts join into one object whose ETag is the MD5 of the part MD5s, with the part count', async () => {
    const name = await bucket('multipart-bucket');
    const { uploadId, parts } = await upload(name, 'big.bin', [big, tail]);
    expect(parts.map((p) => p.ETag)).toEqual([md5(big), md5(tail)]);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: name,
        Key: 'big.bin',
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const expected = createHash('md5')
      .update(
        Buffer.concat([createHash('md5').update(big).digest(), createHash('md5').update(tail).digest()]),
      )
      .digest('hex');
    expect(done.ETag).toBe(`"${expected}-2"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: name, Key: 'big.bin' }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(big.length + tail.length);
    expect(bytes.subarray(big.length).toString()).toBe(tail.toString());
    expect(got.ETag).toBe(done.ETag);
    const again = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: name,
          Key: 'big.bin',
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
    expect(again.name).toBe('NoSuchUpload');
  });

  test("S3's refusals: a small part before the last, parts out of order, a wrong ETag; abort removes the upload", async () => {
    const name = await bucket('multipart-refusals');
    const small = await upload(name, 'k', [tail, tail]);
    const tooSmall = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: name,
          Key: 'k',
          UploadId: small.uploadId,
          MultipartUpload: { Parts: small.parts },
        }),
      ),
    );
    expect(tooSmall.name).toBe('EntityTooSmall');
    const order = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: name,
          Key: 'k',
          UploadId: small.uploadId,
          MultipartUpload: { Parts: [...small.parts].reverse() },
        }),
      ),
    );
    expect(order.name).toBe('InvalidPartOrder');
    const wrongTag = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: name,
          Key: 'k',
          UploadId: small.uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: md5('something else') }] },
        }),
      ),
    );
    expect(wrongTag.name).toBe('InvalidPart');
    const badNumber = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket: name,
          Key: 'k',
          UploadId: small.uploadId,
          PartNumber: 10_001,
          Body: 'x',
        }),
      ),
    );
    expect(badNumber.message).toContain('Part number must be an integer between 1 and 10000, inclusive');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: name, Key: 'k', UploadId: small.uploadId }));
    const gone = await failure(
      s3.send(
        new UploadPartCommand({ Bucket: name, Key: 'k', UploadId: small.uploadId, PartNumber: 1, Body: 'x' }),
      ),
    );
    expect(gone.name).toBe('NoSuchUpload');
  });

  test("under SSE-KMS the parts' and the object's ETags are not MD5s of the data", async () => {
    const name = await bucket('multipart-kms');
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [
            { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN } },
          ],
        },
      }),
    );
    const { uploadId, parts } = await upload(name, 'big.bin', [big, tail]);
    expect(parts[0]?.ETag).not.toBe(md5(big));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: name,
        Key: 'big.bin',
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(done).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    expect(done.ETag).toMatch(/-2"$/);
  });
});
