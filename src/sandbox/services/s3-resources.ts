/**
 * What CloudFormation's S3 providers write into the S3 emulator's state (src/sandbox/services/
 * s3-state.ts): buckets a stack creates, with their versioning and default encryption, and bucket
 * policies. Reads go through s3-state.ts (`bucketPolicyOf`, `bucketEncryptionOf`,
 * `objectEncryptionOf`), which every S3 and CloudFormation authorization uses.
 */
import type { SandboxWorld } from '../types';
import { own, setOwn } from '../world';
import { type S3Bucket, type S3Encryption, s3State } from './s3-state';

type World = Pick<SandboxWorld, 'section'>;

/** The bucket (owner, region ...) or undefined when there is no such bucket. */
export function bucketOf(world: World, bucket: string): S3Bucket | undefined {
  return own(s3State(world).buckets, bucket);
}

export interface PutBucketInput {
  name: string;
  owner: string;
  region: string;
  versioning?: 'Enabled' | 'Suspended';
  encryption?: S3Encryption;
  now: number;
}

/** Creates a bucket (or updates its configuration, keeping its objects), as a stack's `AWS::S3::Bucket`. */
export function putBucket(world: World, input: PutBucketInput): void {
  const buckets = s3State(world).buckets;
  const existing = bucketOf(world, input.name);
  const record: S3Bucket = existing ?? {
    owner: input.owner,
    region: input.region,
    createdAt: input.now,
    objects: {},
  };
  if (input.versioning !== undefined) record.versioning = input.versioning;
  if (input.encryption !== undefined) record.encryption = input.encryption;
  else delete record.encryption;
  if (!existing) setOwn(buckets, input.name, record);
}

/** Deletes a bucket when it holds no object version (S3 answers BucketNotEmpty otherwise); returns whether it did. */
export function deleteBucket(world: World, name: string): boolean {
  const buckets = s3State(world).buckets;
  const bucket = own(buckets, name);
  if (!bucket || Object.values(bucket.objects).some((versions) => versions.length > 0)) return false;
  delete buckets[name];
  return true;
}

/** Sets (or with undefined removes) a bucket's policy JSON text. */
export function putBucketPolicy(world: World, bucket: string, policy: string | undefined): boolean {
  const b = bucketOf(world, bucket);
  if (!b) return false;
  if (policy === undefined) delete b.policy;
  else b.policy = policy;
  return true;
}
