/**
 * S3 conditional writes and deletes in the sandbox (S3 User Guide, conditional-writes and
 * conditional-deletes): `If-None-Match: *` creates only where no object is, `If-Match` replaces or
 * deletes only the version it names; what is not met answers 412, a missing key 404; a delete
 * conditional on an ETag needs s3:GetObject too. The token store's compare-and-set rests on these.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { awsClients } from '../../src/aws/clients';
import { allow, givenRole } from '../helpers/cfn-iam';
import { openSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness';

const BUCKET = 'conditional-writes-test';
let h: SandboxHarness;

async function status(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${e.name} ${e.$metadata?.httpStatusCode}`;
  }
}

beforeAll(async () => {
  h = await openSandboxHarness({ provision: false });
  await h.virtual(() =>
    h.s3.send(
      new CreateBucketCommand({
        Bucket: BUCKET,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    ),
  );
});

it('creates with If-None-Match: * only where no object is, and replaces with If-Match only the version it names', async () => {
  const s3 = h.s3;
  const answers = await h.virtual(async () => {
    const key = 'waits/a.json';
    const first = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'one', IfNoneMatch: '*' }),
    );
    const again = await status(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'two', IfNoneMatch: '*' })),
    );
    const stale = await status(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'two', IfMatch: '"0000"' })),
    );
    const fresh = await status(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'three', IfMatch: first.ETag })),
    );
    const missing = await status(
      s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'waits/none.json', Body: 'x', IfMatch: first.ETag }),
      ),
    );
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    ).Body?.transformToString();
    return { again, stale, fresh, missing, body };
  });
  expect(answers).toEqual({
    again: 'PreconditionFailed 412',
    stale: 'PreconditionFailed 412',
    fresh: 'ok',
    missing: 'NoSuchKey 404',
    body: 'three',
  });
});

it('deletes with If-Match only the version it names, and asks s3:GetObject of a caller who names an ETag', async () => {
  const account = h.accountId;
  givenRole(
    h.sandbox.world,
    account,
    'delete-only',
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
      ],
    },
    { p: allow(['s3:DeleteObject', 's3:PutObject'], `arn:aws:s3:::${BUCKET}/*`) },
  );
  const answers = await h.virtual(async () => {
    const key = 'waits/b.json';
    const put = await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'b' }));
    const session = await awsClients.sts({ region: h.region }).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/delete-only`,
        RoleSessionName: 'deleter',
      }),
    );
    const c = session.Credentials;
    const deleteOnly: S3Client = awsClients.s3({
      region: h.region,
      credentials: {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      },
    });
    return {
      withoutRead: await status(
        deleteOnly.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: put.ETag })),
      ),
      stale: await status(
        h.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: '"0000"' })),
      ),
      named: await status(
        h.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: put.ETag })),
      ),
      gone: await status(h.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: put.ETag }))),
    };
  });
  expect(answers).toEqual({
    withoutRead: 'AccessDenied 403',
    stale: 'PreconditionFailed 412',
    named: 'ok',
    gone: 'NoSuchKey 404',
  });
});
