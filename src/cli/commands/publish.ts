import { resolve } from 'node:path';
import { backendLine, openBackend } from '../backend';
import { UsageError } from '../exit-codes';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';
import { publishTemplate } from '../publish';
import { readTemplateFile } from '../template-file';

/**
 * `publish FILE`: upload a template (versioned) to the artifact bucket after CloudFormation
 * accepted it, and print what `--template` takes (`s3://bucket/key?versionId=V`).
 */
export async function publishCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const file = parsed.positionals[0];
  if (!file) throw new UsageError('publish needs a template file. Usage: stackfleet publish FILE');
  const path = resolve(file);
  const body = readTemplateFile(path, 'publish FILE');
  const backend = await openBackend(parsed.values, io.env, {
    access: 'write',
    command: 'stackfleet publish',
    stderr: io.stderr,
  });
  try {
    io.stderr.write(`${await backendLine(backend)}\n`);
    const published = await backend.run(async () => {
      const bucket = parsed.values.bucket
        ? String(parsed.values.bucket)
        : (await backend.admin()).artifactBucket;
      return publishTemplate(
        backend,
        bucket,
        { path, body },
        {
          ...(parsed.values.key ? { key: String(parsed.values.key) } : {}),
          validate: true,
        },
      );
    });
    io.stdout.write(parsed.values.json ? `${JSON.stringify(published)}\n` : `${published.template}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}
