/**
 * What authorization needs to know of a resource: the account that owns it and its resource-based
 * policy, read from each service's state. One adapter per resource kind, so the services keep their
 * own state shapes and IAM reads them in one place.
 */
import {
  bucketEncryptionOf,
  bucketOwnerOf,
  bucketPolicyOf,
  objectEncryptionOf,
  s3State,
} from '../services/s3';
import { snsState } from '../services/sns';
import type { SandboxWorld } from '../types';
import { own } from '../world';

export interface ResourceFacts {
  /** Owning account. */
  accountId: string;
  /** The resource-based policy as JSON text, if it has one. */
  policy?: string;
}

export interface BucketFacts extends ResourceFacts {
  region: string;
  /** Default encryption key of an SSE-KMS bucket (key ARN or id). */
  kmsKeyId?: string;
}

/** A bucket's owner, policy and default encryption; undefined when it does not exist. */
export function bucketFacts(world: SandboxWorld, name: string): BucketFacts | undefined {
  const owner = bucketOwnerOf(world, name);
  if (owner === undefined) return undefined;
  const bucket = own(s3State(world).buckets, name);
  const facts: BucketFacts = { accountId: owner, region: bucket?.region ?? 'us-east-1' };
  const policy = bucketPolicyOf(world, name);
  if (policy !== undefined) facts.policy = policy;
  const encryption = bucketEncryptionOf(world, name);
  if (encryption?.sseAlgorithm.startsWith('aws:kms') && encryption.kmsKeyId !== undefined)
    facts.kmsKeyId = encryption.kmsKeyId;
  return facts;
}

/** Whether an object (the version, or the latest) exists, and the customer KMS key it is encrypted with. */
export function objectFacts(
  world: SandboxWorld,
  bucket: string,
  key: string,
  versionId?: string,
): { exists: boolean; kmsKeyId?: string } {
  const b = own(s3State(world).buckets, bucket);
  const versions = b ? own(b.objects, key) : undefined;
  if (!versions || versions.length === 0) return { exists: false };
  const version = versionId === undefined ? versions[0] : versions.find((v) => v.versionId === versionId);
  if (!version || version.deleteMarker) return { exists: false };
  const encryption = objectEncryptionOf(world, bucket, key, versionId);
  if (encryption?.sseAlgorithm.startsWith('aws:kms') && encryption.kmsKeyId)
    return { exists: true, kmsKeyId: encryption.kmsKeyId };
  return { exists: true };
}

/** A topic's owner and access policy; undefined when it does not exist. */
export function topicFacts(
  world: SandboxWorld,
  arn: string,
): (ResourceFacts & { kmsKeyId?: string }) | undefined {
  const topic = own(snsState(world).topics, arn);
  if (!topic) return undefined;
  const facts: ResourceFacts & { kmsKeyId?: string } = { accountId: topic.owner };
  if (topic.attributes.Policy !== undefined) facts.policy = topic.attributes.Policy;
  if (topic.attributes.KmsMasterKeyId !== undefined) facts.kmsKeyId = topic.attributes.KmsMasterKeyId;
  return facts;
}
