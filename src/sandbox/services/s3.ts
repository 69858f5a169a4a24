/**
 * S3 (REST/XML): buckets with versioning and the object operations stackfleet uses to hold
 * templates, target manifests and results. Buckets are global and owned by the creating account;
 * CloudFormation reads TemplateURLs through `world.readObject` (see `readObjectFromState`).
 */
import { createHash } from 'node:crypto';
import type { RestResult } from '../protocols/rest-xml';
import { childText, escapeXml, MalformedXmlError, parseXml } from '../protocols/xml';
import { AwsError, type OperationContext, type ServiceEmulator } from '../types';
import { own, setOwn } from '../world';

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
}

export interface S3Bucket {
  owner: string;
  region: string;
  createdAt: number;
  versioning?: 'Enabled' | 'Suspended';
  /** Versions per key, newest first. */
  objects: Record<string, S3ObjectVersion[]>;
}

export interface S3State {
  counter: number;
  buckets: Record<string, S3Bucket>;
}

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function s3State(world: { section<T extends object>(name: string, init: () => T): T }): S3State {
  return world.section<S3State>('s3', () => ({ counter: 0, buckets: {} }));
}

/**
 * Decoded bodies by version record: CloudFormation reads the same pinned template version for
 * every target of a rollout, and decoding it from base64 each time was most of reading it. The
 * entry remembers the text it was decoded from, so a record whose body changed decodes again.
 */
const decodedBodies = new WeakMap<S3ObjectVersion, { from: string; body: Buffer }>();

function decodedBody(version: S3ObjectVersion, base64: string): Buffer {
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

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

function noSuchBucket(name: string): AwsError {
  return new AwsError('NoSuchBucket', `The specified bucket does not exist. Received: ${name}`, 404);
}

function bucketFor(ctx: OperationContext, name: unknown): S3Bucket {
  if (typeof name !== 'string' || name === '')
    throw new AwsError('InvalidBucketName', 'The specified bucket is not valid. Received: (none)');
  const bucket = own(s3State(ctx.world).buckets, name);
  if (!bucket) throw noSuchBucket(name);
  if (bucket.owner !== ctx.caller.accountId) throw new AwsError('AccessDenied', 'Access Denied', 403);
  return bucket;
}

function keyOf(params: Record<string, unknown>): string {
  const key = params.Key;
  if (typeof key !== 'string' || key === '')
    throw new AwsError('InvalidArgument', 'An object key is required.');
  if (Buffer.byteLength(key) > 1024) throw new AwsError('KeyTooLongError', 'Your key is too long');
  return key;
}

function newVersionId(state: S3State, bucket: S3Bucket): string {
  if (bucket.versioning !== 'Enabled') return 'null';
  state.counter += 1;
  return `sfv${state.counter.toString(36).padStart(10, '0')}${createHash('md5').update(String(state.counter)).digest('hex').slice(0, 19)}`;
}

/** Adds a version, replacing the `null` version when versioning is not enabled (as S3 does). */
function addVersion(bucket: S3Bucket, key: string, version: S3ObjectVersion): void {
  const versions = own(bucket.objects, key) ?? [];
  const kept = version.versionId === 'null' ? versions.filter((v) => v.versionId !== 'null') : versions;
  setOwn(bucket.objects, key, [version, ...kept]);
}

function findVersion(bucket: S3Bucket, name: string, key: string, versionId: unknown): S3ObjectVersion {
  const versions = own(bucket.objects, key);
  if (versionId !== undefined && versionId !== null) {
    const version = versions?.find((v) => v.versionId === versionId);
    if (!version) {
      throw new AwsError(
        'NoSuchVersion',
        `The specified version does not exist. Received: ${String(versionId)}`,
        404,
      );
    }
    if (version.deleteMarker)
      throw new AwsError(
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        405,
      );
    return version;
  }
  const latest = versions?.[0];
  if (!latest || latest.deleteMarker) {
    throw new AwsError('NoSuchKey', `The specified key does not exist. Received: s3://${name}/${key}`, 404);
  }
  return latest;
}

function objectHeaders(v: S3ObjectVersion, versioned: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    etag: v.etag,
    'last-modified': httpDate(v.lastModified),
    'content-length': String(v.size),
    'content-type': v.contentType ?? 'binary/octet-stream',
    'accept-ranges': 'bytes',
  };
  if (versioned) headers['x-amz-version-id'] = v.versionId;
  for (const [k, value] of Object.entries(v.metadata ?? {})) headers[`x-amz-meta-${k}`] = value;
  return headers;
}

function xml(body: string): RestResult {
  return { headers: { 'content-type': 'application/xml' }, body: `${XML}${body}` };
}

const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function readXmlBody(body: Buffer): ReturnType<typeof parseXml> | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return parseXml(text);
  } catch (error) {
    if (error instanceof MalformedXmlError) {
      throw new AwsError(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    throw error;
  }
}

export function createS3Service(): ServiceEmulator {
  return {
    signingName: 's3',
    protocol: 'rest-xml',
    operations: {
      ListBuckets(_p, ctx): RestResult {
        const state = s3State(ctx.world);
        const mine = Object.entries(state.buckets)
          .filter(([, b]) => b.owner === ctx.caller.accountId)
          .sort(([a], [b]) => (a < b ? -1 : 1));
        const items = mine
          .map(
            ([name, b]) =>
              `<Bucket><Name>${escapeXml(name)}</Name><CreationDate>${isoDate(b.createdAt)}</CreationDate><BucketRegion>${b.region}</BucketRegion></Bucket>`,
          )
          .join('');
        return xml(
          `<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>${ctx.caller.accountId}</ID></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`,
        );
      },
      CreateBucket(p, ctx): RestResult {
        const name = String(p.Bucket ?? '');
        if (!BUCKET_NAME.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
          throw new AwsError('InvalidBucketName', `The specified bucket is not valid. Received: ${name}`);
        }
        const doc = readXmlBody(p.Body as Buffer);
        const constraint = doc ? childText(doc, 'LocationConstraint') : undefined;
        // AWS refuses a regional endpoint without a LocationConstraint; the sandbox is lenient and
        // puts the bucket in the region the request was sent to.
        const region = constraint || ctx.region;
        if (constraint && constraint !== ctx.region) {
          throw new AwsError(
            'IllegalLocationConstraintException',
            `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to (${ctx.region}).`,
          );
        }
        const state = s3State(ctx.world);
        const existing = own(state.buckets, name);
        if (existing) {
          if (existing.owner === ctx.caller.accountId) {
            throw new AwsError(
              'BucketAlreadyOwnedByYou',
              'Your previous request to create the named bucket succeeded and you already own it.',
              409,
            );
          }
          throw new AwsError(
            'BucketAlreadyExists',
            'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
            409,
          );
        }
        setOwn(state.buckets, name, {
          owner: ctx.caller.accountId,
          region,
          createdAt: ctx.now(),
          objects: {},
        });
        return { headers: { location: `/${name}` } };
      },
      HeadBucket(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        return { headers: { 'x-amz-bucket-region': bucket.region } };
      },
      GetBucketLocation(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const region = bucket.region === 'us-east-1' ? '' : bucket.region;
        return xml(`<LocationConstraint xmlns="${NS}">${region}</LocationConstraint>`);
      },
      DeleteBucket(p, ctx): RestResult {
        bucketFor(ctx, p.Bucket);
        const state = s3State(ctx.world);
        const bucket = state.buckets[String(p.Bucket)] as S3Bucket;
        if (Object.keys(bucket.objects).length > 0) {
          throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
        }
        delete state.buckets[String(p.Bucket)];
        return { statusCode: 204 };
      },
      PutBucketVersioning(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const doc = readXmlBody(p.Body as Buffer);
        const status = doc ? childText(doc, 'Status') : undefined;
        if (status !== 'Enabled' && status !== 'Suspended') {
          throw new AwsError(
            'MalformedXML',
            `Versioning Status must be Enabled or Suspended. Received: ${status ?? '(none)'}`,
          );
        }
        bucket.versioning = status;
        return {};
      },
      GetBucketVersioning(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const status = bucket.versioning ? `<Status>${bucket.versioning}</Status>` : '';
        return xml(`<VersioningConfiguration xmlns="${NS}">${status}</VersioningConfiguration>`);
      },
      PutObject(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const key = keyOf(p);
        const body = p.Body as Buffer;
        const headers = p.Headers as Record<string, string>;
        const state = s3State(ctx.world);
        const metadata: Record<string, string> = {};
        for (const [k, v] of Object.entries(headers))
          if (k.startsWith('x-amz-meta-')) metadata[k.slice(11)] = v;
        const version: S3ObjectVersion = {
          versionId: newVersionId(state, bucket),
          body: body.toString('base64'),
          etag: `"${createHash('md5').update(body).digest('hex')}"`,
          size: body.length,
          lastModified: ctx.now(),
        };
        if (headers['content-type']) version.contentType = headers['content-type'];
        if (Object.keys(metadata).length > 0) version.metadata = metadata;
        addVersion(bucket, key, version);
        const out: Record<string, string> = { etag: version.etag };
        if (bucket.versioning) out['x-amz-version-id'] = version.versionId;
        return { headers: out };
      },
      GetObject(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const key = keyOf(p);
        const version = findVersion(bucket, String(p.Bucket), key, p.versionId);
        return {
          headers: objectHeaders(version, bucket.versioning !== undefined),
          body: Buffer.from(version.body ?? '', 'base64'),
        };
      },
      HeadObject(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const key = keyOf(p);
        const version = findVersion(bucket, String(p.Bucket), key, p.versionId);
        return { headers: objectHeaders(version, bucket.versioning !== undefined) };
      },
      DeleteObject(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const key = keyOf(p);
        const state = s3State(ctx.world);
        const versions = own(bucket.objects, key) ?? [];
        if (p.versionId !== undefined && p.versionId !== null) {
          const index = versions.findIndex((v) => v.versionId === p.versionId);
          const removed = index >= 0 ? versions.splice(index, 1)[0] : undefined;
          if (versions.length === 0) delete bucket.objects[key];
          const headers: Record<string, string> = { 'x-amz-version-id': String(p.versionId) };
          if (removed?.deleteMarker) headers['x-amz-delete-marker'] = 'true';
          return { statusCode: 204, headers };
        }
        if (!bucket.versioning) {
          delete bucket.objects[key];
          return { statusCode: 204 };
        }
        const marker: S3ObjectVersion = {
          versionId: newVersionId(state, bucket),
          deleteMarker: true,
          etag: '',
          size: 0,
          lastModified: ctx.now(),
        };
        addVersion(bucket, key, marker);
        return {
          statusCode: 204,
          headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId },
        };
      },
      ListObjectsV2(p, ctx): RestResult {
        const bucket = bucketFor(ctx, p.Bucket);
        const prefix = typeof p.prefix === 'string' ? p.prefix : '';
        const delimiter = typeof p.delimiter === 'string' && p.delimiter !== '' ? p.delimiter : undefined;
        const maxKeys = p['max-keys'] === undefined || p['max-keys'] === null ? 1000 : Number(p['max-keys']);
        if (!Number.isInteger(maxKeys) || maxKeys < 0) {
          throw new AwsError(
            'InvalidArgument',
            `Provided max-keys not an integer or within integer range. Received: ${String(p['max-keys'])}`,
          );
        }
        let after = typeof p['start-after'] === 'string' ? p['start-after'] : '';
        const token = p['continuation-token'];
        if (typeof token === 'string' && token !== '') {
          try {
            after = Buffer.from(token, 'base64').toString('utf8');
          } catch {
            throw new AwsError('InvalidArgument', 'The continuation token provided is incorrect');
          }
        }
        const urlEncode = p['encoding-type'] === 'url';
        const enc = (s: string) => escapeXml(urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
        const keys = Object.keys(bucket.objects)
          .filter((k) => k.startsWith(prefix) && !bucket.objects[k]?.[0]?.deleteMarker)
          .sort();
        const contents: string[] = [];
        const prefixes: string[] = [];
        const seenPrefixes = new Set<string>();
        let count = 0;
        let lastReturned = '';
        let truncated = false;
        for (const key of keys) {
          if (key <= after) continue;
          let commonPrefix: string | undefined;
          if (delimiter) {
            const at = key.indexOf(delimiter, prefix.length);
            if (at >= 0) commonPrefix = key.slice(0, at + delimiter.length);
          }
          if (commonPrefix !== undefined && seenPrefixes.has(commonPrefix)) continue;
          if (count >= maxKeys) {
            truncated = true;
            break;
          }
          count += 1;
          if (commonPrefix !== undefined) {
            seenPrefixes.add(commonPrefix);
            prefixes.push(`<CommonPrefixes><Prefix>${enc(commonPrefix)}</Prefix></CommonPrefixes>`);
            // Continue after everything under this prefix.
            lastReturned = `${commonPrefix}\uffff`;
          } else {
            const v = bucket.objects[key]?.[0] as S3ObjectVersion;
            contents.push(
              `<Contents><Key>${enc(key)}</Key><LastModified>${isoDate(v.lastModified)}</LastModified><ETag>${escapeXml(v.etag)}</ETag><Size>${v.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
            );
            lastReturned = key;
          }
        }
        const next = truncated
          ? `<NextContinuationToken>${Buffer.from(lastReturned).toString('base64')}</NextContinuationToken>`
          : '';
        const tokenEcho =
          typeof token === 'string' && token !== ''
            ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>`
            : '';
        return xml(
          `<ListBucketResult xmlns="${NS}"><Name>${escapeXml(String(p.Bucket))}</Name><Prefix>${enc(prefix)}</Prefix>${delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : ''}<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${count}</KeyCount><IsTruncated>${truncated}</IsTruncated>${tokenEcho}${next}${urlEncode ? '<EncodingType>url</EncodingType>' : ''}${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
        );
      },
    },
  };
}
