/**
 * Publishes a CloudFormation template to the artifact bucket: upload (the bucket is versioned, so
 * every publish is a new, immutable version), then ValidateTemplate on exactly that version, then
 * print the versioned URL a rollout pins. Uses src/aws/clients.ts, so it talks to AWS or, with
 * AWS_ENDPOINT_URL / configureAws, to the sandbox through the same code path.
 *
 *   tsx scripts/publish-template.ts templates/baseline.yaml [--bucket NAME] [--key templates/x.yaml]
 *                                   [--region eu-west-1] [--stack StackFleetAdmin] [--json]
 *
 * Without --bucket the bucket is read from the admin stack's `ArtifactBucketName` output.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DescribeStacksCommand, ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { awsClients } from '../src/aws/clients';
import { InvalidInputError, TemplateInvalidError } from '../src/core/errors';

/** Where a published template lives; `url` is what CloudFormation's TemplateURL takes. */
export interface PublishedTemplate {
  bucket: string;
  key: string;
  versionId?: string;
  url: string;
  /** Parameters CloudFormation found in the template, for a quick look at what a rollout can pass. */
  parameters: string[];
  /** Capabilities the template needs (CAPABILITY_NAMED_IAM for the baseline). */
  capabilities: string[];
}

export interface PublishOptions {
  file: string;
  bucket: string;
  region: string;
  /** @default `templates/<file name>` */
  key?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The virtual-hosted S3 URL of one object version. */
export function templateUrl(bucket: string, region: string, key: string, versionId?: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  const version = versionId ? `?versionId=${encodeURIComponent(versionId)}` : '';
  return `https://${bucket}.s3.${region}.amazonaws.com/${path}${version}`;
}

/** Uploads and validates one template; throws TemplateInvalid (with CloudFormation's reason) if it is refused. */
export async function publishTemplate(options: PublishOptions): Promise<PublishedTemplate> {
  if (!BUCKET_NAME.test(options.bucket)) {
    throw new InvalidInputError('bucket', `bucket must be an S3 bucket name. Received: ${options.bucket}`);
  }
  const key = options.key ?? `templates/${basename(options.file)}`;
  if (key.startsWith('/') || key.length === 0) {
    throw new InvalidInputError(
      'key',
      `key must be a relative object key such as templates/baseline.yaml. Received: ${key}`,
    );
  }
  let body: Buffer;
  try {
    body = readFileSync(options.file);
  } catch (error) {
    throw new InvalidInputError('file', `file could not be read. Received: ${options.file}`, {
      cause: error,
    });
  }

  const s3 = awsClients.s3({ region: options.region });
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: key,
      Body: body,
      ContentType: options.file.endsWith('.json') ? 'application/json' : 'application/x-yaml',
    }),
  );
  const url = templateUrl(options.bucket, options.region, key, put.VersionId);
  const cfn = awsClients.cloudFormation({ region: options.region });
  try {
    const validated = await cfn.send(new ValidateTemplateCommand({ TemplateURL: url }));
    return {
      bucket: options.bucket,
      key,
      ...(put.VersionId ? { versionId: put.VersionId } : {}),
      url,
      parameters: (validated.Parameters ?? []).map((p) => p.ParameterKey ?? '').filter(Boolean),
      capabilities: validated.Capabilities ?? [],
    };
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ValidationError') {
      throw new TemplateInvalidError(
        `${options.file}: CloudFormation refused the template: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Reads the artifact bucket from the admin stack's outputs (what `cdk deploy` created). */
export async function artifactBucketOf(stackName: string, region: string): Promise<string> {
  const cfn = awsClients.cloudFormation({ region });
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const output = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'ArtifactBucketName')?.OutputValue;
  if (!output) {
    throw new InvalidInputError(
      'stack',
      `stack ${stackName} has no ArtifactBucketName output. Received: ${stackName}`,
    );
  }
  return output;
}

function parseArgs(argv: string[]): { file?: string; flags: Record<string, string | true> } {
  const flags: Record<string, string | true> = {};
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      const next = argv[i + 1];
      if (name === 'json' || name === 'help') flags[name] = true;
      else if (next === undefined || next.startsWith('--'))
        throw new InvalidInputError(name, `--${name} needs a value. Received: nothing`);
      else {
        flags[name] = next;
        i++;
      }
    } else if (file === undefined) file = arg;
    else
      throw new InvalidInputError(
        'file',
        `only one template file may be published at a time. Received: ${arg}`,
      );
  }
  return { ...(file === undefined ? {} : { file }), flags };
}

async function main(): Promise<void> {
  const { file, flags } = parseArgs(process.argv.slice(2));
  if (flags.help || !file) {
    process.stderr.write(
      'usage: tsx scripts/publish-template.ts FILE [--bucket NAME] [--key KEY] [--region REGION] [--stack StackFleetAdmin] [--json]\n',
    );
    process.exitCode = flags.help ? 0 : 2;
    return;
  }
  const region = String(flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '');
  if (!region)
    throw new InvalidInputError(
      'region',
      'region is required: pass --region or set AWS_REGION. Received: nothing',
    );
  const bucket =
    typeof flags.bucket === 'string'
      ? flags.bucket
      : await artifactBucketOf(String(flags.stack ?? 'StackFleetAdmin'), region);
  const published = await publishTemplate({
    file,
    bucket,
    region,
    ...(typeof flags.key === 'string' ? { key: flags.key } : {}),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(published)}\n`);
  else {
    process.stderr.write(
      `published ${published.key} (version ${published.versionId ?? 'unversioned'}); parameters: ${published.parameters.join(', ') || 'none'}; capabilities: ${published.capabilities.join(', ') || 'none'}\n`,
    );
    process.stdout.write(`${published.url}\n`);
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exitCode = error.name === 'InvalidInput' || error.name === 'TemplateInvalid' ? 2 : 1;
  });
}
