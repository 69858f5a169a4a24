/**
 * Reading an earlier version's folder, clearing away what a generation left behind, and the
 * fault injection the kill tests use. Each runs for SandboxStore (index.ts), under its lock.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { realSetInterval } from '../clock';
import {
  GENERATIONS_DIR,
  JOURNAL_DIR,
  LEGACY_META,
  LEGACY_SECTIONS,
  manifestPath,
  PARTS_DIR,
} from './folder';
import type { LoadedState, Manifest, StoreMeta } from './index';

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Reads a folder of the earlier layout (meta.json + sections/NAME.json). */
export async function loadLegacy(dir: string): Promise<LoadedState> {
  const meta = JSON.parse(await readFile(join(dir, LEGACY_META), 'utf8')) as StoreMeta;
  const sections: Record<string, unknown> = {};
  let names: string[] = [];
  try {
    names = await readdir(join(dir, LEGACY_SECTIONS));
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  for (const file of names) {
    if (!file.endsWith('.json')) continue;
    sections[file.slice(0, -'.json'.length)] = JSON.parse(
      await readFile(join(dir, LEGACY_SECTIONS, file), 'utf8'),
    );
  }
  return { meta: { clock: meta.clock, scenario: meta.scenario }, sections, generation: 0 };
}

/**
 * Removes what no longer belongs to the current or the previous generation: older manifests,
 * unreferenced parts, temp files of writers that died, journals already folded into a
 * generation, and the earlier layout's files. Runs under the lock, after the switch.
 */
export async function collectGarbage(
  dir: string,
  manifest: Manifest,
  previous: Manifest | undefined,
  dropJournal: (base: number) => boolean,
): Promise<void> {
  const keepManifests = new Set([manifestPath(manifest.generation)]);
  const keepParts = new Set<string>();
  for (const m of [manifest, previous]) {
    if (!m) continue;
    keepManifests.add(manifestPath(m.generation));
    for (const entry of Object.values(m.sections)) for (const p of entry.parts) keepParts.add(p.sha256);
  }
  const sweep = async (folder: string, keep: (name: string) => boolean) => {
    let names: string[];
    try {
      names = await readdir(join(dir, folder));
    } catch {
      return;
    }
    for (const name of names) if (!keep(name)) await rm(join(dir, folder, name), { force: true });
  };
  await sweep(GENERATIONS_DIR, (name) => keepManifests.has(`${GENERATIONS_DIR}/${name}`));
  await sweep(
    PARTS_DIR,
    (name) => name.endsWith('.ndjson') && keepParts.has(name.slice(0, -'.ndjson'.length)),
  );
  await sweep(JOURNAL_DIR, (name) => !dropJournal(Number.parseInt(name, 10)));
  // Temp files at the top are written without the lock (claiming, waiting): only a dead writer's go.
  await sweep('.', (name) => {
    const scratch = /^(?:stackfleet-sandbox\.json|lock|lock\.breaking)\.(\d+)\.\d+\.tmp$/.exec(name);
    return !scratch || pidRuns(Number(scratch[1]));
  });
  await rm(join(dir, LEGACY_SECTIONS), { recursive: true, force: true });
  await rm(join(dir, LEGACY_META), { force: true });
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Fault injection for the tests that kill a writer in the middle of a save
 * (`STACKFLEET_SANDBOX_FAULT=pause-before-switch`, or `pause-before-switch:N` for this process's
 * Nth save only): the new generation is written, the pointer not yet switched; the process says
 * so on stderr and waits to be killed.
 */
let savesSeen = 0;
export async function pauseForFaultInjection(dir: string): Promise<void> {
  const m = /^pause-before-switch(?::(\d+))?$/.exec(process.env.STACKFLEET_SANDBOX_FAULT ?? '');
  if (!m) return;
  savesSeen += 1;
  if (m[1] !== undefined && Number(m[1]) !== savesSeen) return;
  process.stderr.write(`sandbox fault injection: paused before switching generations in ${dir}\n`);
  // A real timer keeps the process alive until it is killed.
  await new Promise<never>(() => realSetInterval(() => undefined, 60_000));
}
