/**
 * One writer at a time per state folder, across processes. The lock is a file created atomically
 * with its content (written to a temp file, then hard-linked to `lock`, which fails if it exists),
 * naming the holder's pid, command and start time. A lock whose holder is gone (kill -9, a crash)
 * is taken over: the holder's pid no longer runs, or runs a different process (pid reuse, seen
 * through the process start time). Taking over goes through a second lock file so two waiters
 * cannot both remove the stale lock and then each other's.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { realNow, realSetTimeout } from '../clock';
import { type LockHolder, SandboxLockedError } from './errors';
import { LOCK_FILE, tempPathFor } from './folder';

/** The start time of a process (clock ticks since boot, Linux); undefined where /proc is absent. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `holder` still runs (another host's holder counts as running). */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.start !== undefined) {
    const start = processStartTime(holder.pid);
    if (start !== undefined && start !== holder.start) return false;
  }
  return true;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> & { at?: string };
    if (typeof value.pid !== 'number') return undefined;
    // Locks of earlier versions carry only pid and `at`.
    return {
      pid: value.pid,
      command: typeof value.command === 'string' ? value.command : 'an earlier stackfleet',
      since: typeof value.since === 'string' ? value.since : (value.at ?? 'an unknown time'),
      host: typeof value.host === 'string' ? value.host : hostname(),
      ...(typeof value.start === 'string' ? { start: value.start } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface AcquireOptions {
  /** What this process runs, shown to processes that wait for it. */
  command: string;
  /** How long to wait for a live holder (0 = refuse at once). */
  waitMs: number;
  /** Called when this process starts waiting, and again if the holder changes. */
  onWait?: (holder: LockHolder) => void;
}

/** The default label: the script this process runs. */
export function defaultCommand(): string {
  return basename(process.argv[1] ?? process.argv0);
}

/** The writer lock of one state folder, held by at most one process (and one object in it). */
export class WriterLock {
  private holding = false;
  private readonly onExit = () => this.releaseSync();

  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, LOCK_FILE);
  }

  get held(): boolean {
    return this.holding;
  }

  /** Reads the current holder, if any. */
  async holder(): Promise<LockHolder | undefined> {
    try {
      return parseHolder(await readFile(this.path, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Takes the lock, waiting up to `waitMs` for a live holder; throws SandboxLockedError after that. */
  async acquire(options: AcquireOptions): Promise<void> {
    if (this.holding) return;
    const me: LockHolder = {
      pid: process.pid,
      command: options.command,
      since: new Date(realNow()).toISOString(),
      host: hostname(),
      ...(processStartTime(process.pid) !== undefined ? { start: processStartTime(process.pid) } : {}),
    };
    const started = realNow();
    let delay = 5;
    let announced: string | undefined;
    for (;;) {
      if (await this.tryCreate(this.path, me)) break;
      const text = await readFile(this.path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile
      const holder = parseHolder(text);
      if (!holder || !holderAlive(holder)) {
        await this.breakStale(text);
        continue;
      }
      const waited = realNow() - started;
      if (waited >= options.waitMs) throw new SandboxLockedError(this.dir, holder, waited);
      const key = `${holder.pid}/${holder.since}`;
      if (announced !== key) {
        announced = key;
        options.onWait?.(holder);
      }
      await new Promise((resolve) => realSetTimeout(resolve, Math.min(delay, options.waitMs - waited)));
      delay = Math.min(delay * 2, 250);
    }
    this.holding = true;
    process.on('exit', this.onExit);
  }

  /** Releases the lock (synchronously, so it also works from an exit handler). */
  releaseSync(): void {
    if (!this.holding) return;
    this.holding = false;
    process.off('exit', this.onExit);
    try {
      const holder = parseHolder(readFileSync(this.path, 'utf8'));
      if (holder?.pid === process.pid) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  /** Creates `path` with `holder` as its whole content, or returns false if it exists. */
  private async tryCreate(path: string, holder: LockHolder): Promise<boolean> {
    const temp = tempPathFor(path);
    await writeFile(temp, JSON.stringify(holder));
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /**
   * Removes the lock whose content was `staleText`, holding `lock.breaking` meanwhile so that
   * only one waiter does it and a fresh lock taken in between is never removed.
   */
  private async breakStale(staleText: string): Promise<void> {
    const breaker = `${this.path}.breaking`;
    const me: LockHolder = {
      pid: process.pid,
      command: 'taking over a stale lock',
      since: new Date(realNow()).toISOString(),
      host: hostname(),
    };
    if (!(await this.tryCreate(breaker, me))) {
      const other = parseHolder(await readFile(breaker, 'utf8').catch(() => ''));
      if (!other || !holderAlive(other)) await unlink(breaker).catch(() => undefined);
      else await new Promise((resolve) => realSetTimeout(resolve, 5));
      return;
    }
    try {
      const now = await readFile(this.path, 'utf8').catch(() => undefined);
      if (now === staleText) await unlink(this.path).catch(() => undefined);
    } finally {
      await unlink(breaker).catch(() => undefined);
    }
  }
}
