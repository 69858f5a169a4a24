/**
 * What the S3 operations share: finding the caller's bucket and key, XML bodies, and the rules
 * for server-side encryption and ETags that every write follows.
 */
import { createHash } from 'node:crypto';
import type { RestResult } from '../protocols/rest-xml';
import { MalformedXmlError, parseXml } from '../protocols/xml';
import { AwsError, type OperationContext } from '../types';
import { own } from '../world';
import {
  DEFAULT_ENCRYPTION,
  type S3Bucket,
  type S3Encryption,
  type S3State,
  type SseAlgorithm,
  s3State,
} from './s3-state';

export const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function xml(body: string): RestResult {
  return { headers: { 'content-type': 'application/xml' }, body: `${XML}${body}` };
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

export function noSuchBucket(name: string): AwsError {
  return new AwsError('NoSuchBucket', `The specified bucket does not exist. Received: ${name}`, 404);
}

/** The named bucket, when it exists and the caller's account owns it (cross-account access is the IAM layer's). */
export function bucketFor(ctx: OperationContext, name: unknown): S3Bucket {
  if (typeof name !== 'string' || name === '')
    throw new AwsError('InvalidBucketName', 'The specified bucket is not valid. Received: (none)');
  const bucket = own(s3State(ctx.world).buckets, name);
  if (!bucket) throw noSuchBucket(name);
  // Who may use it was decided on the request path: the caller's policies and the bucket policy.
  return bucket;
}

/**
 * A bucket whose policy the caller manages: only the owning account may, whatever its policies
 * say (S3 API Reference, PutBucketPolicy: "If you don't have PutBucketPolicy permissions, Amazon
 * S3 returns a 403 Access Denied error. If you have the correct permissions, but you're not using
 * an identity that belongs to the bucket owner's account, Amazon S3 returns a 405 Method Not
 * Allowed error").
 */
export function ownedBucketFor(ctx: OperationContext, name: unknown): S3Bucket {
  const bucket = bucketFor(ctx, name);
  if (bucket.owner !== ctx.caller.accountId) {
    throw new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  }
  return bucket;
}

export function keyOf(params: Record<string, unknown>): string {
  const key = params.Key;
  if (typeof key !== 'string' || key === '')
    throw new AwsError('InvalidArgument', 'An object key is required.');
  if (Buffer.byteLength(key) > 1024) throw new AwsError('KeyTooLongError', 'Your key is too long');
  return key;
}

export function readXmlBody(body: Buffer): ReturnType<typeof parseXml> | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return parseXml(text);
  } catch (error) {
    if (error instanceof MalformedXmlError) throw malformedXml();
    throw error;
  }
}

export function malformedXml(detail?: string): AwsError {
  return new AwsError(
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema${detail ? `. ${detail}` : ''}`,
  );
}

/** `x-amz-meta-*` headers as the object's user metadata. */
export function metadataOf(headers: Record<string, string>): Record<string, string> | undefined {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.startsWith('x-amz-meta-')) metadata[k.slice(11)] = v;
  return Object.keys(metadata).length > 0 ? metadata : undefined;
}

const SSE_ALGORITHMS: readonly SseAlgorithm[] = ['AES256', 'aws:kms', 'aws:kms:dsse'];

export function isSseAlgorithm(value: string): value is SseAlgorithm {
  return (SSE_ALGORITHMS as readonly string[]).includes(value);
}

export function isKms(algorithm: SseAlgorithm): boolean {
  return algorithm !== 'AES256';
}

/**
 * A KMS key as S3 reports it: a key ARN for a key id, the ARN as given otherwise. Without a KMS
 * emulator an alias cannot be resolved to its key, so an alias stays an alias ARN.
 */
export function kmsKeyArn(keyId: string, region: string, account: string): string {
  if (keyId.startsWith('arn:')) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/.test(keyId))
      throw new AwsError('InvalidArgument', `Invalid arn. Received: ${keyId}`);
    return keyId;
  }
  if (keyId.startsWith('alias/')) return `arn:aws:kms:${region}:${account}:${keyId}`;
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

/** The AWS managed key `aws/s3` of an account and region (used when SSE-KMS names no key). */
export function awsManagedS3Key(region: string, account: string): string {
  const h = createHash('sha256').update(`aws/s3:${account}:${region}`).digest('hex');
  return `arn:aws:kms:${region}:${account}:key/${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The encryption of an object written with these headers into `bucket`: the request's
 * `x-amz-server-side-encryption*` headers, else the bucket's default (S3 User Guide, "Setting
 * default server-side encryption behavior for Amazon S3 buckets").
 */
export function requestEncryption(
  headers: Record<string, string>,
  bucket: S3Bucket,
): { encryption: S3Encryption; context?: string } {
  if (headers['x-amz-server-side-encryption-customer-algorithm'] !== undefined)
    throw new AwsError('NotImplemented', 'not implemented in the sandbox: SSE-C (customer-provided keys)');
  const requested = headers['x-amz-server-side-encryption'];
  const keyId = headers['x-amz-server-side-encryption-aws-kms-key-id'];
  const bucketKey = headers['x-amz-server-side-encryption-bucket-key-enabled'];
  const context = headers['x-amz-server-side-encryption-context'];
  const fallback = bucket.encryption ?? DEFAULT_ENCRYPTION;
  if (requested !== undefined && !isSseAlgorithm(requested))
    throw new AwsError(
      'InvalidArgument',
      `The encryption method specified is not supported. Received: ${requested}`,
    );
  const algorithm = requested ?? fallback.sseAlgorithm;
  if (!isKms(algorithm)) {
    if (keyId !== undefined || context !== undefined)
      throw new AwsError(
        'InvalidArgument',
        'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
      );
    return { encryption: { sseAlgorithm: 'AES256', bucketKeyEnabled: false } };
  }
  const inherited =
    requested === undefined || requested === fallback.sseAlgorithm ? fallback.kmsKeyId : undefined;
  const kmsKeyId =
    keyId !== undefined
      ? kmsKeyArn(keyId, bucket.region, bucket.owner)
      : (inherited ?? awsManagedS3Key(bucket.region, bucket.owner));
  const bucketKeyEnabled =
    algorithm === 'aws:kms' && (bucketKey === undefined ? fallback.bucketKeyEnabled : bucketKey === 'true');
  const encryption: S3Encryption = { sseAlgorithm: algorithm, kmsKeyId, bucketKeyEnabled };
  return context === undefined ? { encryption } : { encryption, context };
}

/** The response headers that say how an object is encrypted. */
export function encryptionHeaders(encryption: S3Encryption | undefined): Record<string, string> {
  const e = encryption ?? DEFAULT_ENCRYPTION;
  const headers: Record<string, string> = { 'x-amz-server-side-encryption': e.sseAlgorithm };
  if (isKms(e.sseAlgorithm) && e.kmsKeyId)
    headers['x-amz-server-side-encryption-aws-kms-key-id'] = e.kmsKeyId;
  if (e.bucketKeyEnabled) headers['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
  return headers;
}

/**
 * The ETag of a single-part object or a part: the MD5 of the data for SSE-S3; for SSE-KMS (and
 * DSSE-KMS) not an MD5 of the data (S3 API Reference, Object: "Objects encrypted by SSE-C or
 * SSE-KMS have ETags that are not an MD5 digest of their object data"), and different for each
 * upload of the same data, as each is encrypted under a fresh data key.
 */
export function etagOf(state: S3State, data: Uint8Array, encryption: S3Encryption): string {
  const md5 = createHash('md5').update(data).digest('hex');
  if (!isKms(encryption.sseAlgorithm)) return `"${md5}"`;
  state.counter += 1;
  return `"${createHash('md5')
    .update(`sse-kms:${state.counter}:${encryption.kmsKeyId ?? ''}:${md5}`)
    .digest('hex')}"`;
}
