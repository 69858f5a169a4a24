/**
 * S3 object operations: versions, delete markers, listing, and on every write the rules S3
 * applies (server-side encryption with the ETag it implies, Content-MD5 and checksum checks).
 */
import { createHash } from 'node:crypto';
import type { RestResult } from '../protocols/rest-xml';
import { escapeXml } from '../protocols/xml';
import { AwsError, type Operation } from '../types';
import { own, setOwn } from '../world';
import { checkContentMd5, checksumOf, declaredChecksum, headerName } from './s3-checksums';
import {
  bucketFor,
  encryptionHeaders,
  etagOf,
  httpDate,
  isoDate,
  keyOf,
  metadataOf,
  requestEncryption,
  xml,
} from './s3-common';
import { type S3Bucket, type S3ObjectVersion, type S3State, s3State } from './s3-state';

export function newVersionId(state: S3State, bucket: S3Bucket): string {
  if (bucket.versioning !== 'Enabled') return 'null';
  state.counter += 1;
  return `sfv${state.counter.toString(36).padStart(10, '0')}${createHash('md5').update(String(state.counter)).digest('hex').slice(0, 19)}`;
}

/** Adds a version, replacing the `null` version when versioning is not enabled (as S3 does). */
export function addVersion(bucket: S3Bucket, key: string, version: S3ObjectVersion): void {
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

/**
 * The current version's ETag-based preconditions of a write or delete (S3 User Guide,
 * conditional-writes and conditional-deletes; they apply to the current version only):
 * `If-None-Match: *` writes only where no object is; `If-Match: <etag>` (or `*`) only over an
 * object that is there with that ETag. Not met: 412 PreconditionFailed; `If-Match` where there is
 * no object: 404 NoSuchKey. Another `If-None-Match` value is a feature S3 does not have.
 */
function checkPreconditions(
  bucket: S3Bucket,
  name: string,
  key: string,
  headers: Record<string, string>,
  allowIfNoneMatch: boolean,
): void {
  const current = own(bucket.objects, key)?.[0];
  const exists = current !== undefined && !current.deleteMarker;
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined && allowIfNoneMatch) {
    if (noneMatch.trim() !== '*') {
      throw new AwsError(
        'NotImplemented',
        `A header you provided implies functionality that is not implemented. Received: If-None-Match: ${noneMatch}`,
        501,
      );
    }
    if (exists) {
      throw new AwsError(
        'PreconditionFailed',
        `At least one of the pre-conditions you specified did not hold. Received: If-None-Match: * on s3://${name}/${key}, which exists`,
        412,
      );
    }
  }
  const match = headers['if-match'];
  if (match === undefined) return;
  if (!exists) {
    throw new AwsError('NoSuchKey', `The specified key does not exist. Received: s3://${name}/${key}`, 404);
  }
  const unquote = (tag: string) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  if (match.trim() !== '*' && unquote(match) !== unquote(current.etag)) {
    throw new AwsError(
      'PreconditionFailed',
      `At least one of the pre-conditions you specified did not hold. Received: If-Match: ${match}, current ETag ${current.etag}`,
      412,
    );
  }
}

/** The headers of a stored object; its checksum only when the reader asked for it (`x-amz-checksum-mode: ENABLED`). */
function objectHeaders(
  v: S3ObjectVersion,
  versioned: boolean,
  request: Record<string, string>,
): Record<string, string> {
  const headers: Record<string, string> = {
    etag: v.etag,
    'last-modified': httpDate(v.lastModified),
    'content-length': String(v.size),
    'content-type': v.contentType ?? 'binary/octet-stream',
    'accept-ranges': 'bytes',
    ...encryptionHeaders(v.encryption),
  };
  if (versioned) headers['x-amz-version-id'] = v.versionId;
  if (v.parts !== undefined) headers['x-amz-mp-parts-count'] = String(v.parts);
  if (v.checksum && request['x-amz-checksum-mode']?.toUpperCase() === 'ENABLED') {
    headers[headerName(v.checksum.algorithm)] = v.checksum.value;
    headers['x-amz-checksum-type'] = v.checksum.type;
  }
  for (const [k, value] of Object.entries(v.metadata ?? {})) headers[`x-amz-meta-${k}`] = value;
  return headers;
}

/**
 * The byte range of a `Range: bytes=a-b` header (RFC 9110 single ranges, as GetObject takes them:
 * `a-b`, `a-`, `-suffix`); undefined for a header S3 ignores (not `bytes=`, several ranges), and
 * InvalidRange (416) for a range that starts past the end.
 */
function byteRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size || size === 0) {
    throw new AwsError('InvalidRange', `The requested range is not satisfiable. Received: ${header}`, 416);
  }
  return { start, end };
}

export const objectOperations: Record<string, Operation> = {
  PutObject(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const body = p.Body as Buffer;
    const headers = p.Headers as Record<string, string>;
    const state = s3State(ctx.world);
    checkPreconditions(bucket, String(p.Bucket), key, headers, true);
    checkContentMd5(headers, body);
    const declared = declaredChecksum(headers, (p.Trailers ?? {}) as Record<string, string>, body);
    const { encryption, context } = requestEncryption(headers, bucket);
    const version: S3ObjectVersion = {
      versionId: newVersionId(state, bucket),
      body: body.toString('base64'),
      etag: etagOf(state, body, encryption),
      size: body.length,
      lastModified: ctx.now(),
      encryption,
      // S3 adds a CRC64NVME checksum to every new object that arrives without one.
      checksum: declared
        ? { ...declared, type: 'FULL_OBJECT' }
        : { algorithm: 'CRC64NVME', value: checksumOf('CRC64NVME', body), type: 'FULL_OBJECT' },
    };
    if (context !== undefined) version.encryptionContext = context;
    if (headers['content-type']) version.contentType = headers['content-type'];
    const metadata = metadataOf(headers);
    if (metadata) version.metadata = metadata;
    addVersion(bucket, key, version);
    const out: Record<string, string> = { etag: version.etag, ...encryptionHeaders(encryption) };
    if (bucket.versioning) out['x-amz-version-id'] = version.versionId;
    if (declared) {
      out[headerName(declared.algorithm)] = declared.value;
      out['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    return { headers: out };
  },
  GetObject(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const version = findVersion(bucket, String(p.Bucket), key, p.versionId);
    const request = p.Headers as Record<string, string>;
    const body = Buffer.from(version.body ?? '', 'base64');
    const range = request.range === undefined ? undefined : byteRange(request.range, body.length);
    if (!range) return { headers: objectHeaders(version, bucket.versioning !== undefined, request), body };
    // A ranged read answers 206 with Content-Range, and no whole-object checksum for a part of it.
    const headers = objectHeaders(version, bucket.versioning !== undefined, {});
    headers['content-length'] = String(range.end - range.start + 1);
    headers['content-range'] = `bytes ${range.start}-${range.end}/${body.length}`;
    return { statusCode: 206, headers, body: body.subarray(range.start, range.end + 1) };
  },
  HeadObject(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const version = findVersion(bucket, String(p.Bucket), key, p.versionId);
    return {
      headers: objectHeaders(version, bucket.versioning !== undefined, p.Headers as Record<string, string>),
    };
  },
  DeleteObject(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const state = s3State(ctx.world);
    checkPreconditions(bucket, String(p.Bucket), key, (p.Headers ?? {}) as Record<string, string>, false);
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
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(String(p.Bucket))}</Name><Prefix>${enc(prefix)}</Prefix>${delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : ''}<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${count}</KeyCount><IsTruncated>${truncated}</IsTruncated>${tokenEcho}${next}${urlEncode ? '<EncodingType>url</EncodingType>' : ''}${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
    );
  },
};
