/**
 * S3 operations -> IAM (Service Authorization Reference for Amazon S3; S3 User Guide,
 * "Required permissions for Amazon S3 API operations"). The bucket policy is the resource policy;
 * the bucket's owner decides same- vs cross-account. Objects encrypted with SSE-KMS also need the
 * key (S3 User Guide, UsingKMSEncryption: GetObject needs kms:Decrypt, PutObject needs
 * kms:GenerateDataKey), asked through S3 (kms:ViaService = s3.<region>.amazonaws.com).
 */
import type { AuthorizationSpec } from '../authorize';
import { bucketFacts, objectFacts } from '../resources';
import { kmsViaServiceSpec } from './kms';
import type { ActionEnv, ServiceActions } from './types';

function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

/** A spec on a bucket or one of its objects, with the bucket's policy and owner. */
function onBucket(env: ActionEnv, action: string, bucket: string, key?: string): AuthorizationSpec[] {
  const facts = bucketFacts(env.world, bucket);
  // A bucket that does not exist answers NoSuchBucket whoever asks (bucket names are global).
  if (!facts) return [];
  const spec: AuthorizationSpec = {
    action,
    resource: key === undefined ? bucketArn(bucket) : `${bucketArn(bucket)}/${key}`,
    resourceAccountId: facts.accountId,
    resourcePolicyMode: 'standard',
    context: { 's3:ResourceAccount': facts.accountId },
  };
  if (facts.policy !== undefined) spec.resourcePolicy = facts.policy;
  return [spec];
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function readObject(params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] {
  const bucket = str(params.Bucket);
  const key = str(params.Key);
  const versionId = params.VersionId === undefined ? undefined : str(params.VersionId);
  const specs = onBucket(env, versionId === undefined ? 's3:GetObject' : 's3:GetObjectVersion', bucket, key);
  if (specs.length === 0) return specs;
  const object = objectFacts(env.world, bucket, key, versionId);
  // Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey (S3 API reference, GetObject: "If you
  // don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error").
  if (!object.exists) return [...specs, ...onBucket(env, 's3:ListBucket', bucket)];
  if (object.kmsKeyId !== undefined) {
    specs.push(
      kmsViaServiceSpec(env, 'kms:Decrypt', object.kmsKeyId, 's3', { 'aws:s3:arn': bucketArn(bucket) }),
    );
  }
  return specs;
}

function writeObject(params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] {
  const bucket = str(params.Bucket);
  const specs = onBucket(env, 's3:PutObject', bucket, str(params.Key));
  const headers = (params.Headers ?? {}) as Record<string, string>;
  const kmsKeyId =
    headers['x-amz-server-side-encryption'] === 'aws:kms'
      ? (headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? bucketFacts(env.world, bucket)?.kmsKeyId)
      : headers['x-amz-server-side-encryption'] === undefined
        ? bucketFacts(env.world, bucket)?.kmsKeyId
        : undefined;
  if (specs.length > 0 && kmsKeyId !== undefined) {
    specs.push(
      kmsViaServiceSpec(env, 'kms:GenerateDataKey', kmsKeyId, 's3', { 'aws:s3:arn': bucketArn(bucket) }),
    );
  }
  return specs;
}

const bucketAction =
  (action: string) =>
  (params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] =>
    onBucket(env, action, str(params.Bucket));

export const s3Actions: ServiceActions = {
  ListBuckets: () => [{ action: 's3:ListAllMyBuckets', resource: '*' }],
  CreateBucket: (params) => [{ action: 's3:CreateBucket', resource: bucketArn(str(params.Bucket)) }],
  DeleteBucket: bucketAction('s3:DeleteBucket'),
  HeadBucket: bucketAction('s3:ListBucket'),
  GetBucketLocation: bucketAction('s3:GetBucketLocation'),
  PutBucketVersioning: bucketAction('s3:PutBucketVersioning'),
  GetBucketVersioning: bucketAction('s3:GetBucketVersioning'),
  PutBucketPolicy: bucketAction('s3:PutBucketPolicy'),
  GetBucketPolicy: bucketAction('s3:GetBucketPolicy'),
  DeleteBucketPolicy: bucketAction('s3:DeleteBucketPolicy'),
  PutBucketEncryption: bucketAction('s3:PutEncryptionConfiguration'),
  GetBucketEncryption: bucketAction('s3:GetEncryptionConfiguration'),
  DeleteBucketEncryption: bucketAction('s3:PutEncryptionConfiguration'),
  PutBucketTagging: bucketAction('s3:PutBucketTagging'),
  GetBucketTagging: bucketAction('s3:GetBucketTagging'),
  ListObjects: bucketAction('s3:ListBucket'),
  ListObjectsV2: bucketAction('s3:ListBucket'),
  ListObjectVersions: bucketAction('s3:ListBucketVersions'),
  ListMultipartUploads: bucketAction('s3:ListBucketMultipartUploads'),
  GetObject: readObject,
  HeadObject: readObject,
  PutObject: writeObject,
  CopyObject: writeObject,
  CreateMultipartUpload: writeObject,
  UploadPart: (params, env) => onBucket(env, 's3:PutObject', str(params.Bucket), str(params.Key)),
  CompleteMultipartUpload: (params, env) =>
    onBucket(env, 's3:PutObject', str(params.Bucket), str(params.Key)),
  AbortMultipartUpload: (params, env) =>
    onBucket(env, 's3:AbortMultipartUpload', str(params.Bucket), str(params.Key)),
  ListParts: (params, env) =>
    onBucket(env, 's3:ListMultipartUploadParts', str(params.Bucket), str(params.Key)),
  DeleteObject: (params, env) => {
    const specs = onBucket(
      env,
      params.VersionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion',
      str(params.Bucket),
      str(params.Key),
    );
    // A delete conditional on an ETag also reads the object (S3 User Guide, conditional-deletes:
    // "you must have the s3:DeleteObject and s3:GetObject permissions").
    const match = ((params.Headers ?? {}) as Record<string, string>)['if-match'];
    if (match !== undefined && match.trim() !== '*' && specs.length > 0)
      specs.push(...onBucket(env, 's3:GetObject', str(params.Bucket), str(params.Key)));
    return specs;
  },
  // DeleteObjects checks s3:DeleteObject per key inside the operation (S3 answers per-key errors).
  DeleteObjects: bucketAction('s3:DeleteObject'),
  PutObjectTagging: (params, env) =>
    onBucket(env, 's3:PutObjectTagging', str(params.Bucket), str(params.Key)),
  GetObjectTagging: (params, env) =>
    onBucket(env, 's3:GetObjectTagging', str(params.Bucket), str(params.Key)),
};
