/**
 * scripts/publish-template.ts against the in-process sandbox (no sockets, real SDK clients):
 * every publish is a new pinned version, and CloudFormation validates exactly that version.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { publishTemplate, templateUrl } from '../../scripts/publish-template';
import { awsClients, configureAws } from '../../src/aws/clients';
import { Sandbox } from '../../src/sandbox/sandbox';

const region = 'eu-west-1';
const bucket = 'stackfleet-artifacts-test';
const baseline = resolve(__dirname, '../../templates/baseline.yaml');

beforeAll(async () => {
  const sandbox = await Sandbox.open({ stateDir: null });
  configureAws({ requestHandler: sandbox.requestHandler(), credentials: sandbox.adminCredentials });
  const s3 = awsClients.s3({ region });
  await s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }),
  );
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
});

afterAll(() => configureAws({}));

describe('publishTemplate', () => {
  it('uploads the baseline as a new version each time and prints a URL pinned to it', async () => {
    const first = await publishTemplate({ file: baseline, bucket, region });
    const second = await publishTemplate({ file: baseline, bucket, region });
    expect(first.key).toBe('templates/baseline.yaml');
    expect(first.versionId).toBeTruthy();
    expect(second.versionId).not.toBe(first.versionId);
    expect(first.url).toBe(
      `https://${bucket}.s3.${region}.amazonaws.com/templates/baseline.yaml?versionId=${encodeURIComponent(first.versionId!)}`,
    );
    expect(first.parameters).toEqual(
      expect.arrayContaining(['HomeRegion', 'AdminAccountId', 'EnableConfig']),
    );

    const stored = await awsClients
      .s3({ region })
      .send(new GetObjectCommand({ Bucket: bucket, Key: first.key, VersionId: first.versionId }));
    expect(await stored.Body?.transformToString()).toContain('stackfleet security baseline');
  });

  it('refuses a template CloudFormation rejects, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackfleet-publish-'));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'Resources: {}\nOutputs:\n  X: { Value: !Ref Missing }\n');
    await expect(publishTemplate({ file: broken, bucket, region })).rejects.toMatchObject({
      name: 'TemplateInvalid',
      message: expect.stringContaining(broken),
    });
  });

  it('names the field and value of bad input before any call', async () => {
    await expect(publishTemplate({ file: baseline, bucket: 'Not_A_Bucket', region })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'bucket must be an S3 bucket name. Received: Not_A_Bucket',
    });
    await expect(publishTemplate({ file: '/nope/missing.yaml', bucket, region })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'file could not be read. Received: /nope/missing.yaml',
    });
  });

  it('encodes keys but keeps the path readable', () => {
    expect(templateUrl('b', 'us-east-1', 'templates/my base.yaml', 'v+1')).toBe(
      'https://b.s3.us-east-1.amazonaws.com/templates/my%20base.yaml?versionId=v%2B1',
    );
  });
});
