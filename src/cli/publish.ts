import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MAX_TEMPLATE_BODY_BYTES, templateUrl } from '../core/template-checks';
import type { Backend } from './backend';
import { UsageError } from './exit-codes';

/**
 * User metadata key (`x-amz-meta-stackfleet-sha256`) holding the SHA-256 of the template bytes.
 * The artifact bucket is SSE-KMS, and S3 documents that the ETag of an SSE-KMS object is not an
 * MD5 digest of its data ("Checking object integrity", ETag), so the ETag cannot tell whether the
 * current version already holds these bytes; a digest stored with the object can.
 */
export const CONTENT_SHA256_METADATA = 'stackfleet-sha256';

/**
 * Uploads a template to the (versioned) artifact bucket, so a rollout always pins an exact
 * template version. With `validate`, CloudFormation checks it first: before the upload when it
 * fits in a TemplateBody (51,200 bytes), so a refused template is never published; a larger one
 * can only be read from S3, so it is checked right after.
 */
export interface PublishedTemplate {
  bucket: string;
  key: string;
  versionId?: string;
  /** The https URL CloudFormation's TemplateURL takes. */
  url: string;
  /** What `--template` and a config's `template` take: `s3://bucket/key?versionId=V`. */
  template: string;
}

export async function publishTemplate(
  backend: Backend,
  bucket: string,
  source: { path: string; body: Buffer },
  options: { key?: string; validate?: boolean } = {},
): Promise<PublishedTemplate> {
  const { path, body } = source;
  const key = options.key ?? `templates/${basename(path)}`;
  const validate = async (input: { TemplateBody: string } | { TemplateURL: string }) => {
    try {
      await backend.cloudFormation.send(new ValidateTemplateCommand(input));
    } catch (error) {
      if ((error as Error).name !== 'ValidationError') throw error;
      throw new UsageError(
        `template ${path} is not a template CloudFormation accepts: ${(error as Error).message}. Received: ${path}`,
        { cause: error },
      );
    }
  };
  const inline = body.length <= MAX_TEMPLATE_BODY_BYTES;
  if (options.validate && inline) await validate({ TemplateBody: body.toString('utf8') });
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
  const url = templateUrl(bucket, key, backend.region, versionId);
  if (options.validate && !inline) await validate({ TemplateURL: url });
  const template = `s3://${bucket}/${key}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`;
  return { bucket, key, ...(versionId ? { versionId } : {}), url, template };
}
