/**
 * The parts of an S3 bucket other services read and CloudFormation writes: the bucket policy
 * (JSON text), default encryption, versioning, and an object version's server-side encryption.
 *
 * ASSUMPTION (branch wire-rules is adding bucket policies, default encryption and owner accounts
 * to s3.ts): until that lands these live on the bucket record as `policy`, `encryption` and on
 * an object version as `sse`. When wire-rules' `bucketPolicyOf(world, bucket)` and
 * `bucketEncryptionOf(world, bucket)` exist, this module's functions of the same names should
 * delegate to them (callers need not change).
 */
import type { SandboxWorld } from '../types';
import { own, setOwn } from '../world';
import { type S3Bucket, type S3ObjectVersion, s3State } from './s3';

type World = Pick<SandboxWorld, 'section'>;

/** Default encryption as PutBucketEncryption takes it (one rule). */
export interface BucketEncryption {
  algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  /** Key id, key ARN or alias for SSE-KMS; absent means the AWS managed key `aws/s3`. */
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
}

interface BucketExtras {
  policy?: string;
  encryption?: BucketEncryption;
  managedBy?: { stackId: string; logicalId: string };
}

interface VersionExtras {
  sse?: BucketEncryption;
}

function bucketRecord(world: World, bucket: string): (S3Bucket & BucketExtras) | undefined {
  return own(s3State(world).buckets, bucket) as (S3Bucket & BucketExtras) | undefined;
}

/** The bucket (owner, region ...) or undefined when there is no such bucket. */
export function bucketOf(world: World, bucket: string): S3Bucket | undefined {
  return bucketRecord(world, bucket);
}

/** The bucket policy as JSON text, or undefined when the bucket has none. */
export function bucketPolicyOf(world: World, bucket: string): string | undefined {
  return bucketRecord(world, bucket)?.policy;
}

/** Default encryption of a bucket (S3 encrypts every new object, SSE-S3 when nothing is set). */
export function bucketEncryptionOf(world: World, bucket: string): BucketEncryption {
  return bucketRecord(world, bucket)?.encryption ?? { algorithm: 'AES256' };
}

/**
 * How an object version is encrypted: its own record when it has one, else the bucket's default
 * encryption (an approximation for versions written before encryption was recorded per object).
 */
export function objectEncryptionOf(
  world: World,
  bucket: string,
  key: string,
  versionId?: string,
): BucketEncryption {
  const b = bucketRecord(world, bucket);
  const versions = b ? own(b.objects, key) : undefined;
  const v = (versionId === undefined ? versions?.[0] : versions?.find((x) => x.versionId === versionId)) as
    | (S3ObjectVersion & VersionExtras)
    | undefined;
  return v?.sse ?? bucketEncryptionOf(world, bucket);
}

export interface PutBucketInput {
  name: string;
  owner: string;
  region: string;
  versioning?: 'Enabled' | 'Suspended';
  encryption?: BucketEncryption;
  managedBy?: { stackId: string; logicalId: string };
  now: number;
}

/** Creates a bucket (or updates its configuration, keeping its objects), as a stack's `AWS::S3::Bucket`. */
export function putBucket(world: World, input: PutBucketInput): void {
  const buckets = s3State(world).buckets;
  const existing = bucketRecord(world, input.name);
  const record: S3Bucket & BucketExtras = existing ?? {
    owner: input.owner,
    region: input.region,
    createdAt: input.now,
    objects: {},
  };
  if (input.versioning !== undefined) record.versioning = input.versioning;
  if (input.encryption !== undefined) record.encryption = input.encryption;
  else delete record.encryption;
  if (input.managedBy !== undefined) record.managedBy = input.managedBy;
  if (!existing) setOwn(buckets, input.name, record);
}

/** Deletes a bucket (CloudFormation's delete fails on a non-empty bucket; the caller checks). */
export function deleteBucket(world: World, name: string): boolean {
  const buckets = s3State(world).buckets;
  if (!own(buckets, name)) return false;
  delete buckets[name];
  return true;
}

/** Whether a bucket holds any object version (DeleteBucket answers BucketNotEmpty then). */
export function bucketHasObjects(world: World, name: string): boolean {
  const b = bucketRecord(world, name);
  return b !== undefined && Object.values(b.objects).some((versions) => versions.length > 0);
}

export function putBucketPolicy(world: World, bucket: string, policy: string | undefined): boolean {
  const b = bucketRecord(world, bucket);
  if (!b) return false;
  if (policy === undefined) delete b.policy;
  else b.policy = policy;
  return true;
}
