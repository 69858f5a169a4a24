/**
 * AWS::S3::Bucket and AWS::S3::BucketPolicy. CreateBucket, then one Put call per configuration the
 * properties set (PutEncryptionConfiguration, PutBucketVersioning, PutLifecycleConfiguration,
 * PutBucketPublicAccessBlock, PutBucketOwnershipControls, PutBucketLogging, PutBucketTagging: the
 * IAM actions of those S3 APIs, Service Authorization Reference). Bucket names are global: a name
 * another bucket holds fails with "<name> already exists" (HandlerErrorCode AlreadyExists).
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import { bucketOf, deleteBucket, putBucket, putBucketPolicy } from '../../services/s3-resources';
import type { S3Encryption, SseAlgorithm } from '../../services/s3-state';
import { list, policyText, type ResourceProvider, str, tagContext } from './types';

const CONFIG_CALLS: Array<[string, string]> = [
  ['BucketEncryption', 's3:PutEncryptionConfiguration'],
  ['VersioningConfiguration', 's3:PutBucketVersioning'],
  ['LifecycleConfiguration', 's3:PutLifecycleConfiguration'],
  ['PublicAccessBlockConfiguration', 's3:PutBucketPublicAccessBlock'],
  ['OwnershipControls', 's3:PutBucketOwnershipControls'],
  ['LoggingConfiguration', 's3:PutBucketLogging'],
  ['NotificationConfiguration', 's3:PutBucketNotification'],
  ['Tags', 's3:PutBucketTagging'],
];

function encryptionOf(
  props: Record<string, unknown>,
  accountId: string,
  region: string,
): S3Encryption | undefined {
  const rule = list<Record<string, unknown>>(
    (props.BucketEncryption as Record<string, unknown> | undefined)?.ServerSideEncryptionConfiguration,
  )[0];
  const byDefault = rule?.ServerSideEncryptionByDefault as Record<string, unknown> | undefined;
  const algorithm = str(byDefault?.SSEAlgorithm);
  if (!algorithm) return undefined;
  const out: S3Encryption = {
    sseAlgorithm: algorithm as SseAlgorithm,
    bucketKeyEnabled: rule?.BucketKeyEnabled === true || rule?.BucketKeyEnabled === 'true',
  };
  const key = str(byDefault?.KMSMasterKeyID);
  // S3 keeps the key as an ARN (a bare key id means a key of the bucket's account and region).
  if (key)
    out.kmsKeyId =
      key.startsWith('arn:') || key.startsWith('alias/')
        ? key
        : `arn:aws:kms:${region}:${accountId}:key/${key}`;
  return out;
}

export const bucketProvider: ResourceProvider = {
  type: 'AWS::S3::Bucket',
  service: 'S3',
  deniedStatus: 403,
  priority: 0,
  calls(phase, props, ref, previous) {
    const arn = `arn:aws:s3:::${ref.physicalId}`;
    if (phase === 'delete') return [{ action: 's3:DeleteBucket', resource: arn }];
    const specs: AuthorizationSpec[] = [];
    if (phase === 'create')
      specs.push({ action: 's3:CreateBucket', resource: arn, context: tagContext(props.Tags) });
    for (const [property, action] of CONFIG_CALLS) {
      if (props[property] === undefined) continue;
      if (phase === 'update' && JSON.stringify(props[property]) === JSON.stringify(previous?.[property]))
        continue;
      specs.push({ action, resource: arn });
    }
    return specs;
  },
  rules(phase, _props, ref) {
    if (phase !== 'create') return undefined;
    const existing = bucketOf(ref.world, ref.physicalId);
    if (!existing) return undefined;
    return {
      message: `${ref.physicalId} already exists`,
      service: 'S3',
      status: 409,
      handlerErrorCode: 'AlreadyExists',
    };
  },
  apply(props, ref) {
    const versioning = str((props.VersioningConfiguration as Record<string, unknown> | undefined)?.Status);
    const encryption = encryptionOf(props, ref.accountId, ref.region);
    putBucket(ref.world, {
      name: ref.physicalId,
      owner: ref.accountId,
      region: ref.region,
      ...(versioning === 'Enabled' || versioning === 'Suspended' ? { versioning } : {}),
      ...(encryption ? { encryption } : {}),
      now: ref.now,
    });
  },
  remove(_props, ref) {
    // CloudFormation cannot delete a bucket that holds objects: it stays (DELETE_FAILED in AWS).
    const bucket = bucketOf(ref.world, ref.physicalId);
    if (bucket && Object.values(bucket.objects).every((v) => v.length === 0))
      deleteBucket(ref.world, ref.physicalId);
  },
  reads(_props, ref) {
    const arn = `arn:aws:s3:::${ref.physicalId}`;
    return [
      { action: 's3:GetEncryptionConfiguration', resource: arn },
      { action: 's3:GetBucketVersioning', resource: arn },
    ];
  },
};

export const bucketPolicyProvider: ResourceProvider = {
  type: 'AWS::S3::BucketPolicy',
  service: 'S3',
  deniedStatus: 403,
  priority: 1,
  deleteNeedsProperties: true,
  calls(phase, props) {
    const bucket = str(props.Bucket) ?? '';
    const action = phase === 'delete' ? 's3:DeleteBucketPolicy' : 's3:PutBucketPolicy';
    return [{ action, resource: `arn:aws:s3:::${bucket}` }];
  },
  apply(props, ref) {
    const bucket = str(props.Bucket);
    if (bucket) putBucketPolicy(ref.world, bucket, policyText(props.PolicyDocument));
  },
  remove(props, ref) {
    const bucket = str(props.Bucket);
    if (bucket) putBucketPolicy(ref.world, bucket, undefined);
  },
  reads(props) {
    return [{ action: 's3:GetBucketPolicy', resource: `arn:aws:s3:::${str(props.Bucket) ?? ''}` }];
  },
};
