/**
 * Persistence of the sandbox world, so successive commands see the same cloud. Each service's
 * section is its own JSON file, written atomically (temp file + rename) and only when it changed,
 * under an exclusive lock file: concurrent writers never corrupt a file, and two processes that
 * touch different services (a CLI writing S3, a server running stacks) do not undo each other.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { realNow, realSetTimeout } from './clock';
import type { Scenario } from './scenario-types';

/** What is kept beside the sections: the clock and the scenario the world was made from. */
export interface StoreMeta {
  version: 1;
  /** Virtual epoch milliseconds when last saved. */
  clock: number;
  scenario: Scenario;
}

/** The lock could not be taken in time (another writer holds it and is alive). */
export class StoreLockTimeoutError extends Error {
  constructor(lockPath: string, waitedMs: number) {
    super(`Sandbox state is locked by another process (${lockPath}); waited ${waitedMs} ms`);
    this.name = 'StoreLockTimeoutError';
  }
}

export const DEFAULT_STATE_DIR = '.stackfleet/sandbox';
const SECTION_NAME = /^[A-Za-z0-9_-]+$/;
/** A lock older than this is taken as left behind by a crashed writer. */
const STALE_LOCK_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SandboxStore {
  private readonly written = new Map<string, string>();
  private metaJson = '';
  private tempCounter = 0;

  constructor(readonly dir: string) {}

  get lockPath(): string {
    return join(this.dir, 'lock');
  }

  /** Loads the meta and every section; empty when nothing was saved yet. */
  async load(): Promise<{ meta?: StoreMeta; sections: Record<string, unknown> }> {
    const sections: Record<string, unknown> = {};
    let meta: StoreMeta | undefined;
    try {
      this.metaJson = await readFile(join(this.dir, 'meta.json'), 'utf8');
      meta = JSON.parse(this.metaJson) as StoreMeta;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return { sections };
    }
    let names: string[] = [];
    try {
      names = await readdir(join(this.dir, 'sections'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const file of names) {
      if (!file.endsWith('.json')) continue;
      const name = file.slice(0, -'.json'.length);
      const text = await readFile(join(this.dir, 'sections', file), 'utf8');
      sections[name] = JSON.parse(text);
      this.written.set(name, text);
    }
    return { meta, sections };
  }

  /** Writes what changed since the last load/save, under the lock. */
  async save(meta: StoreMeta, sections: Record<string, unknown>): Promise<{ written: string[] }> {
    const written: string[] = [];
    const pending: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(sections)) {
      if (!SECTION_NAME.test(name))
        throw new Error(`Sandbox state section names must match ${SECTION_NAME}. Received: ${name}`);
      const json = JSON.stringify(value);
      if (this.written.get(name) !== json) pending.push([name, json]);
    }
    const metaJson = JSON.stringify(meta);
    await mkdir(join(this.dir, 'sections'), { recursive: true });
    await this.withLock(async () => {
      for (const [name, json] of pending) {
        await this.writeAtomic(join(this.dir, 'sections', `${name}.json`), json);
        this.written.set(name, json);
        written.push(name);
      }
      if (metaJson !== this.metaJson) {
        await this.writeAtomic(join(this.dir, 'meta.json'), metaJson);
        this.metaJson = metaJson;
      }
    });
    return { written };
  }

  /** Removes all saved state (`sandbox reset`). */
  async reset(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.withLock(async () => {
      await rm(join(this.dir, 'sections'), { recursive: true, force: true });
      await rm(join(this.dir, 'meta.json'), { force: true });
    });
    this.written.clear();
    this.metaJson = '';
  }

  private async writeAtomic(path: string, text: string): Promise<void> {
    this.tempCounter += 1;
    const temp = `${path}.${process.pid}.${this.tempCounter}.tmp`;
    await writeFile(temp, text);
    await rename(temp, path);
  }

  /** Runs `work` holding the exclusive lock file (O_EXCL), recovering locks left by dead writers. */
  async withLock<T>(work: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    const started = realNow();
    let delay = 5;
    for (;;) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await this.isStale()) {
        await unlink(this.lockPath).catch(() => undefined);
        continue;
      }
      if (realNow() - started > timeoutMs)
        throw new StoreLockTimeoutError(this.lockPath, realNow() - started);
      await new Promise((resolve) => realSetTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
    try {
      return await work();
    } finally {
      await unlink(this.lockPath).catch(() => undefined);
    }
  }

  private async isStale(): Promise<boolean> {
    try {
      const text = await readFile(this.lockPath, 'utf8');
      const holder = JSON.parse(text) as { pid?: number };
      if (typeof holder.pid === 'number' && holder.pid !== process.pid && !alive(holder.pid)) return true;
      const info = await stat(this.lockPath);
      return realNow() - info.mtimeMs > STALE_LOCK_MS;
    } catch {
      // Unreadable or half-written lock: stale only once it is old.
      try {
        const info = await stat(this.lockPath);
        return realNow() - info.mtimeMs > STALE_LOCK_MS;
      } catch {
        return true;
      }
    }
  }
}
