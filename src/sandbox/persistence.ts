/**
 * How a sandbox comes back from its state folder: the saved generation, the journal of calls
 * since, and the scenario rule (a world keeps the scenario it was made from; giving another one
 * is refused instead of silently replacing the organisation under the saved stacks).
 */
import { resolve } from 'node:path';
import { demoScenario, loadScenarioFile, validateScenario } from './scenario';
import type { Scenario } from './scenario-types';
import {
  SandboxFolderNotOwnedError,
  SandboxScenarioConflictError,
  type SandboxStore,
  type StoreMeta,
} from './store';
import { type JournalEntry, readJournal } from './store/journal';

export const DEMO_SCENARIO_SOURCE = 'the built-in demo organisation';

export interface Persisted {
  meta?: StoreMeta;
  sections: Record<string, unknown>;
  generation: number;
  journal: JournalEntry[];
  /** The journals `journal` was read from (folded into the next generation written). */
  journalBases: number[];
  /** Nothing was loaded on purpose (`reset`): the next save leaves no earlier journal. */
  reset: boolean;
}

/** Loads the folder (or nothing, with `reset`), refusing a folder that is not the sandbox's. */
export async function loadPersisted(store: SandboxStore | undefined, reset: boolean): Promise<Persisted> {
  const none = { sections: {}, generation: 0, journal: [], journalBases: [] };
  if (!store) return { ...none, reset: false };
  if (reset) {
    const found = await store.inspect();
    if (found.foreign.length > 0) throw new SandboxFolderNotOwnedError(store.dir, found.foreign);
    store.forget();
    return { ...none, reset: true };
  }
  const loaded = await store.load();
  const journal =
    loaded.meta || loaded.generation > 0
      ? await readJournal(store.dir, loaded.generation)
      : { entries: [], bases: [] };
  return { ...loaded, journal: journal.entries, journalBases: journal.bases, reset: false };
}

/** JSON with sorted keys: two scenarios are the same when their values are. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface ChosenScenario {
  scenario: Scenario;
  /** Where it came from, for messages: a file path, "a scenario object", the demo. */
  source: string;
  /** True when the world was loaded from the folder (the scenario is the saved one). */
  saved: boolean;
}

/**
 * The scenario in force. Without `given`: the saved world's, else the demo organisation. With
 * `given`: it must be the saved world's scenario (same content), unless the world is new or
 * being reset; otherwise SandboxScenarioConflictError names both.
 */
export function chooseScenario(
  given: Scenario | string | undefined,
  saved: StoreMeta | undefined,
  dir: string | undefined,
  /** Where an object `given` came from. */
  givenSource?: string,
): ChosenScenario {
  if (given === undefined) {
    if (saved)
      return {
        scenario: saved.scenario,
        source: saved.scenarioSource ?? 'the scenario it was made from',
        saved: true,
      };
    return { scenario: demoScenario(), source: DEMO_SCENARIO_SOURCE, saved: false };
  }
  const scenario =
    typeof given === 'string' ? loadScenarioFile(given) : validateScenario(given, 'scenario object');
  const source = typeof given === 'string' ? resolve(given) : (givenSource ?? 'a scenario object');
  if (saved && stableJson(saved.scenario) !== stableJson(scenario)) {
    throw new SandboxScenarioConflictError(
      dir ?? '(memory)',
      saved.scenarioSource ?? 'its saved scenario',
      source,
    );
  }
  return saved
    ? { scenario: saved.scenario, source: saved.scenarioSource ?? source, saved: true }
    : { scenario, source, saved: false };
}

const READ_OPERATION = /^(Describe|List|Get|Head|Validate|Estimate)/;
/** Read-sounding operations that issue something (credentials). */
const WRITES_DESPITE_NAME = new Set(['GetSessionToken', 'GetFederationToken']);

/**
 * Whether a call can change the world, and so must be journaled before it is acknowledged.
 * Reads that settle a finished stack operation lazily are not: the fold is idempotent and the
 * next read or write does it again at the same result.
 */
export function isMutatingCall(operation: string): boolean {
  return !READ_OPERATION.test(operation) || WRITES_DESPITE_NAME.has(operation);
}

/** One mutating call at a time while journaling, so the journal's order is the order applied. */
export class WriteMutex {
  private tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
