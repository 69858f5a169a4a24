import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Backend } from './backend';
import { CliError, ExitCodes } from './exit-codes';

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
  const md5 = `"${createHash('md5').update(body).digest('hex')}"`;
  let versionId: string | undefined;
  try {
    const head = await backend.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.ETag === md5 && head.VersionId) versionId = head.VersionId;
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'NotFound' && name !== 'NoSuchKey') throw error;
  }
  if (!versionId) {
    const put = await backend.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
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
