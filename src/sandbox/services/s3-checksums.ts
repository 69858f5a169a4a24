/**
 * S3's additional checksums (S3 User Guide, "Checking object integrity"): CRC32, CRC32C,
 * CRC64NVME, SHA1 and SHA256, sent as `x-amz-checksum-<algorithm>` (base64 of the big-endian
 * digest), verified on upload, stored, and returned when a reader asks with
 * `x-amz-checksum-mode: ENABLED`. Objects uploaded without one get a CRC64NVME checksum, as S3
 * adds to every new object. The CRCs are table-driven (node:zlib's crc32 is Node 22+).
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../types';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Digest lengths in bytes, to refuse a header that cannot be a checksum of its algorithm. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

function crc32Table(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);

function crc32With(table: Uint32Array, data: Uint8Array): Buffer {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (table[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out;
}

/** CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), as two 32-bit halves for speed. */
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
{
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0n; i < 256n; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_LO[Number(i)] = Number(c & 0xffffffffn);
    CRC64_HI[Number(i)] = Number(c >> 32n);
  }
}

function crc64nvme(data: Uint8Array): Buffer {
  let lo = 0xffffffff;
  let hi = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const index = (lo ^ (data[i] as number)) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (CRC64_LO[index] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (CRC64_HI[index] as number)) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  return out;
}

/** The raw digest of `data`. */
export function checksumBytes(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer {
  switch (algorithm) {
    case 'CRC32':
      return crc32With(CRC32_TABLE, data);
    case 'CRC32C':
      return crc32With(CRC32C_TABLE, data);
    case 'CRC64NVME':
      return crc64nvme(data);
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
  }
}

/** The base64 checksum S3 writes in `x-amz-checksum-<algorithm>`. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  return checksumBytes(algorithm, data).toString('base64');
}

export function headerName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** An algorithm name from `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm`, refused by name when unknown. */
export function parseAlgorithm(value: string, header: string): ChecksumAlgorithm {
  const upper = value.toUpperCase();
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(upper)) {
    throw new AwsError(
      'InvalidRequest',
      `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]. Received: ${header}: ${value}`,
    );
  }
  return upper as ChecksumAlgorithm;
}

/**
 * The checksum a request declares for its body (a header, or a trailer of an aws-chunked body),
 * verified against the body: S3 refuses a mismatch with BadDigest and a value that is not a digest
 * of the algorithm with InvalidRequest. `undefined` when the request declares none.
 */
export function declaredChecksum(
  headers: Record<string, string>,
  trailers: Record<string, string>,
  body: Uint8Array,
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  const found: Array<{ algorithm: ChecksumAlgorithm; value: string }> = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = headers[headerName(algorithm)] ?? trailers[headerName(algorithm)];
    if (value !== undefined) found.push({ algorithm, value });
  }
  if (found.length > 1) {
    throw new AwsError(
      'InvalidRequest',
      `Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed. Received: ${found.map((f) => f.algorithm).join(', ')}`,
    );
  }
  const declared = found[0];
  if (!declared) return undefined;
  const raw = Buffer.from(declared.value, 'base64');
  if (raw.length !== DIGEST_BYTES[declared.algorithm] || raw.toString('base64') !== declared.value) {
    throw new AwsError(
      'InvalidRequest',
      `Value for ${headerName(declared.algorithm)} header is invalid. Received: ${declared.value}`,
    );
  }
  if (checksumOf(declared.algorithm, body) !== declared.value) {
    throw new AwsError(
      'BadDigest',
      `The ${declared.algorithm} you specified did not match the calculated checksum.`,
    );
  }
  return declared;
}

/** `Content-MD5`, when sent, must be the base64 MD5 of the body (S3 API Reference, PutObject). */
export function checkContentMd5(headers: Record<string, string>, body: Uint8Array): void {
  const declared = headers['content-md5'];
  if (declared === undefined) return;
  const raw = Buffer.from(declared, 'base64');
  if (raw.length !== 16)
    throw new AwsError('InvalidDigest', `The Content-MD5 you specified was invalid. Received: ${declared}`);
  if (!raw.equals(createHash('md5').update(body).digest())) {
    throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
}
