/**
 * S3 bucket configuration: versioning, location, default encryption and the bucket policy.
 * Bucket policies are stored and served here with S3's syntax checks; whether they allow a
 * request is the IAM evaluation's question (`bucketPolicyOf`).
 */
import type { RestResult } from '../protocols/rest-xml';
import { childText, type XmlElement } from '../protocols/xml';
import { AwsError, type Operation } from '../types';
import {
  bucketFor,
  isSseAlgorithm,
  kmsKeyArn,
  malformedXml,
  NS,
  ownedBucketFor,
  readXmlBody,
  xml,
} from './s3-common';
import { DEFAULT_ENCRYPTION, type S3Encryption } from './s3-state';

/** "Bucket policies are limited to 20 KB in size." (S3 User Guide, "Adding a bucket policy"). */
export const BUCKET_POLICY_MAX_BYTES = 20 * 1024;

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

function malformedPolicy(message: string): AwsError {
  return new AwsError('MalformedPolicy', message);
}

function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * S3's checks on a bucket policy (the MalformedPolicy messages S3 answers): JSON starting with
 * `{`, a Statement, each statement with an Effect, a Principal, S3 actions and resources of this
 * bucket. The text is kept as it was put, as GetBucketPolicy returns it.
 */
export function checkBucketPolicy(text: string, bucket: string): void {
  if (Buffer.byteLength(text) > BUCKET_POLICY_MAX_BYTES)
    // The error code S3 answers for an oversized policy is not documented; refused all the same.
    throw malformedPolicy(`Policies cannot exceed 20 KB. Received: ${Buffer.byteLength(text)} bytes`);
  if (!text.trimStart().startsWith('{'))
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw malformedPolicy('This policy contains invalid Json');
  }
  if (doc.Statement === undefined) throw malformedPolicy('Missing required field Statement');
  const statements = list(doc.Statement);
  if (statements.length === 0) throw malformedPolicy('Could not parse the policy: Statement is empty!');
  for (const raw of statements) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw malformedPolicy('This policy contains invalid Json');
    const s = raw as Record<string, unknown>;
    if (s.Effect === undefined) throw malformedPolicy('Missing required field Effect');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw malformedPolicy(`Invalid effect: ${String(s.Effect)}`);
    if (s.Principal === undefined && s.NotPrincipal === undefined)
      throw malformedPolicy('Missing required field Principal');
    if (s.Action === undefined && s.NotAction === undefined)
      throw malformedPolicy('Missing required field Action');
    if (s.Resource === undefined && s.NotResource === undefined)
      throw malformedPolicy('Missing required field Resource');
    const principal = s.Principal ?? s.NotPrincipal;
    if (principal !== '*') {
      const values =
        principal !== null && typeof principal === 'object'
          ? Object.values(principal as object).flatMap(list)
          : [principal];
      if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === ''))
        throw malformedPolicy('Invalid principal in policy');
    }
    for (const action of list(s.Action ?? s.NotAction)) {
      if (typeof action !== 'string' || !/^(\*|s3:[A-Za-z*?]+)$/.test(action))
        throw malformedPolicy('Policy has invalid action');
    }
    for (const resource of list(s.Resource ?? s.NotResource)) {
      const ok =
        typeof resource === 'string' &&
        (resource === '*' ||
          resource === `arn:aws:s3:::${bucket}` ||
          resource.startsWith(`arn:aws:s3:::${bucket}/`));
      if (!ok) throw malformedPolicy('Policy has invalid resource');
    }
  }
}

function encryptionXml(e: S3Encryption): string {
  const key = e.kmsKeyId ? `<KMSMasterKeyID>${e.kmsKeyId}</KMSMasterKeyID>` : '';
  return `<ServerSideEncryptionConfiguration xmlns="${NS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${e.sseAlgorithm}</SSEAlgorithm>${key}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${e.bucketKeyEnabled}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`;
}

export const bucketConfigOperations: Record<string, Operation> = {
  GetBucketLocation(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const region = bucket.region === 'us-east-1' ? '' : bucket.region;
    return xml(`<LocationConstraint xmlns="${NS}">${region}</LocationConstraint>`);
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
  /** S3 API Reference, PutBucketEncryption: one Rule with ApplyServerSideEncryptionByDefault, and BucketKeyEnabled. */
  PutBucketEncryption(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    const doc = readXmlBody(p.Body as Buffer);
    if (doc?.name !== 'ServerSideEncryptionConfiguration') throw malformedXml();
    const rules = doc.children.filter((c) => c.name === 'Rule');
    if (rules.length !== 1)
      throw malformedXml(`A configuration holds exactly one Rule. Received: ${rules.length}`);
    const byDefault = child(rules[0] as XmlElement, 'ApplyServerSideEncryptionByDefault');
    const algorithm = byDefault ? childText(byDefault, 'SSEAlgorithm') : undefined;
    if (algorithm === undefined || !isSseAlgorithm(algorithm))
      throw malformedXml(
        `SSEAlgorithm must be AES256, aws:kms or aws:kms:dsse. Received: ${algorithm ?? '(none)'}`,
      );
    const keyId = byDefault ? childText(byDefault, 'KMSMasterKeyID') : undefined;
    if (keyId !== undefined && algorithm === 'AES256') {
      throw new AwsError(
        'InvalidArgument',
        'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
      );
    }
    const bucketKey = childText(rules[0] as XmlElement, 'BucketKeyEnabled');
    if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false')
      throw malformedXml(`BucketKeyEnabled must be true or false. Received: ${bucketKey}`);
    const encryption: S3Encryption = {
      sseAlgorithm: algorithm,
      bucketKeyEnabled: algorithm === 'aws:kms' && bucketKey === 'true',
    };
    if (keyId !== undefined) encryption.kmsKeyId = kmsKeyArn(keyId, bucket.region, bucket.owner);
    bucket.encryption = encryption;
    return {};
  },
  GetBucketEncryption(p, ctx): RestResult {
    const bucket = bucketFor(ctx, p.Bucket);
    return xml(encryptionXml(bucket.encryption ?? DEFAULT_ENCRYPTION));
  },
  DeleteBucketEncryption(p, ctx): RestResult {
    // The bucket goes back to S3's default, SSE-S3 (S3 API Reference, DeleteBucketEncryption).
    const bucket = bucketFor(ctx, p.Bucket);
    delete bucket.encryption;
    return { statusCode: 204 };
  },
  PutBucketPolicy(p, ctx): RestResult {
    const bucket = ownedBucketFor(ctx, p.Bucket);
    const text = (p.Body as Buffer).toString('utf8');
    checkBucketPolicy(text, String(p.Bucket));
    bucket.policy = text;
    return { statusCode: 204 };
  },
  GetBucketPolicy(p, ctx): RestResult {
    const bucket = ownedBucketFor(ctx, p.Bucket);
    if (bucket.policy === undefined) {
      throw new AwsError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
    }
    return { headers: { 'content-type': 'application/json' }, body: bucket.policy };
  },
  DeleteBucketPolicy(p, ctx): RestResult {
    const bucket = ownedBucketFor(ctx, p.Bucket);
    delete bucket.policy;
    return { statusCode: 204 };
  },
};
