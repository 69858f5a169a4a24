import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Backend } from './backend';
import { CliError, ExitCodes } from './exit-codes';

/**
 * User metadata key (`x-amz-meta-stackfleet-sha256`) holding the SHA-256 of the template bytes.
 * The artifact bucket is SSE-KMS, and S3 documents that the ETag of an SSE-KMS object is not an
 * MD5 digest of its data ("Checking object integrity", ETag), so the ETag cannot tell whether the
 * current version already holds these bytes; a digest stored with the object can.
 */
export const CONTENT_SHA256_METADATA = 'stackfleet-sha256';

/**
 * Uploads a template to the (versioned) artifact bucket and validates it with CloudFormation, so a
 * rollout always pins an exact, valid template version.
 */
export async function publishTemplate(
  backend: Backend,
  bucket: string,
  path: string,
  key = `templates/${basename(path)}`,
): Promise<{ bucket: string; key: string; versionId?: string; url: string }> {
  const body = readFileSync(path);
  // Re-publishing identical bytes reuses the current version: a new version id would make every
  // stack look outdated (its template-version tag changes) and a re-run would update them all.
  const sha256 = createHash('sha256').update(body).digest('hex');
  let versionId: string | undefined;
  try {
    const head = await backend.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.Metadata?.[CONTENT_SHA256_METADATA] === sha256 && head.VersionId) versionId = head.VersionId;
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'NotFound' && name !== 'NoSuchKey') throw error;
  }
  if (!versionId) {
    const put = await backend.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        Metadata: { [CONTENT_SHA256_METADATA]: sha256 },
      }),
    );
    versionId = put.VersionId;
  }
  const url = `https://${bucket}.s3.${backend.region}.amazonaws.com/${key}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`;
  try {
    await backend.cloudFormation.send(new ValidateTemplateCommand({ TemplateURL: url }));
  } catch (error) {
    throw new CliError(`template ${path} is not valid: ${(error as Error).message}`, ExitCodes.badInput, {
      cause: error,
    });
  }
  return { bucket, key, ...(versionId ? { versionId } : {}), url };
}
