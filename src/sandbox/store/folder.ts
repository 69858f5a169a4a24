/**
 * The layout of a sandbox state folder, how the sandbox proves a folder is its own, and the file
 * operations that make a save atomic (write a temp file, fsync it, rename it, fsync the folder).
 *
 *   stackfleet-sandbox.json   the marker and the pointer: names the current generation
 *   lock                      the writer lock, while a writer runs
 *   generations/NNNNNNNNN.json  manifests of the current and the previous generation
 *   parts/<sha256>.ndjson     section parts, named by their content, shared across generations
 *   journal/NNNNNNNNN.ndjson  `sandbox serve`'s acknowledged requests since generation N
 *
 * Folders written by earlier versions hold `meta.json` and `sections/` instead; they are read,
 * and replaced by the layout above on the next save.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const POINTER_FILE = 'stackfleet-sandbox.json';
export const LOCK_FILE = 'lock';
export const GENERATIONS_DIR = 'generations';
export const PARTS_DIR = 'parts';
export const JOURNAL_DIR = 'journal';
export const LEGACY_META = 'meta.json';
export const LEGACY_SECTIONS = 'sections';
export const STATE_FORMAT = 'stackfleet-sandbox-state';

/** The pointer file's content. */
export interface Pointer {
  format: typeof STATE_FORMAT;
  version: 2;
  /** 0 until the first save. */
  generation: number;
  /** Relative path of the current manifest; null until the first save. */
  manifest: string | null;
  about?: string;
}

/** Temp files this module writes: `<name>.<pid>.<n>.tmp`. */
const TEMP = /^.+\.\d+\.\d+\.tmp$/;
/** What each sub-folder may hold. */
const MEMBERS: Record<string, RegExp> = {
  [GENERATIONS_DIR]: /^(\d{9}\.json|.+\.\d+\.\d+\.tmp)$/,
  [PARTS_DIR]: /^([0-9a-f]{64}\.ndjson|.+\.\d+\.\d+\.tmp)$/,
  [JOURNAL_DIR]: /^(\d{9}\.ndjson)$/,
  [LEGACY_SECTIONS]: /^([A-Za-z0-9_-]+\.json|.+\.tmp)$/,
};
const TOP_LEVEL = new Set([POINTER_FILE, LOCK_FILE, LEGACY_META, ...Object.keys(MEMBERS)]);
const LOCK_TEMP = /^lock(\.breaking)?(\.\d+\.\d+\.tmp)?$/;

export function generationName(generation: number): string {
  return String(generation).padStart(9, '0');
}

export function manifestPath(generation: number): string {
  return `${GENERATIONS_DIR}/${generationName(generation)}.json`;
}

export function partPath(sha256: string): string {
  return `${PARTS_DIR}/${sha256}.ndjson`;
}

export function journalPath(base: number): string {
  return `${JOURNAL_DIR}/${generationName(base)}.ndjson`;
}

/** What a folder holds, as the sandbox sees it. */
export interface FolderInspection {
  exists: boolean;
  /** The pointer file parsed, when present and valid. */
  pointer?: Pointer;
  /** A `meta.json` of the earlier layout is present and parses as one. */
  legacy: boolean;
  /** Entries (relative paths) the sandbox did not write. */
  foreign: string[];
  /** Every entry (top level) in the folder. */
  entries: string[];
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'));
}

export function isPointer(value: unknown): value is Pointer {
  const p = value as Pointer;
  return (
    typeof p === 'object' &&
    p !== null &&
    p.format === STATE_FORMAT &&
    p.version === 2 &&
    Number.isInteger(p.generation) &&
    (p.manifest === null || typeof p.manifest === 'string')
  );
}

async function isLegacyMeta(path: string): Promise<boolean> {
  try {
    const meta = (await readJson(path)) as { version?: unknown; clock?: unknown; scenario?: unknown };
    return meta.version === 1 && typeof meta.clock === 'number' && typeof meta.scenario === 'object';
  } catch {
    return false;
  }
}

/**
 * Lists the folder and sorts its entries into the sandbox's and foreign ones. The sandbox's names
 * only count as its own when the folder carries the marker (or an earlier version's meta.json);
 * a folder holding nothing but the sandbox's temp and lock files counts as its own too (a writer
 * that died before its first save leaves only those).
 */
export async function inspectFolder(dir: string): Promise<FolderInspection> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { exists: false, legacy: false, foreign: [], entries: [] };
    throw error;
  }
  let pointer: Pointer | undefined;
  if (entries.includes(POINTER_FILE)) {
    try {
      const parsed = await readJson(join(dir, POINTER_FILE));
      if (isPointer(parsed)) pointer = parsed;
    } catch {
      pointer = undefined;
    }
  }
  const legacy = entries.includes(LEGACY_META) && (await isLegacyMeta(join(dir, LEGACY_META)));
  const foreign: string[] = [];
  const onlyScratch = entries.every(
    (e) => LOCK_TEMP.test(e) || (e.startsWith(`${POINTER_FILE}.`) && TEMP.test(e)),
  );
  for (const entry of entries) {
    if (!pointer && !legacy && !onlyScratch) {
      foreign.push(entry);
      continue;
    }
    if (entry === POINTER_FILE && !pointer) {
      foreign.push(entry);
      continue;
    }
    if (LOCK_TEMP.test(entry) || (entry.startsWith(`${POINTER_FILE}.`) && TEMP.test(entry))) continue;
    if (legacy && entry.endsWith('.tmp') && entry.startsWith(LEGACY_META)) continue;
    if (!TOP_LEVEL.has(entry)) {
      foreign.push(entry);
      continue;
    }
    const members = MEMBERS[entry];
    if (!members) continue;
    let inner: string[];
    try {
      inner = await readdir(join(dir, entry));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') foreign.push(entry);
      continue;
    }
    for (const name of inner) if (!members.test(name)) foreign.push(`${entry}/${name}`);
  }
  return { exists: true, ...(pointer ? { pointer } : {}), legacy, foreign, entries };
}

let tempCounter = 0;

/** A temp path beside `path` that no other writer uses. */
export function tempPathFor(path: string): string {
  tempCounter += 1;
  return `${path}.${process.pid}.${tempCounter}.tmp`;
}

/** Writes a new file and fsyncs it (no rename: for a temp file about to be linked or renamed). */
export async function writeAndSync(path: string, data: Buffer | string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `path` atomically and durably: temp file, fsync, rename (the caller fsyncs the folder). */
export async function writeFileDurably(path: string, data: Buffer | string): Promise<void> {
  const temp = tempPathFor(path);
  await writeAndSync(temp, data);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Makes renames and new entries in `dir` durable (a no-op where folders cannot be opened). */
export function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
