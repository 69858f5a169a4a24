/**
 * What S3 keeps in the world: buckets (owner account, region, versioning, default encryption,
 * bucket policy), object versions with their encryption and checksum, and multipart uploads in
 * progress. Also the read-only views other parts of the sandbox need: CloudFormation reads
 * TemplateURLs (`readObjectFromState`), and the IAM evaluation reads bucket policies, owners and
 * encryption (`bucketPolicyOf`, `bucketOwnerOf`, `bucketEncryptionOf`, `objectEncryptionOf`).
 */
import type { SandboxWorld } from '../types';
import { own } from '../world';
import type { ChecksumAlgorithm } from './s3-checksums';

export type SseAlgorithm = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

/** Server-side encryption of an object, or a bucket's default (ServerSideEncryptionConfiguration). */
export interface S3Encryption {
  sseAlgorithm: SseAlgorithm;
  /** For aws:kms / aws:kms:dsse: the key as a key ARN (or as given, for an alias). */
  kmsKeyId?: string;
  bucketKeyEnabled: boolean;
}

export interface S3Checksum {
  algorithm: ChecksumAlgorithm;
  /** Base64, as the `x-amz-checksum-*` headers carry it (`...-N` for a composite multipart checksum). */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

export interface S3ObjectVersion {
  versionId: string;
  /** Base64 body; absent for delete markers. */
  body?: string;
  deleteMarker?: boolean;
  etag: string;
  size: number;
  lastModified: number;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Absent for objects written before encryption was recorded (read as SSE-S3). */
  encryption?: S3Encryption;
  /** `x-amz-server-side-encryption-context` (base64 JSON) of an SSE-KMS object. */
  encryptionContext?: string;
  checksum?: S3Checksum;
  /** Number of parts, for an object completed from a multipart upload. */
  parts?: number;
}

export interface S3Bucket {
  /** The account that created the bucket: the bucket owner (`s3:ResourceAccount`). */
  owner: string;
  region: string;
  createdAt: number;
  versioning?: 'Enabled' | 'Suspended';
  /** PutBucketEncryption; absent: S3's default SSE-S3. */
  encryption?: S3Encryption;
  /** PutBucketPolicy, the JSON text as it was put. */
  policy?: string;
  /** Versions per key, newest first. */
  objects: Record<string, S3ObjectVersion[]>;
}

export interface S3UploadPart {
  /** Base64 body. */
  body: string;
  etag: string;
  size: number;
  checksum?: string;
}

export interface S3MultipartUpload {
  bucket: string;
  key: string;
  initiated: number;
  initiator: string;
  contentType?: string;
  metadata?: Record<string, string>;
  encryption: S3Encryption;
  encryptionContext?: string;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  parts: Record<string, S3UploadPart>;
}

export interface S3State {
  counter: number;
  buckets: Record<string, S3Bucket>;
  /** Multipart uploads in progress, by upload id. */
  uploads?: Record<string, S3MultipartUpload>;
}

export function s3State(world: { section<T extends object>(name: string, init: () => T): T }): S3State {
  return world.section<S3State>('s3', () => ({ counter: 0, buckets: {} }));
}

/** Every bucket without a configuration of its own is encrypted with SSE-S3 (S3 API Reference, GetBucketEncryption). */
export const DEFAULT_ENCRYPTION: S3Encryption = { sseAlgorithm: 'AES256', bucketKeyEnabled: false };

function bucketOf(world: SandboxWorld, bucket: string): S3Bucket | undefined {
  const buckets = (world.state.s3 as S3State | undefined)?.buckets;
  return buckets ? own(buckets, bucket) : undefined;
}

/** The bucket policy's JSON text, or undefined (no such bucket, or no policy). */
export function bucketPolicyOf(world: SandboxWorld, bucket: string): string | undefined {
  return bucketOf(world, bucket)?.policy;
}

/** The account that owns a bucket (created it), or undefined when there is no such bucket. */
export function bucketOwnerOf(world: SandboxWorld, bucket: string): string | undefined {
  return bucketOf(world, bucket)?.owner;
}

/** A bucket's default encryption (SSE-S3 unless PutBucketEncryption set another), or undefined for no bucket. */
export function bucketEncryptionOf(world: SandboxWorld, bucket: string): S3Encryption | undefined {
  const b = bucketOf(world, bucket);
  return b ? { ...(b.encryption ?? DEFAULT_ENCRYPTION) } : undefined;
}

/** How an object version is encrypted (the key a reader needs kms:Decrypt on), or undefined for no such object. */
export function objectEncryptionOf(
  world: SandboxWorld,
  bucket: string,
  key: string,
  versionId?: string,
): S3Encryption | undefined {
  const versions = own(bucketOf(world, bucket)?.objects ?? {}, key);
  const v = versionId === undefined ? versions?.[0] : versions?.find((x) => x.versionId === versionId);
  if (!v || v.deleteMarker) return undefined;
  return { ...(v.encryption ?? DEFAULT_ENCRYPTION) };
}

/**
 * Decoded bodies by version record: CloudFormation reads the same pinned template version for
 * every target of a rollout, and decoding it from base64 each time was most of reading it. The
 * entry remembers the text it was decoded from, so a record whose body changed decodes again.
 */
const decodedBodies = new WeakMap<S3ObjectVersion, { from: string; body: Buffer }>();

export function decodedBody(version: S3ObjectVersion, base64: string): Buffer {
  const known = decodedBodies.get(version);
  if (known?.from === base64) return known.body;
  const body = Buffer.from(base64, 'base64');
  decodedBodies.set(version, { from: base64, body });
  return body;
}

/**
 * Reads an object straight from the persisted state (no access checks: CloudFormation's own
 * read). The body is shared between readers of the same version: read it, do not change it.
 */
export function readObjectFromState(
  state: Record<string, unknown>,
  bucket: string,
  key: string,
  versionId?: string,
): { body: Buffer; versionId: string } | undefined {
  const buckets = (state.s3 as S3State | undefined)?.buckets;
  const b = buckets ? own(buckets, bucket) : undefined;
  const versions = b ? own(b.objects, key) : undefined;
  if (!versions) return undefined;
  const v = versionId === undefined ? versions[0] : versions.find((x) => x.versionId === versionId);
  if (!v || v.deleteMarker || v.body === undefined) return undefined;
  return { body: decodedBody(v, v.body), versionId: v.versionId };
}

/** Bucket, key and version of an S3 URL in the virtual-hosted or path style (`TemplateURL`). */
export function parseS3Url(url: string): { bucket: string; key: string; versionId?: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const versionId = parsed.searchParams.get('versionId') ?? undefined;
  const path = parsed.pathname.replace(/^\//, '');
  const host = parsed.hostname;
  const virtual =
    /^(.+)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/.exec(host) ?? /^(.+)\.localhost$/.exec(host);
  let bucket: string;
  let key: string;
  if (virtual?.[1]) {
    bucket = virtual[1];
    key = path;
  } else {
    const slash = path.indexOf('/');
    if (slash <= 0) return undefined;
    bucket = path.slice(0, slash);
    key = path.slice(slash + 1);
  }
  if (key === '') return undefined;
  try {
    key = decodeURIComponent(key);
  } catch {
    return undefined;
  }
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}
