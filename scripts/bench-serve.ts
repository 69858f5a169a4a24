/**
 * `npm run bench:serve`: how fast `stackfleet sandbox serve` acknowledges S3 PutObjects, and how
 * many acknowledged ones survive a kill -9. It starts the CLI's serve on a fresh state folder,
 * sends PUTS PutObjects with CONCURRENCY in flight through the real SDK, kills the server with
 * SIGKILL the moment the last one is acknowledged, starts it again on the same folder and counts
 * the objects that came back. Figures, not pass/fail.
 *
 *   npm run bench:serve -- [--puts 3000] [--concurrency 16] [--bytes 256]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const ROOT = resolve(__dirname, '..');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a whole number of at least 1. Received: ${process.argv[i + 1]}`);
  return value;
}

/** Starts serve and resolves with its URL once it prints the ready line. */
function startServe(stateDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    // One process (tsx's loader in-process), so the kill reaches the server itself.
    [
      ...(process.env.BENCH_SERVE_VIA_BIN
        ? [join(ROOT, 'bin/stackfleet.js')]
        : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')]),
      'sandbox',
      'serve',
      '--port',
      '0',
      '--state-dir',
      stateDir,
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((ready, fail) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) ready({ child, url: m[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`serve exited with ${code} before it was ready: ${out}`)));
  });
}

function s3For(url: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

async function main(): Promise<void> {
  const puts = flag('puts', 3000);
  const concurrency = flag('concurrency', 16);
  const bytes = flag('bytes', 256);
  const stateDir = mkdtempSync(join(tmpdir(), 'sf-bench-serve-'));
  const first = await startServe(stateDir);
  const s3 = s3For(first.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'bench-puts' }));
  const body = 'x'.repeat(bytes);
  let next = 0;
  let acknowledged = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < puts) {
        const i = next++;
        await s3.send(
          new PutObjectCommand({ Bucket: 'bench-puts', Key: `k/${String(i).padStart(6, '0')}`, Body: body }),
        );
        acknowledged += 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  s3.destroy();

  const second = await startServe(stateDir);
  const again = s3For(second.url);
  let found = 0;
  let token: string | undefined;
  do {
    const page = await again.send(
      new ListObjectsV2Command({ Bucket: 'bench-puts', ContinuationToken: token }),
    );
    found += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
  again.destroy();
  rmSync(stateDir, { recursive: true, force: true });
  const rows = {
    puts,
    concurrency,
    bodyBytes: bytes,
    seconds: Number(seconds.toFixed(2)),
    putsPerSecond: Math.round(acknowledged / seconds),
    acknowledged,
    presentAfterKill9: found,
    lost: acknowledged - found,
  };
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:serve: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
