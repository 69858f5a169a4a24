/**
 * S3 multipart uploads (CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload), as the AWS CLI uses them for files over 8 MB, with S3's rules: part
 * numbers 1-10,000, parts listed in ascending order with their ETags, every part but the last at
 * least 5 MiB, the object's ETag the MD5 of the parts' MD5s with `-<count>`, and checksums
 * FULL_OBJECT or COMPOSITE (S3 User Guide, "Uploading and copying objects using multipart upload"
 * and "Checking object integrity").
 */
import { createHash } from 'node:crypto';
import type { RestResult } from '../protocols/rest-xml';
import { childText, escapeXml } from '../protocols/xml';
import { AwsError, type Operation } from '../types';
import { own, setOwn } from '../world';
import {
  type ChecksumAlgorithm,
  checkContentMd5,
  checksumBytes,
  checksumOf,
  declaredChecksum,
  headerName,
  parseAlgorithm,
} from './s3-checksums';
import {
  bucketFor,
  encryptionHeaders,
  etagOf,
  keyOf,
  malformedXml,
  metadataOf,
  NS,
  readXmlBody,
  requestEncryption,
  xml,
} from './s3-common';
import { addVersion, newVersionId } from './s3-objects';
import {
  type S3Checksum,
  type S3MultipartUpload,
  type S3ObjectVersion,
  type S3State,
  s3State,
} from './s3-state';

/** Every part but the last must be at least 5 MiB (S3 User Guide, "Amazon S3 multipart upload limits"). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

function uploads(state: S3State): Record<string, S3MultipartUpload> {
  state.uploads ??= {};
  return state.uploads;
}

function noSuchUpload(id: unknown): AwsError {
  return new AwsError(
    'NoSuchUpload',
    `The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed. Received: ${String(id)}`,
    404,
  );
}

function uploadFor(
  state: S3State,
  p: Record<string, unknown>,
  bucket: string,
  key: string,
): S3MultipartUpload {
  const id = typeof p.uploadId === 'string' ? p.uploadId : '';
  const upload = own(uploads(state), id);
  if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(p.uploadId);
  return upload;
}

function partNumberOf(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000 || String(value).trim() === '') {
    throw new AwsError(
      'InvalidArgument',
      `Part number must be an integer between 1 and 10000, inclusive. Received: ${String(value)}`,
    );
  }
  return n;
}

/** The object-level checksum of a completed upload (S3 User Guide, "Using full object checksums" / composite). */
function completedChecksum(upload: S3MultipartUpload, body: Buffer, partChecksums: string[]): S3Checksum {
  const algorithm: ChecksumAlgorithm = upload.checksumAlgorithm ?? 'CRC64NVME';
  const type =
    upload.checksumType ??
    (upload.checksumAlgorithm && algorithm !== 'CRC64NVME' ? 'COMPOSITE' : 'FULL_OBJECT');
  if (type === 'FULL_OBJECT') return { algorithm, value: checksumOf(algorithm, body), type };
  const raw = Buffer.concat(partChecksums.map((c) => Buffer.from(c, 'base64')));
  return {
    algorithm,
    value: `${checksumBytes(algorithm, raw).toString('base64')}-${partChecksums.length}`,
    type,
  };
}

export const multipartOperations: Record<string, Operation> = {
  CreateMultipartUpload(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const headers = p.Headers as Record<string, string>;
    const state = s3State(ctx.world);
    const { encryption, context } = requestEncryption(headers, bucket);
    const upload: S3MultipartUpload = {
      bucket: String(p.Bucket),
      key,
      initiated: ctx.now(),
      initiator: ctx.caller.arn,
      encryption,
      parts: {},
    };
    if (context !== undefined) upload.encryptionContext = context;
    if (headers['content-type']) upload.contentType = headers['content-type'];
    const metadata = metadataOf(headers);
    if (metadata) upload.metadata = metadata;
    const algorithm = headers['x-amz-checksum-algorithm'];
    if (algorithm !== undefined)
      upload.checksumAlgorithm = parseAlgorithm(algorithm, 'x-amz-checksum-algorithm');
    const type = headers['x-amz-checksum-type'];
    if (type !== undefined) {
      if (type !== 'FULL_OBJECT' && type !== 'COMPOSITE')
        throw new AwsError(
          'InvalidRequest',
          `Value for x-amz-checksum-type header is invalid. Received: ${type}`,
        );
      if (type === 'FULL_OBJECT' && /^SHA/.test(upload.checksumAlgorithm ?? ''))
        throw new AwsError(
          'InvalidRequest',
          `The ${upload.checksumAlgorithm} checksum does not support the FULL_OBJECT checksum type.`,
        );
      if (type === 'COMPOSITE' && upload.checksumAlgorithm === 'CRC64NVME')
        throw new AwsError(
          'InvalidRequest',
          'The CRC64NVME checksum does not support the COMPOSITE checksum type.',
        );
      upload.checksumType = type;
    }
    state.counter += 1;
    const id = createHash('sha256')
      .update(`upload:${state.counter}:${upload.bucket}/${key}`)
      .digest('base64url');
    setOwn(uploads(state), id, upload);
    const out: Record<string, string> = { ...encryptionHeaders(encryption) };
    if (upload.checksumAlgorithm) out['x-amz-checksum-algorithm'] = upload.checksumAlgorithm;
    return {
      ...xml(
        `<InitiateMultipartUploadResult xmlns="${NS}"><Bucket>${escapeXml(upload.bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      ),
      headers: { 'content-type': 'application/xml', ...out },
    };
  },
  UploadPart(p, ctx): RestResult {
    bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const state = s3State(ctx.world);
    const upload = uploadFor(state, p, String(p.Bucket), key);
    const number = partNumberOf(p.partNumber);
    const body = p.Body as Buffer;
    const headers = p.Headers as Record<string, string>;
    checkContentMd5(headers, body);
    const declared = declaredChecksum(headers, (p.Trailers ?? {}) as Record<string, string>, body);
    if (declared && upload.checksumAlgorithm && declared.algorithm !== upload.checksumAlgorithm) {
      throw new AwsError(
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${declared.algorithm.toLowerCase()}`,
      );
    }
    const etag = etagOf(state, body, upload.encryption);
    const checksum = upload.checksumAlgorithm
      ? (declared?.value ?? checksumOf(upload.checksumAlgorithm, body))
      : undefined;
    setOwn(upload.parts, String(number), {
      body: body.toString('base64'),
      etag,
      size: body.length,
      ...(checksum ? { checksum } : {}),
    });
    const out: Record<string, string> = { etag, ...encryptionHeaders(upload.encryption) };
    if (declared) out[headerName(declared.algorithm)] = declared.value;
    return { headers: out };
  },
  CompleteMultipartUpload(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const state = s3State(ctx.world);
    const upload = uploadFor(state, p, String(p.Bucket), key);
    const doc = readXmlBody(p.Body as Buffer);
    if (doc?.name !== 'CompleteMultipartUpload') throw malformedXml();
    const listed = doc.children.filter((c) => c.name === 'Part');
    if (listed.length === 0) throw malformedXml('You must specify at least one part');
    const invalidPart = () =>
      new AwsError(
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      );
    let previous = 0;
    const parts = listed.map((element) => {
      const number = partNumberOf(childText(element, 'PartNumber'));
      if (number <= previous) {
        throw new AwsError(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        );
      }
      previous = number;
      const part = own(upload.parts, String(number));
      const etag = childText(element, 'ETag')?.replace(/^"?/, '"').replace(/"?$/, '"');
      if (!part || etag !== part.etag) throw invalidPart();
      if (upload.checksumAlgorithm) {
        const given = childText(element, `Checksum${upload.checksumAlgorithm}`);
        if (given !== undefined && given !== part.checksum) throw invalidPart();
      }
      return part;
    });
    parts.forEach((part, i) => {
      if (i < parts.length - 1 && part.size < MIN_PART_BYTES) {
        throw new AwsError(
          'EntityTooSmall',
          `Your proposed upload is smaller than the minimum allowed object size. Received: part ${i + 1} of ${part.size} bytes`,
        );
      }
    });
    const body = Buffer.concat(parts.map((part) => Buffer.from(part.body, 'base64')));
    const etagDigest = createHash('md5')
      .update(Buffer.concat(parts.map((part) => Buffer.from(part.etag.replace(/"/g, ''), 'hex'))))
      .digest('hex');
    const version: S3ObjectVersion = {
      versionId: newVersionId(state, bucket),
      body: body.toString('base64'),
      etag: `"${etagDigest}-${parts.length}"`,
      size: body.length,
      lastModified: ctx.now(),
      encryption: upload.encryption,
      checksum: completedChecksum(
        upload,
        body,
        parts.map((part) => part.checksum ?? ''),
      ),
      parts: parts.length,
    };
    if (upload.encryptionContext !== undefined) version.encryptionContext = upload.encryptionContext;
    if (upload.contentType) version.contentType = upload.contentType;
    if (upload.metadata) version.metadata = upload.metadata;
    addVersion(bucket, key, version);
    delete uploads(state)[String(p.uploadId)];
    const checksum = upload.checksumAlgorithm
      ? `<Checksum${upload.checksumAlgorithm}>${version.checksum?.value}</Checksum${upload.checksumAlgorithm}><ChecksumType>${version.checksum?.type}</ChecksumType>`
      : '';
    const out: Record<string, string> = {
      'content-type': 'application/xml',
      ...encryptionHeaders(upload.encryption),
    };
    if (bucket.versioning) out['x-amz-version-id'] = version.versionId;
    return {
      ...xml(
        `<CompleteMultipartUploadResult xmlns="${NS}"><Location>https://${escapeXml(upload.bucket)}.s3.amazonaws.com/${escapeXml(encodeURIComponent(key).replace(/%2F/g, '/'))}</Location><Bucket>${escapeXml(upload.bucket)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(version.etag)}</ETag>${checksum}</CompleteMultipartUploadResult>`,
      ),
      headers: out,
    };
  },
  AbortMultipartUpload(p, ctx): RestResult {
    bucketFor(ctx, p.Bucket);
    const key = keyOf(p);
    const state = s3State(ctx.world);
    uploadFor(state, p, String(p.Bucket), key);
    delete uploads(state)[String(p.uploadId)];
    return { statusCode: 204 };
  },
};
