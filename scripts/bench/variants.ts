/**
 * Reference polling policies as variant state machines, made from the real ASL files in
 * memory: the benchmark compares policies run by the same engine on the same scenario, so
 * the only thing that differs between two rows is the schedule of checks.
 */

/** The policies the benchmark knows, by the names issue 9 gives them. */
export const BENCH_POLICIES = ['stackfleet', 'stackfleet-events', 'fixed-30s', 'fixed-10s', 'batch'] as const;
export type BenchPolicy = (typeof BENCH_POLICIES)[number];

/** How a policy waits between status checks and how it schedules targets. */
export interface PolicySpec {
  /** Fixed seconds between checks, or undefined for stackfleet's adaptive wait. */
  fixedWaitSeconds?: number;
  /** True when targets start in batches that each run to completion before the next. */
  batches: boolean;
  /** True when the rollout waits for Stack Status Change events (issue 19), polling as the fallback. */
  stackEvents?: boolean;
}

/** What each policy means (see docs/benchmarks.md for where the reference figures come from). */
export const POLICY_SPECS: Record<BenchPolicy, PolicySpec> = {
  stackfleet: { batches: false },
  'stackfleet-events': { batches: false, stackEvents: true },
  'fixed-30s': { fixedWaitSeconds: 30, batches: false },
  'fixed-10s': { fixedWaitSeconds: 10, batches: false },
  batch: { fixedWaitSeconds: 1, batches: true },
} as const;

/**
 * The Wait state between a deploy and the next status check in deploy-target.asl.json (the
 * machine deploy-mode rollouts start; the bench runs deploy mode only).
 */
export const STACK_WAIT_STATE = 'Wait for stack';

/** Parses a comma-separated policy list, refusing unknown names with the value received. */
export function parsePolicies(text: string): BenchPolicy[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0)
    throw new Error(`--policies must name at least one of ${BENCH_POLICIES.join(', ')}. Received: "${text}"`);
  for (const name of names) {
    if (!(BENCH_POLICIES as readonly string[]).includes(name))
      throw new Error(`--policies must be a list of ${BENCH_POLICIES.join(', ')}. Received: ${name}`);
  }
  return [...new Set(names)] as BenchPolicy[];
}

type Json = Record<string, unknown>;

/**
 * The deploy-target definition with the adaptive wait replaced by a fixed one: the "Wait for
 * stack" state gets `Seconds` instead of `SecondsPath`. Everything else (functions, retries,
 * error handling) stays as it is, so only the polling schedule changes.
 */
export function withFixedStackWait(definition: Json, seconds: number): Json {
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new Error(`fixed wait seconds must be a whole number of at least 1. Received: ${seconds}`);
  const copy = structuredClone(definition) as Json;
  const states = copy.States as Record<string, Json> | undefined;
  const wait = states?.[STACK_WAIT_STATE];
  if (wait?.Type !== 'Wait')
    throw new Error(`deploy-target definition has no Wait state named "${STACK_WAIT_STATE}" to replace`);
  delete wait.SecondsPath;
  wait.Seconds = seconds;
  wait.Comment = `Benchmark variant: a fixed ${seconds} s between status checks.`;
  return copy;
}

/**
 * Renames a state machine placeholder everywhere in a definition (as text), so a rollout
 * variant starts the deploy-target variant instead of the real one: the rollout names it in
 * Validate input's `targetStateMachines.deploy`, which a deploy-mode rollout picks for every target.
 */
export function renamePlaceholder(definitionText: string, from: string, to: string): string {
  return definitionText.split(`\${${from}}`).join(`\${${to}}`);
}

/**
 * Splits targets into consecutive batches of `size`, in manifest order: org-formation's
 * schedule, where a batch starts only when the previous one has finished.
 */
export function splitIntoBatches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`batch size must be a whole number of at least 1. Received: ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
