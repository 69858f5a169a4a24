/**
 * The restXml protocol as S3 speaks it: the bucket comes from the host (virtual-hosted style)
 * or the first path segment (path style), the operation from method + sub-resource query
 * (or the `x-id` the SDK adds), and each S3 operation shapes its own headers and XML body.
 */
import { AwsError, type SandboxRequest, type SandboxResponse, type ServiceEmulator } from '../types';
import type { DecodedCall, ProtocolCodec, ProtocolErrorCodes } from './codec';
import { escapeXml } from './xml';

/** What an S3 operation returns: status, headers and an already-serialised body. */
export interface RestResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export const restXmlErrorCodes: ProtocolErrorCodes = {
  unknownKey: { code: 'InvalidAccessKeyId', status: 403 },
  expired: { code: 'ExpiredToken', status: 400 },
  badSignature: { code: 'SignatureDoesNotMatch', status: 403 },
  throttled: { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' },
  unknownOperation: { code: 'NotImplemented', status: 400 },
  missingAuth: { code: 'AccessDenied', status: 403 },
  malformed: { code: 'InvalidRequest', status: 400 },
};

/** Bucket from a virtual-hosted host name (`bkt.s3.eu-west-1.amazonaws.com`, `bkt.localhost:4566`). */
export function bucketFromHost(hostname: string): string | undefined {
  const host = hostname.replace(/:\d+$/, '');
  const aws = /^(.+)\.s3(?:[.-](?:[a-z0-9-]+))*\.amazonaws\.com$/.exec(host);
  if (aws) return aws[1];
  const local = /^(.+)\.localhost$/.exec(host);
  if (local) return local[1];
  return undefined;
}

function has(query: SandboxRequest['query'], key: string): boolean {
  return Object.hasOwn(query, key);
}

function first(value: string | string[] | null | undefined): string | undefined {
  if (Array.isArray(value)) return value[0];
  return value ?? undefined;
}

/** Names the S3 operation of a request from its method, bucket/key and sub-resources. */
export function s3OperationOf(
  request: SandboxRequest,
  bucket: string | undefined,
  key: string | undefined,
): string {
  const xId = first(request.query['x-id']);
  if (xId) return xId;
  const q = request.query;
  const method = request.method.toUpperCase();
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method}Service`;
  if (key === undefined || key === '') {
    switch (method) {
      case 'PUT':
        if (has(q, 'versioning')) return 'PutBucketVersioning';
        if (has(q, 'policy')) return 'PutBucketPolicy';
        if (has(q, 'tagging')) return 'PutBucketTagging';
        if (has(q, 'encryption')) return 'PutBucketEncryption';
        return 'CreateBucket';
      case 'GET':
        if (has(q, 'versioning')) return 'GetBucketVersioning';
        if (has(q, 'location')) return 'GetBucketLocation';
        if (has(q, 'versions')) return 'ListObjectVersions';
        if (has(q, 'uploads')) return 'ListMultipartUploads';
        if (first(q['list-type']) === '2') return 'ListObjectsV2';
        if (has(q, 'policy')) return 'GetBucketPolicy';
        if (has(q, 'encryption')) return 'GetBucketEncryption';
        if (has(q, 'tagging')) return 'GetBucketTagging';
        return 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        if (has(q, 'policy')) return 'DeleteBucketPolicy';
        if (has(q, 'encryption')) return 'DeleteBucketEncryption';
        if (has(q, 'tagging')) return 'DeleteBucketTagging';
        return 'DeleteBucket';
      case 'POST':
        if (has(q, 'delete')) return 'DeleteObjects';
        return 'PostBucket';
    }
    return `${method}Bucket`;
  }
  switch (method) {
    case 'PUT':
      if (has(q, 'tagging')) return 'PutObjectTagging';
      if (has(q, 'uploadId') && has(q, 'partNumber'))
        return request.headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      return request.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'GET':
      if (has(q, 'tagging')) return 'GetObjectTagging';
      if (has(q, 'uploadId')) return 'ListParts';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      if (has(q, 'uploadId')) return 'AbortMultipartUpload';
      return 'DeleteObject';
    case 'POST':
      if (has(q, 'uploads')) return 'CreateMultipartUpload';
      if (has(q, 'uploadId')) return 'CompleteMultipartUpload';
      break;
  }
  return `${method}Object`;
}

/**
 * Decodes an `aws-chunked` body (sent when a client streams a payload, with or without chunk
 * signatures, which sigv4.ts has verified by now) into its data and its trailing headers
 * (`x-amz-checksum-crc32: ...`), lower-cased; the trailer's own signature is left out.
 */
export function decodeAwsChunkedWithTrailers(body: Buffer): {
  body: Buffer;
  trailers: Record<string, string>;
} {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const header = body.subarray(offset, lineEnd).toString('latin1');
    const size = Number.parseInt(header.split(';')[0] ?? '', 16);
    if (!Number.isFinite(size))
      throw new AwsError('IncompleteBody', 'The aws-chunked body is malformed.', 400);
    if (size === 0) {
      for (const line of body.toString('latin1', lineEnd + 2).split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        if (colon > 0 && name !== 'x-amz-trailer-signature') trailers[name] = line.slice(colon + 1).trim();
      }
      break;
    }
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), trailers };
}

/** The data of an `aws-chunked` body. */
export function decodeAwsChunked(body: Buffer): Buffer {
  return decodeAwsChunkedWithTrailers(body).body;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError('InvalidURI', `Couldn't parse the specified URI. Received: ${segment}`, 400);
  }
}

export const restXmlCodec: ProtocolCodec = {
  decode(request: SandboxRequest): DecodedCall {
    let bucket = bucketFromHost(request.hostname);
    let key: string | undefined;
    const path = request.path.startsWith('/') ? request.path.slice(1) : request.path;
    if (bucket) {
      key = path === '' ? undefined : safeDecode(path);
    } else {
      const slash = path.indexOf('/');
      const rawBucket = slash < 0 ? path : path.slice(0, slash);
      bucket = rawBucket === '' ? undefined : safeDecode(rawBucket);
      const rawKey = slash < 0 ? '' : path.slice(slash + 1);
      key = rawKey === '' ? undefined : safeDecode(rawKey);
    }
    let body = request.body;
    let trailers: Record<string, string> = {};
    const encoding = request.headers['content-encoding'] ?? '';
    const sha = request.headers['x-amz-content-sha256'] ?? '';
    if (encoding.includes('aws-chunked') || sha.startsWith('STREAMING-'))
      ({ body, trailers } = decodeAwsChunkedWithTrailers(body));
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(request.query)) params[k] = Array.isArray(v) ? v[0] : v;
    params.Bucket = bucket;
    params.Key = key;
    params.Body = body;
    params.Trailers = trailers;
    params.Headers = request.headers;
    return { operation: s3OperationOf(request, bucket, key), params };
  },
  encodeResult(
    result: unknown,
    _call: DecodedCall,
    _service: ServiceEmulator,
    requestId: string,
  ): SandboxResponse {
    const r = (result ?? {}) as RestResult;
    const body = r.body ?? '';
    return {
      statusCode: r.statusCode ?? 200,
      headers: { 'x-amz-request-id': requestId, ...(r.headers ?? {}) },
      body,
    };
  },
  encodeError(error: AwsError, requestId: string, request: SandboxRequest): SandboxResponse {
    const headers: Record<string, string> = { 'x-amz-request-id': requestId };
    if (request.method.toUpperCase() === 'HEAD') return { statusCode: error.statusCode, headers, body: '' };
    headers['content-type'] = 'application/xml';
    return {
      statusCode: error.statusCode,
      headers,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  },
};
