/**
 * SigV4 verification for the sandbox. The SDK signs every request; the sandbox recomputes the
 * signature with the secret of the access key so a wrong key, a stale session or a tampered
 * request is refused the way AWS refuses it. Written on node:crypto with a cache of derived
 * signing keys because it runs on every one of ~100k calls in a large simulated rollout
 * (a unit test checks it against `@smithy/signature-v4`).
 */
import { createHash, createHmac } from 'node:crypto';
import { AwsError, type SandboxRequest } from './types';

/** The parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** `yyyymmdd` of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Why an Authorization header could not be parsed (answered as `IncompleteSignature`). */
export class MalformedAuthorizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAuthorizationError';
  }
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]+)\s*$/;

/** Parses the Authorization header; `undefined` when there is none. */
export function parseAuthorization(header: string | undefined): SigV4Authorization | undefined {
  if (header === undefined || header === '') return undefined;
  const match = AUTH_RE.exec(header);
  if (!match) {
    throw new MalformedAuthorizationError(
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters with AWS4-HMAC-SHA256. Received: ${header.slice(0, 120)}`,
    );
  }
  const [, credential = '', signedHeaders = '', signature = ''] = match;
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') {
    throw new MalformedAuthorizationError(
      `Credential should be scoped to a valid region, service and 'aws4_request'. Received: ${credential}`,
    );
  }
  const [accessKeyId = '', date = '', region = '', service = ''] = parts;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** RFC 3986 encoding as SigV4 wants it (`encodeURIComponent` leaves `!'()*` alone). */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalPath(path: string, service: string): string {
  if (service === 's3') return path || '/';
  // Other services: normalise then escape each segment of the (already encoded) path again.
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `/${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return uriEscape(normalised).replace(/%2F/g, '/');
}

/**
 * The canonical query string of SigV4 (IAM User Guide, "Create a signed AWS API request", step 1,
 * CanonicalQueryString): names and values URI-encoded, sorted by encoded name (then value for a
 * repeated name), and a parameter without a value written `name=`. botocore sends `?versions`
 * and signs `versions=`; the JS SDK sends and signs `versions=`: both read the same here. (The
 * SDK's signer drops a null-valued parameter from what it signs, but sends it on the wire as a
 * bare name, which AWS canonicalises as `name=`: such a request is refused here as it is on AWS.)
 */
function canonicalQuery(query: SandboxRequest['query']): string {
  const entries: Array<[string, string]> = [];
  for (const key of Object.keys(query)) {
    if (key.toLowerCase() === 'x-amz-signature') continue;
    const value = query[key];
    const encodedKey = uriEscape(key);
    if (typeof value === 'string' || value === null)
      entries.push([encodedKey, `${encodedKey}=${uriEscape(value ?? '')}`]);
    else if (Array.isArray(value)) {
      entries.push([
        encodedKey,
        value
          .map((v) => `${encodedKey}=${uriEscape(v ?? '')}`)
          .sort()
          .join('&'),
      ]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries.map((e) => e[1]).join('&');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const signingKeys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\n${date}\n${region}\n${service}`;
  let key = signingKeys.get(cacheKey);
  if (!key) {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update(service).digest();
    key = createHmac('sha256', kService).update('aws4_request').digest();
    if (signingKeys.size > 50_000) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * Services that take `x-amz-content-sha256` as the payload hash of the canonical request, so a
 * client may send `UNSIGNED-PAYLOAD` or a `STREAMING-*` chunked payload. Only S3 among the
 * services the sandbox speaks: for the others the hash is always that of the body (IAM User
 * Guide, "Create a signed AWS API request", HashedPayload; S3 API Reference, "Authenticating
 * Requests: Using the Authorization Header", x-amz-content-sha256).
 */
export const DECLARED_PAYLOAD_HASH_SERVICES: ReadonlySet<string> = new Set(['s3']);

/** The literal `x-amz-content-sha256` values S3 accepts besides a hex SHA-256 (S3 API Reference, sigv4-auth-using-authorization-header). */
export const S3_PAYLOAD_LITERALS = [
  'UNSIGNED-PAYLOAD',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
  'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER',
] as const;

/**
 * The payload hash of the canonical request: for S3 the `x-amz-content-sha256` header the
 * client sent (checked against the body by `checkDeclaredPayload`); for every other service the
 * SHA-256 of the body as received, whatever a header claims, so a body swapped after signing
 * breaks the signature.
 */
export function payloadHash(request: SandboxRequest, service: string): string {
  if (DECLARED_PAYLOAD_HASH_SERVICES.has(service)) {
    const declared = request.headers['x-amz-content-sha256'];
    if (declared !== undefined) return declared;
  }
  return sha256Hex(request.body);
}

/**
 * S3's rules for `x-amz-content-sha256` under header authentication (S3 API Reference,
 * "Authenticating Requests: Using the Authorization Header"): the header is required and signed,
 * it is a hex SHA-256 of the body or one of `S3_PAYLOAD_LITERALS`, and a hex hash must match the
 * body. Other services ignore the header: their payload hash is the body's (see `payloadHash`).
 */
export function checkDeclaredPayload(
  request: SandboxRequest,
  service: string,
  signedHeaders: string[],
): void {
  if (!DECLARED_PAYLOAD_HASH_SERVICES.has(service)) return;
  const declared = request.headers['x-amz-content-sha256'];
  if (declared === undefined) {
    throw new AwsError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  if (!signedHeaders.includes('x-amz-content-sha256')) {
    throw new AwsError('InvalidRequest', "header 'x-amz-content-sha256' must be included in signature");
  }
  if (/^[0-9a-f]{64}$/.test(declared)) {
    if (declared !== sha256Hex(request.body)) {
      throw new AwsError(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    return;
  }
  if (!(S3_PAYLOAD_LITERALS as readonly string[]).includes(declared)) {
    throw new AwsError(
      'InvalidArgument',
      `x-amz-content-sha256 must be ${S3_PAYLOAD_LITERALS.join(', ')} or a valid sha256 value. Received: ${declared.slice(0, 80)}`,
    );
  }
}

/** Recomputes the request's signature with `secret`, exactly as the SDK signer builds it. */
export function computeSignature(request: SandboxRequest, auth: SigV4Authorization, secret: string): string {
  const amzDate = request.headers['x-amz-date'] ?? '';
  const headerLines: string[] = [];
  for (const name of auth.signedHeaders) {
    const value = request.headers[name] ?? '';
    headerLines.push(`${name}:${value.trim().replace(/\s+/g, ' ')}\n`);
  }
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.path, auth.service),
    canonicalQuery(request.query),
    headerLines.join(''),
    auth.signedHeaders.join(';'),
    payloadHash(request, auth.service),
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  return createHmac('sha256', signingKey(secret, auth.date, auth.region, auth.service))
    .update(stringToSign)
    .digest('hex');
}

/** Milliseconds of the `x-amz-date` header (`yyyymmddThhmmssZ`), or NaN. */
export function parseAmzDate(value: string | undefined): number {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Formats epoch ms as SigV4's `yyyymmddThhmmssZ`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const CHUNK_HEADER = /^([0-9a-fA-F]{1,16});chunk-signature=([0-9a-f]{64})$/;
const EMPTY_SHA256 = sha256Hex('');

function incompleteBody(detail: string): AwsError {
  return new AwsError('IncompleteBody', `The request body terminated unexpectedly: ${detail}`);
}

/**
 * Verifies each chunk signature of an S3 `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` body,
 * chained from the request's (seed) signature, and the trailer's signature (S3 API Reference,
 * "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks"
 * and "... Including Trailing Headers"). Without this a signed request's body could be replaced.
 * Unsigned trailers (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) carry no chunk signatures; SigV4a
 * (`STREAMING-AWS4-ECDSA-*`) is not emulated and is refused by name.
 */
export function verifyStreamingPayload(
  request: SandboxRequest,
  auth: SigV4Authorization,
  secret: string,
): void {
  const mode = request.headers['x-amz-content-sha256'];
  if (!DECLARED_PAYLOAD_HASH_SERVICES.has(auth.service) || !mode?.startsWith('STREAMING-')) return;
  if (mode.startsWith('STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD')) {
    throw new AwsError(
      'NotImplemented',
      `not implemented in the sandbox: SigV4a streaming payloads (${mode})`,
    );
  }
  if (!mode.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) return;
  const key = signingKey(secret, auth.date, auth.region, auth.service);
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const amzDate = request.headers['x-amz-date'] ?? '';
  const sign = (text: string) => createHmac('sha256', key).update(text).digest('hex');
  const badChunk = () => new AwsError('SignatureDoesNotMatch', BAD_CHUNK_SIGNATURE, 403);
  const body = request.body;
  let previous = auth.signature;
  let offset = 0;
  let decoded = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw incompleteBody('a chunk header has no line end');
    const match = CHUNK_HEADER.exec(body.subarray(offset, lineEnd).toString('latin1'));
    if (!match) throw incompleteBody('a chunk header is not "<hex size>;chunk-signature=<signature>"');
    const size = Number.parseInt(match[1] ?? '', 16);
    const data = body.subarray(lineEnd + 2, lineEnd + 2 + size);
    if (data.length !== size)
      throw incompleteBody(`a chunk declares ${size} bytes but carries ${data.length}`);
    const expected = sign(
      `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${sha256Hex(data)}`,
    );
    if (expected !== match[2]) throw badChunk();
    previous = expected;
    decoded += size;
    offset = lineEnd + 2 + size;
    if (size === 0) break;
    if (body.toString('latin1', offset, offset + 2) !== '\r\n')
      throw incompleteBody('a chunk has no CRLF after its data');
    offset += 2;
  }
  const declaredLength = request.headers['x-amz-decoded-content-length'];
  if (declaredLength !== undefined && Number(declaredLength) !== decoded) {
    throw incompleteBody(
      `x-amz-decoded-content-length is ${declaredLength} but the chunks hold ${decoded} bytes`,
    );
  }
  if (!mode.endsWith('-TRAILER')) return;
  const lines = body
    .toString('latin1', offset)
    .split('\r\n')
    .filter((line) => line !== '');
  const signatureLine = lines.find((line) => line.startsWith('x-amz-trailer-signature:'));
  if (!signatureLine) throw incompleteBody('the trailer has no x-amz-trailer-signature');
  const canonical = lines
    .filter((line) => line !== signatureLine)
    .map((line) => {
      const colon = line.indexOf(':');
      return `${line.slice(0, colon).trim().toLowerCase()}:${line.slice(colon + 1).trim()}\n`;
    })
    .join('');
  const expected = sign(
    `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${sha256Hex(canonical)}`,
  );
  if (expected !== signatureLine.slice('x-amz-trailer-signature:'.length).trim()) throw badChunk();
}

const BAD_CHUNK_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
