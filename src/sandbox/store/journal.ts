/**
 * `sandbox serve`'s write-ahead journal: every call that can change the world is appended, in
 * the order it was applied, to `journal/<base>.ndjson` (the calls since generation `base`), and a
 * client's call is answered only once its line is on disk (fdatasync). Appends are flushed in
 * order by one writer, many lines per fsync (group commit), so an acknowledged line is never
 * durable before the lines before it. Opening the folder replays the journal over its
 * generation, and the next save folds it in and removes it.
 */
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Caller, SandboxRequest } from '../types';
import { fsyncFolder, JOURNAL_DIR, journalPath } from './folder';

/** One applied call: enough to apply it again, exactly, to the same world. */
export interface JournalEntry {
  /** Virtual time the call was applied at. */
  at: number;
  /** Signing name of the service. */
  service: string;
  region: string;
  caller: Caller;
  requestId: string;
  request: Omit<SandboxRequest, 'body'> & { body: string };
}

/** Headers that only prove who signed (the caller is recorded instead). */
const UNRECORDED_HEADERS = new Set(['authorization', 'x-amz-security-token']);

/** The request as recorded: its body in base64, without its signature and session token. */
export function recordRequest(request: SandboxRequest): JournalEntry['request'] {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (!UNRECORDED_HEADERS.has(name)) headers[name] = value;
  return { ...request, headers, body: request.body.toString('base64') };
}

export function replayedRequest(entry: JournalEntry): SandboxRequest {
  return { ...entry.request, body: Buffer.from(entry.request.body, 'base64') };
}

/** The journal could not be written: the sandbox stops acknowledging writes. */
export class JournalWriteError extends Error {
  constructor(path: string, options: { cause: unknown }) {
    super(
      `the sandbox could not make a write durable in ${path}: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    );
    this.name = 'JournalWriteError';
  }
}

interface Pending {
  base: number;
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Journal {
  private base: number;
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly handles = new Map<number, Awaited<ReturnType<typeof open>>>();
  private failure: JournalWriteError | undefined;
  /** Bytes appended since the last rotation. */
  bytes = 0;
  entries = 0;

  constructor(
    readonly dir: string,
    base: number,
  ) {
    this.base = base;
  }

  /** Appends an entry; resolves once it (and every entry before it) is on disk. */
  append(entry: JournalEntry): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const line = `${JSON.stringify(entry)}\n`;
    this.bytes += line.length;
    this.entries += 1;
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ base: this.base, line, resolve, reject });
    });
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
    return done;
  }

  /** Later entries go to the journal of generation `base` (called when a snapshot of the world is taken). */
  rotate(base: number): void {
    this.base = base;
    this.bytes = 0;
    this.entries = 0;
  }

  /**
   * Waits for every append so far to be on disk; rejects with the JournalWriteError once a write
   * failed (flush itself settles quietly: each append's own promise carries its failure), so a
   * caller that waits for "everything so far" is not told it is durable when part of it is not.
   */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    // A failed write was already answered (each append rejected); closing still releases the files.
    await this.drain().catch(() => undefined);
    for (const handle of this.handles.values()) await handle.close().catch(() => undefined);
    this.handles.clear();
  }

  private async handleFor(base: number) {
    let handle = this.handles.get(base);
    if (!handle) {
      await mkdir(join(this.dir, JOURNAL_DIR), { recursive: true });
      handle = await open(join(this.dir, journalPath(base)), 'a');
      fsyncFolder(join(this.dir, JOURNAL_DIR));
      this.handles.set(base, handle);
      // Journals of earlier bases get no more lines.
      for (const [b, h] of this.handles) {
        if (b < base) {
          this.handles.delete(b);
          await h.close().catch(() => undefined);
        }
      }
    }
    return handle;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.queue.length);
      let i = 0;
      try {
        while (i < batch.length) {
          const base = (batch[i] as Pending).base;
          let j = i;
          while (j < batch.length && (batch[j] as Pending).base === base) j += 1;
          const handle = await this.handleFor(base);
          await handle.write(
            batch
              .slice(i, j)
              .map((p) => p.line)
              .join(''),
          );
          await handle.datasync();
          for (let k = i; k < j; k++) (batch[k] as Pending).resolve();
          i = j;
        }
      } catch (error) {
        this.failure = new JournalWriteError(join(this.dir, JOURNAL_DIR), { cause: error });
        for (const p of batch.slice(i)) p.reject(this.failure);
        for (const p of this.queue.splice(0, this.queue.length)) p.reject(this.failure);
        return;
      }
    }
  }
}

/**
 * The journaled calls to apply over generation `generation`, in order, and the journals they
 * came from. A last line cut short by a kill was never acknowledged and is left out.
 */
export async function readJournal(
  dir: string,
  generation: number,
): Promise<{ entries: JournalEntry[]; bases: number[] }> {
  let names: string[];
  try {
    names = await readdir(join(dir, JOURNAL_DIR));
  } catch {
    return { entries: [], bases: [] };
  }
  const bases = names
    .filter((n) => /^\d{9}\.ndjson$/.test(n))
    .map((n) => Number.parseInt(n, 10))
    .filter((b) => b >= generation)
    .sort((a, b) => a - b);
  const entries: JournalEntry[] = [];
  for (const base of bases) {
    const text = await readFile(join(dir, journalPath(base)), 'utf8').catch(() => '');
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch (error) {
        if (i === lines.length - 1) break; // cut short: never acknowledged
        throw new Error(`${journalPath(base)} line ${i + 1} is not JSON: ${(error as Error).message}`);
      }
    }
  }
  return { entries, bases };
}
