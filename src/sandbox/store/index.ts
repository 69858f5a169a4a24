/**
 * Persistence of the sandbox world, so successive commands see the same cloud. A save writes a
 * new generation: each section as NDJSON parts named by their SHA-256 (parts that did not change
 * are not written again), then a manifest listing them, then the pointer file is switched to
 * that manifest by one atomic rename, with fsync before each step that the next depends on.
 * Whatever instant a process is killed, the pointer names either the previous or the next whole
 * generation; files of a generation that never became current are removed by the next writer.
 *
 * Writers hold the folder's lock (see lock.ts); readers take none and retry if a writer removed
 * the generation they were reading. A section this store did not change since it loaded it is
 * taken from the current generation when saving, so two writers of different services in one
 * process (a test, a library user) do not undo each other.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { realNow } from '../clock';
import type { Scenario } from '../scenario-types';
import { SandboxFolderNotOwnedError, SandboxStateCorruptError } from './errors';
import {
  type FolderInspection,
  fsyncFolder,
  GENERATIONS_DIR,
  inspectFolder,
  isPointer,
  LOCK_FILE,
  manifestPath,
  PARTS_DIR,
  POINTER_FILE,
  type Pointer,
  partPath,
  STATE_FORMAT,
  tempPathFor,
  writeAndSync,
  writeFileDurably,
} from './folder';
import { collectGarbage, loadLegacy, pauseForFaultInjection } from './housekeeping';
import { type AcquireOptions, defaultCommand, WriterLock } from './lock';
import {
  DEFAULT_ENCODE_OPTIONS,
  type EncodedPart,
  type EncodeOptions,
  encodeSection,
  SectionDecoder,
} from './records';

export type { LockHolder } from './errors';
export { SandboxFolderNotOwnedError, SandboxLockedError, SandboxScenarioConflictError } from './errors';

export const DEFAULT_STATE_DIR = '.stackfleet/sandbox';
const SECTION_NAME = /^[A-Za-z0-9_-]+$/;
/** How often a reader starts over when a writer removed the generation it was reading. */
const READ_ATTEMPTS = 5;
/** Part writes in flight while the next parts are encoded. */
const WRITES_IN_FLIGHT = 3;

/** What is kept beside the sections. */
export interface StoreMeta {
  /** Virtual epoch milliseconds when saved; a save never writes an earlier clock than the folder holds. */
  clock: number;
  scenario: Scenario;
  /** Where the scenario came from (a file, or "the built-in demo organisation"). */
  scenarioSource?: string;
}

export interface PartEntry {
  sha256: string;
  bytes: number;
  records: number;
}

export interface Manifest extends StoreMeta {
  format: typeof STATE_FORMAT;
  version: 2;
  generation: number;
  /** Real time of the save. */
  savedAt: string;
  writer: { pid: number; command: string };
  sections: Record<string, { parts: PartEntry[] }>;
}

export interface LoadedState {
  meta?: StoreMeta;
  sections: Record<string, unknown>;
  /** The generation loaded (0 when nothing was saved yet). */
  generation: number;
}

export interface SaveResult {
  generation: number;
  /** Sections whose content this save wrote (the others were unchanged). */
  written: string[];
  /** Part files written (the others were already there). */
  partsWritten: number;
  bytes: number;
}

/** A generation encoded in memory, ready to be written (a consistent snapshot of a live world). */
export interface SaveOptions {
  /**
   * Which of serve's journals the new generation has folded in, to be removed once it is
   * current. Default: those of earlier generations.
   */
  dropJournal?: (base: number) => boolean;
}

export interface ResetResult {
  existed: boolean;
  /** Top-level entries removed. */
  removed: string[];
}

export interface PreparedGeneration {
  meta: StoreMeta;
  sections: Map<string, EncodedPart[]>;
}

export interface StoreOptions {
  encode?: Partial<EncodeOptions>;
  /** Label of this process in the lock and the manifest (default: the script name). */
  command?: string;
}

function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export class SandboxStore {
  readonly lock: WriterLock;
  readonly encodeOptions: EncodeOptions;
  readonly command: string;
  /** Part hashes per section as this store last loaded or saved them. */
  private readonly known = new Map<string, string[]>();
  private forgotten = false;

  constructor(
    readonly dir: string,
    options: StoreOptions = {},
  ) {
    this.lock = new WriterLock(dir);
    this.encodeOptions = { ...DEFAULT_ENCODE_OPTIONS, ...options.encode };
    this.command = options.command ?? defaultCommand();
  }

  get lockPath(): string {
    return this.lock.path;
  }

  /** Lists the folder: whether it exists, is the sandbox's, and what else it holds. */
  inspect(): Promise<FolderInspection> {
    return inspectFolder(this.dir);
  }

  /**
   * Makes the folder the sandbox's (creating it and its marker) unless it holds anything else,
   * in which case nothing is written and SandboxFolderNotOwnedError names what it holds.
   */
  async claim(): Promise<void> {
    const found = await this.inspect();
    if (found.foreign.length > 0) throw new SandboxFolderNotOwnedError(this.dir, found.foreign);
    if (found.pointer || found.legacy) return;
    await mkdir(this.dir, { recursive: true });
    const pointer: Pointer = {
      format: STATE_FORMAT,
      version: 2,
      generation: 0,
      manifest: null,
      about: 'State of the stackfleet sandbox. Remove it with `stackfleet sandbox reset`.',
    };
    const temp = tempPathFor(join(this.dir, POINTER_FILE));
    await writeAndSync(temp, JSON.stringify(pointer));
    await link(temp, join(this.dir, POINTER_FILE)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // someone else claimed it meanwhile: same marker
    });
    await unlink(temp).catch(() => undefined);
    fsyncFolder(this.dir);
  }

  /** Takes the writer lock until `release()` (one writer at a time across processes). */
  async acquire(options: Omit<AcquireOptions, 'command'> & { command?: string }): Promise<void> {
    await this.claim();
    await this.lock.acquire({ ...options, command: options.command ?? this.command });
  }

  release(): void {
    this.lock.releaseSync();
  }

  /**
   * `sandbox reset`: removes the sandbox's own files and then the folder, under the writer lock.
   * A folder that holds anything else is refused whole (SandboxFolderNotOwnedError) before
   * anything is written to it; a missing or empty folder is left as it is.
   */
  async reset(options: Omit<AcquireOptions, 'command'> & { command?: string }): Promise<ResetResult> {
    const before = await this.inspect();
    if (!before.exists) return { existed: false, removed: [] };
    if (before.foreign.length > 0) throw new SandboxFolderNotOwnedError(this.dir, before.foreign);
    if (before.entries.length === 0) return { existed: true, removed: [] };
    const held = this.lock.held;
    if (!held) await this.acquire(options);
    const removed: string[] = [];
    try {
      const found = await this.inspect();
      if (found.foreign.length > 0) throw new SandboxFolderNotOwnedError(this.dir, found.foreign);
      for (const entry of found.entries) {
        if (entry === LOCK_FILE) continue;
        await rm(join(this.dir, entry), { recursive: true, force: true });
        if (!entry.endsWith('.tmp')) removed.push(entry);
      }
      this.known.clear();
    } finally {
      if (!held) this.release();
    }
    if (!held) await rmdir(this.dir).catch(() => undefined);
    return { existed: true, removed };
  }

  /** The next save writes exactly the given sections (`--reset`): nothing is taken from the folder. */
  forget(): void {
    this.forgotten = true;
    this.known.clear();
  }

  private async readPointer(): Promise<Pointer | undefined> {
    try {
      const value = JSON.parse(await readFile(join(this.dir, POINTER_FILE), 'utf8'));
      return isPointer(value) ? value : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async readManifest(pointer: Pointer): Promise<Manifest | undefined> {
    if (!pointer.manifest) return undefined;
    const manifest = JSON.parse(await readFile(join(this.dir, pointer.manifest), 'utf8')) as Manifest;
    if (manifest.format !== STATE_FORMAT || manifest.generation !== pointer.generation)
      throw new SandboxStateCorruptError(
        this.dir,
        `${pointer.manifest} is not generation ${pointer.generation}`,
      );
    return manifest;
  }

  /** Loads the current generation; empty when nothing was saved yet. */
  async load(): Promise<LoadedState> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.loadOnce();
      } catch (error) {
        // A writer switched generations and removed the one being read: read the new one.
        if (!isMissing(error) || attempt >= READ_ATTEMPTS) throw error;
      }
    }
  }

  private async loadOnce(): Promise<LoadedState> {
    const found = await this.inspect();
    if (!found.exists) return { sections: {}, generation: 0 };
    if (found.foreign.length > 0) throw new SandboxFolderNotOwnedError(this.dir, found.foreign);
    if (!found.pointer?.manifest) {
      return found.legacy && !found.pointer?.manifest
        ? loadLegacy(this.dir)
        : { sections: {}, generation: 0 };
    }
    const manifest = await this.readManifest(found.pointer);
    if (!manifest) return { sections: {}, generation: 0 };
    const sections: Record<string, unknown> = {};
    this.known.clear();
    // The next part is read while this one is decoded.
    const queue = Object.entries(manifest.sections).flatMap(([name, entry]) =>
      entry.parts.map((part) => ({ name, part })),
    );
    let reading = queue[0] ? readFile(join(this.dir, partPath(queue[0].part.sha256))) : undefined;
    let index = 0;
    for (const [name, entry] of Object.entries(manifest.sections)) {
      const decoder = new SectionDecoder(name);
      for (const part of entry.parts) {
        const path = partPath(part.sha256);
        const buffer = await (reading as Promise<Buffer>);
        index += 1;
        const upcoming = queue[index];
        reading = upcoming ? readFile(join(this.dir, partPath(upcoming.part.sha256))) : undefined;
        // A read that fails after this one failed is not left unhandled.
        reading?.catch(() => undefined);
        if (buffer.length !== part.bytes || sha256(buffer) !== part.sha256) {
          throw new SandboxStateCorruptError(
            this.dir,
            `${path} does not match generation ${manifest.generation}'s manifest (${buffer.length} bytes, ${part.bytes} expected)`,
          );
        }
        decoder.addPart(buffer.toString('utf8'), path);
      }
      sections[name] = decoder.value();
      this.known.set(
        name,
        entry.parts.map((p) => p.sha256),
      );
    }
    const { clock, scenario, scenarioSource } = manifest;
    return {
      meta: { clock, scenario, ...(scenarioSource !== undefined ? { scenarioSource } : {}) },
      sections,
      generation: manifest.generation,
    };
  }

  /** Encodes every section now, synchronously: a snapshot no later change of the world can tear. */
  prepare(meta: StoreMeta, sections: Record<string, unknown>): PreparedGeneration {
    const encoded = new Map<string, EncodedPart[]>();
    for (const [name, value] of Object.entries(sections)) {
      checkSectionName(name);
      encoded.set(name, [...encodeSection(value, this.encodeOptions)]);
    }
    return { meta, sections: encoded };
  }

  /**
   * Writes a new generation of `sections` (streamed part by part: no string holds a section)
   * under the writer lock (the held one, or taken for this save).
   */
  async save(
    meta: StoreMeta,
    sections: Record<string, unknown>,
    options: SaveOptions = {},
  ): Promise<SaveResult> {
    for (const name of Object.keys(sections)) checkSectionName(name);
    const parts = (name: string) => encodeSection(sections[name], this.encodeOptions);
    return this.write(meta, Object.keys(sections), parts, options);
  }

  /** Writes a generation prepared earlier (see `prepare`). */
  commit(prepared: PreparedGeneration, options: SaveOptions = {}): Promise<SaveResult> {
    return this.write(
      prepared.meta,
      [...prepared.sections.keys()],
      (name) => prepared.sections.get(name) ?? [],
      options,
    );
  }

  private async write(
    meta: StoreMeta,
    names: string[],
    partsOf: (name: string) => Iterable<EncodedPart>,
    options: SaveOptions,
  ): Promise<SaveResult> {
    const held = this.lock.held;
    if (!held) await this.acquire({ waitMs: 15_000 });
    const writing: Array<Promise<void>> = [];
    try {
      await mkdir(join(this.dir, PARTS_DIR), { recursive: true });
      await mkdir(join(this.dir, GENERATIONS_DIR), { recursive: true });
      const pointer = await this.readPointer();
      const current = pointer ? await this.readManifest(pointer) : undefined;
      const result: SaveResult = {
        generation: (pointer?.generation ?? 0) + 1,
        written: [],
        partsWritten: 0,
        bytes: 0,
      };
      const next: Record<string, { parts: PartEntry[] }> = {};
      if (current && !this.forgotten) Object.assign(next, current.sections);
      // Writes overlap with encoding the next parts (a few in flight, bounded memory).
      const writeIfMissing = async (path: string, buffer: Buffer) => {
        if (await exists(path)) return;
        await writeFileDurably(path, buffer);
        result.partsWritten += 1;
        result.bytes += buffer.length;
      };
      for (const name of names) {
        const entries: PartEntry[] = [];
        for (const part of partsOf(name)) {
          const hash = sha256(part.buffer);
          const write = writeIfMissing(join(this.dir, partPath(hash)), part.buffer);
          // Handled here so a failure is not "unhandled" while it waits its turn; awaited below.
          write.catch(() => undefined);
          writing.push(write);
          if (writing.length >= WRITES_IN_FLIGHT) await writing.shift();
          entries.push({ sha256: hash, bytes: part.buffer.length, records: part.records });
        }
        const hashes = entries.map((e) => e.sha256);
        const mine = this.known.get(name);
        const unchanged = !this.forgotten && mine !== undefined && sameList(mine, hashes);
        // Unchanged here since it was loaded: the folder's copy wins (another writer may have changed it).
        if (!(unchanged && current?.sections[name])) {
          next[name] = { parts: entries };
          if (
            !current?.sections[name] ||
            !sameList(
              current.sections[name].parts.map((p) => p.sha256),
              hashes,
            )
          )
            result.written.push(name);
        }
        // What this store's memory encodes to, whichever copy the folder keeps.
        this.known.set(name, hashes);
      }
      await Promise.all(writing);
      fsyncFolder(join(this.dir, PARTS_DIR));
      const manifest: Manifest = {
        format: STATE_FORMAT,
        version: 2,
        generation: result.generation,
        savedAt: new Date(realNow()).toISOString(),
        writer: { pid: process.pid, command: this.command },
        clock: Math.max(meta.clock, current?.clock ?? 0),
        scenario: meta.scenario,
        ...(meta.scenarioSource !== undefined ? { scenarioSource: meta.scenarioSource } : {}),
        sections: next,
      };
      const relative = manifestPath(result.generation);
      await writeFileDurably(join(this.dir, relative), JSON.stringify(manifest));
      fsyncFolder(join(this.dir, GENERATIONS_DIR));
      const nextPointer: Pointer = {
        format: STATE_FORMAT,
        version: 2,
        generation: result.generation,
        manifest: relative,
        about: 'State of the stackfleet sandbox. Remove it with `stackfleet sandbox reset`.',
      };
      await pauseForFaultInjection(this.dir);
      await writeFileDurably(join(this.dir, POINTER_FILE), JSON.stringify(nextPointer));
      fsyncFolder(this.dir);
      this.forgotten = false;
      await collectGarbage(
        this.dir,
        manifest,
        current,
        options.dropJournal ?? ((base) => base < manifest.generation),
      );
      return result;
    } catch (error) {
      // Part writes still in flight finish before the lock goes (their files are then orphans).
      await Promise.allSettled(writing);
      throw error;
    } finally {
      if (!held) this.release();
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkSectionName(name: string): void {
  if (!SECTION_NAME.test(name))
    throw new Error(`Sandbox state section names must match ${SECTION_NAME}. Received: ${name}`);
}
