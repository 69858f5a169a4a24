/**
 * SigV4 verification for the sandbox. The SDK signs every request; the sandbox recomputes the
 * signature with the secret of the access key so a wrong key, a stale session or a tampered
 * request is refused the way AWS refuses it. Written on node:crypto with a cache of derived
 * signing keys because it runs on every one of ~100k calls in a large simulated rollout
 * (a unit test checks it against `@smithy/signature-v4`).
 */
import { createHash, createHmac } from 'node:crypto';
import type { SandboxRequest } from './types';

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

function canonicalQuery(query: SandboxRequest['query']): string {
  // Mirrors @smithy/signature-v4: keys sorted after encoding, null values left out.
  const entries: Array<[string, string]> = [];
  for (const key of Object.keys(query)) {
    if (key.toLowerCase() === 'x-amz-signature') continue;
    const value = query[key];
    const encodedKey = uriEscape(key);
    if (typeof value === 'string') entries.push([encodedKey, `${encodedKey}=${uriEscape(value)}`]);
    else if (Array.isArray(value)) {
      entries.push([
        encodedKey,
        value
          .map((v) => `${encodedKey}=${uriEscape(v)}`)
          .sort()
          .join('&'),
      ]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries
    .map((e) => e[1])
    .filter((e) => e)
    .join('&');
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

/** The hash of the payload the client signed: the `x-amz-content-sha256` header when present. */
export function payloadHash(request: SandboxRequest): string {
  return request.headers['x-amz-content-sha256'] ?? sha256Hex(request.body);
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
    payloadHash(request),
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
