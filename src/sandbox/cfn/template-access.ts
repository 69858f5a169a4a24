/**
 * CloudFormation reads a TemplateURL with the caller's credentials, so the caller needs
 * `s3:GetObject` (`s3:GetObjectVersion` for a `?versionId=` URL) on the object, allowed by the
 * bucket's policy too when the bucket is another account's, and `kms:Decrypt` on the key of an
 * SSE-KMS object, which S3 asks KMS for on the caller's behalf (`kms:ViaService =
 * s3.<region>.amazonaws.com`, encryption context `aws:s3:arn`; S3 User Guide, UsingKMSEncryption,
 * "Encryption context"). That CloudFormation fetches the object as the caller is what AWS's own
 * error says ("TemplateURL must reference a valid S3 object to which you have access") and what
 * templates/execution-role.yaml grants the execution role for; no AWS page states the exact IAM
 * context of that read, so the sandbox uses the caller's forward access session (aws:CalledVia).
 *
 * A refusal answers what CloudFormation answers when S3 refuses it: ValidationError
 * "S3 error: Access Denied For more information check ..." (the text AWS users report,
 * e.g. github.com/F5Networks/f5-aws-cloudformation/issues/68).
 */
import { decide } from '../iam/authorize';
import { kmsKeyFacts } from '../iam/kms-keys';
import { organizationIdOf } from '../iam/organization';
import { bucketOf } from '../services/s3-resources';
import { bucketPolicyOf, objectEncryptionOf } from '../services/s3-state';
import { AwsError, type SandboxWorld } from '../types';
import type { Acting } from './iam-env';

export const S3_ACCESS_DENIED =
  'S3 error: Access Denied For more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html';

/** Whether `reader` may read the template object, as S3 and KMS decide. */
export function templateReadAllowed(
  world: SandboxWorld,
  reader: Acting,
  location: { bucket: string; key: string; versionId?: string },
): boolean {
  const bucket = bucketOf(world, location.bucket);
  // Worlds without an S3 service (cfn unit tests' TestWorld) hold template objects outside any
  // bucket: there is no owner or policy to evaluate. In the sandbox every object has a bucket.
  if (!bucket) return true;
  const callerAccount = reader.who.principal.accountId ?? '';
  const owner = bucket.owner;
  const orgId = organizationIdOf(world, owner);
  const objectArn = `arn:aws:s3:::${location.bucket}/${location.key}`;
  const resourceKeys = {
    'aws:ResourceAccount': owner,
    ...(orgId !== undefined ? { 'aws:ResourceOrgID': orgId } : {}),
  };
  const get = decide(
    world,
    reader.who,
    {
      action: location.versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject',
      resource: objectArn,
      resourceAccountId: owner,
      ...(bucketPolicyOf(world, location.bucket) !== undefined
        ? { resourcePolicy: bucketPolicyOf(world, location.bucket) as string }
        : {}),
      resourcePolicyMode: 'standard',
      context: {
        ...resourceKeys,
        's3:ResourceAccount': owner,
        ...(location.versionId !== undefined ? { 's3:versionid': location.versionId } : {}),
      },
    },
    reader.facts,
  );
  if (get.decision.effect !== 'Allow') return false;
  const encryption = objectEncryptionOf(world, location.bucket, location.key, location.versionId);
  if (!encryption?.sseAlgorithm.startsWith('aws:kms')) return true;
  // No key named: the AWS managed key aws/s3, whose policy serves its own account only.
  const key = kmsKeyFacts(world, encryption.kmsKeyId ?? 'alias/aws/s3', bucket.region, owner);
  if (key.policy === undefined) return false;
  const kms = decide(
    world,
    reader.who,
    {
      action: 'kms:Decrypt',
      resource: key.arn,
      resourceAccountId: key.accountId,
      resourcePolicy: key.policy,
      resourcePolicyMode: 'kms',
      context: {
        'aws:ResourceAccount': key.accountId,
        'kms:ViaService': `s3.${bucket.region}.amazonaws.com`,
        'kms:CallerAccount': callerAccount,
        // With an S3 Bucket Key the context is the bucket's ARN (S3 User Guide, bucket-key).
        'kms:EncryptionContext:aws:s3:arn': encryption.bucketKeyEnabled
          ? `arn:aws:s3:::${location.bucket}`
          : objectArn,
        'kms:EncryptionContextKeys': ['aws:s3:arn'],
      },
    },
    { ...reader.facts, region: bucket.region },
  );
  return kms.decision.effect === 'Allow';
}

/** Throws CloudFormation's ValidationError when the reader may not read the template object. */
export function authorizeTemplateRead(
  world: SandboxWorld,
  reader: Acting,
  location: { bucket: string; key: string; versionId?: string },
): void {
  if (!templateReadAllowed(world, reader, location)) throw new AwsError('ValidationError', S3_ACCESS_DENIED);
}
