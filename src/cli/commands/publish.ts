import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openBackend } from '../backend';
import { UsageError } from '../exit-codes';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';
import { publishTemplate } from '../publish';

/** `publish FILE`: upload a template (versioned) to the artifact bucket and validate it. */
export async function publishCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const file = parsed.positionals[0];
  if (!file) throw new UsageError('publish needs a template file. Usage: stackfleet publish FILE');
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`publish: file not found. Received: ${file}`);
  const backend = await openBackend(parsed.values, io.env, {
    access: 'write',
    command: 'stackfleet publish',
    stderr: io.stderr,
  });
  try {
    const published = await backend.run(async () => {
      const bucket = parsed.values.bucket
        ? String(parsed.values.bucket)
        : (await backend.admin()).artifactBucket;
      return publishTemplate(
        backend,
        bucket,
        path,
        parsed.values.key ? String(parsed.values.key) : undefined,
      );
    });
    io.stdout.write(parsed.values.json ? `${JSON.stringify(published)}\n` : `${published.url}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}
