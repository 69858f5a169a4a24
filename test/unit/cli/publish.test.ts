/**
 * `stackfleet publish` and rollouts from a local file reuse the current template version when its
 * bytes are unchanged, so re-running a rollout finds every stack NO_CHANGE. The admin bucket is
 * SSE-KMS: S3 documents that such objects' ETags are not an MD5 digest of their data ("Checking
 * object integrity in Amazon S3"), so the comparison must not rest on the ETag. Here the
 * sandbox's HEAD answers carry an SSE-KMS-like ETag to make that so.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Backend } from '../../../src/cli/backend';
import { CONTENT_SHA256_METADATA, publishTemplate } from '../../../src/cli/publish';
import { openSandboxBackend } from '../../../src/cli/sandbox-backend';

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Topic:
    Type: AWS::SNS::Topic
`;

describe('publishTemplate', () => {
  let backend: Backend;
  let bucket: string;
  /** Template uploads this test saw (every PutObject makes a new version: the bucket is versioned). */
  let uploads = 0;
  const dir = mkdtempSync(join(tmpdir(), 'stackfleet-publish-'));
  const file = join(dir, 'baseline.yaml');

  beforeAll(async () => {
    backend = await openSandboxBackend({
      stateDir: join(dir, 'state'),
      scenario: join(__dirname, '../../../src/sandbox/scenarios/small.yaml'),
    });
    bucket = (await backend.run(() => backend.admin())).artifactBucket;
    // What S3 answers for an SSE-KMS object: an ETag that is no MD5 of the bytes.
    backend.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand') uploads++;
        const out = await next(args);
        if (context.commandName === 'HeadObjectCommand')
          (out.output as { ETag?: string }).ETag = '"3f1a0b9e5c7d4e2f8a6b1c0d9e8f7a6b-1"';
        return out;
      },
      { step: 'initialize', name: 'sseKmsEtag' },
    );
  });

  afterAll(() => backend?.close());

  it('reuses the version already published for the same bytes even though the ETag is not their MD5', async () => {
    writeFileSync(file, TEMPLATE);
    const first = await backend.run(() =>
      publishTemplate(backend, bucket, { path: file, body: readFileSync(file) }),
    );
    const second = await backend.run(() =>
      publishTemplate(backend, bucket, { path: file, body: readFileSync(file) }),
    );
    expect(first.versionId).toBeDefined();
    expect(second.versionId).toBe(first.versionId);
    expect(second.url).toBe(first.url);
    expect(uploads).toBe(1);
  });

  it('uploads a new version, with the digest of its bytes, when the file changed', async () => {
    const before = await backend.run(() =>
      publishTemplate(backend, bucket, { path: file, body: readFileSync(file) }),
    );
    writeFileSync(file, `${TEMPLATE}    Properties: { DisplayName: changed }\n`);
    const after = await backend.run(() =>
      publishTemplate(backend, bucket, { path: file, body: readFileSync(file) }),
    );
    expect(after.versionId).not.toBe(before.versionId);
    expect(uploads).toBe(2);
    const head = await backend.run(() =>
      backend.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'templates/baseline.yaml' })),
    );
    expect((head as { Metadata?: Record<string, string> }).Metadata?.[CONTENT_SHA256_METADATA]).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});
