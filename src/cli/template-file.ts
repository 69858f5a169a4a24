import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_TEMPLATE_BYTES } from '../core/template-checks';
import { UsageError } from './exit-codes';

/**
 * Reads a local template, never more than CloudFormation would take: at most MAX_TEMPLATE_BYTES
 * plus one byte is read, so `--template /dev/zero` (or a huge file, or a pipe that never ends)
 * is refused after a megabyte instead of filling memory. A directory or an unreadable file is
 * refused naming the flag and the path.
 */
export function readTemplateFile(path: string, field = '--template', limit = MAX_TEMPLATE_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(
      `${field} must be a readable template file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Received: ${path}`,
      { cause: error },
    );
  }
  try {
    if (fstatSync(fd).isDirectory()) {
      throw new UsageError(`${field} must be a template file, not a directory. Received: ${path}`);
    }
    const buffer = Buffer.alloc(limit + 1);
    let total = 0;
    while (total < buffer.length) {
      const read = readSync(fd, buffer, total, buffer.length - total, null);
      if (read === 0) break;
      total += read;
    }
    if (total > limit) {
      throw new UsageError(
        `${field} must be a template of at most ${limit} bytes (CloudFormation's limit for a template in S3). Received: ${path} (more than ${limit} bytes)`,
      );
    }
    if (total === 0) throw new UsageError(`${field} must not be empty. Received: ${path} (0 bytes)`);
    return buffer.subarray(0, total);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `${field} must be a readable template file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Received: ${path}`,
      { cause: error },
    );
  } finally {
    closeSync(fd);
  }
}
