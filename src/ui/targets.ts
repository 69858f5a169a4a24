/**
 * Which deploy-target executions belong to a rollout, and what each target's outcome is.
 * Names are `<account>-<region>-<short rollout id>` (src/core/execution-name.ts), so one
 * ListExecutions page tells account, region and rollout without a call per target.
 */
import { Outcomes } from './wire';

export interface ParsedTargetName {
  account: string;
  region: string;
  /** The short rollout id the name ends with. */
  suffix: string;
}

const targetName = /^(\d{12})-([a-z]{2}(?:-[a-z]+)+-\d+)-(.+)$/;

/** Splits a deploy-target execution name; undefined when the name is not one. */
export function parseTargetExecutionName(name: string): ParsedTargetName | undefined {
  const m = targetName.exec(name);
  if (!m) return undefined;
  return { account: m[1]!, region: m[2]!, suffix: m[3]! };
}

/** Outcome from what ListExecutions alone says (no output yet). */
export function outcomeFromStatus(status: string | undefined): string {
  switch (status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return Outcomes.InProgress;
    case 'SUCCEEDED':
      return Outcomes.Succeeded;
    case 'FAILED':
    case 'TIMED_OUT':
      return Outcomes.Failed;
    // Stopped (`stackfleet stop`, or a failed fan-out aborting its running children): the CLI's
    // summary says ABORTED too; its stack operation may still be running.
    case 'ABORTED':
      return Outcomes.Aborted;
    default:
      return Outcomes.Pending;
  }
}

const outcomeKeys = ['outcome', 'Outcome', 'result', 'status'];

/**
 * Outcome and reason from a finished deploy-target execution's output (e.g.
 * `{"outcome":"CREATED"}` or `{"target":{...,"outcome":"NO_CHANGE","reason":"..."}}`).
 * Falls back to the status when the output says nothing recognisable.
 */
export function outcomeFromOutput(
  status: string | undefined,
  output: string | undefined,
): { outcome: string; reason?: string } {
  const fallback = outcomeFromStatus(status);
  if (!output) return { outcome: fallback };
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return { outcome: fallback };
  }
  const found = findOutcome(parsed, 0);
  if (!found) return { outcome: fallback };
  if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED')
    return { ...found, outcome: outcomeFromStatus(status) };
  return found;
}

function findOutcome(value: unknown, depth: number): { outcome: string; reason?: string } | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value) || depth > 3) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of outcomeKeys) {
    const v = record[key];
    if (typeof v === 'string' && /^[A-Z][A-Z_]+$/.test(v)) {
      const reason = record.reason ?? record.Reason ?? record.message;
      return typeof reason === 'string' && reason ? { outcome: v, reason } : { outcome: v };
    }
  }
  for (const v of Object.values(record)) {
    const inner = findOutcome(v, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/** A per-target entry found in a rollout summary (failed targets with reasons, skipped ones, ...). */
export interface SummaryTarget {
  account: string;
  region: string;
  outcome?: string;
  reason?: string;
  error?: string;
  /** The deploy-target execution name, when the summary records it. */
  name?: string;
  /** The stacks form: which stack of the target this entry is. */
  stack?: string;
}

/**
 * Per-target entries and counts from the rollout summary. The summary's exact shape belongs to
 * the Summarize function, so this looks for arrays of objects that carry an account and a region
 * (the array's key, e.g. `failed`/`skipped`, gives the outcome when the entry does not).
 */
export function readRolloutSummary(summary: unknown): {
  targets: SummaryTarget[];
  counts?: Record<string, number>;
} {
  const targets: SummaryTarget[] = [];
  let counts: Record<string, number> | undefined;
  const visit = (value: unknown, key: string, depth: number) => {
    if (depth > 4 || !value || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) {
        const entry = summaryTarget(item, key);
        if (entry) targets.push(entry);
        else visit(item, key, depth + 1);
      }
      return;
    }
    const record = value as Record<string, unknown>;
    const values = Object.values(record);
    if (
      !counts &&
      /count|outcome|total/i.test(key) &&
      values.length > 0 &&
      values.every((v) => typeof v === 'number')
    ) {
      const keys = Object.keys(record);
      if (keys.some((k) => /^[A-Z_]+$/.test(k))) counts = record as Record<string, number>;
    }
    for (const [k, v] of Object.entries(record)) visit(v, k, depth + 1);
  };
  visit(summary, '', 0);
  return counts ? { targets, counts } : { targets };
}

function summaryTarget(item: unknown, arrayKey: string): SummaryTarget | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const r = item as Record<string, unknown>;
  const account = r.account ?? r.accountId ?? r.Account ?? r.AccountId;
  const region = r.region ?? r.Region;
  if (typeof account !== 'string' || typeof region !== 'string') return undefined;
  const entry: SummaryTarget = { account, region };
  const outcome = r.outcome ?? r.Outcome ?? r.status;
  if (typeof outcome === 'string') entry.outcome = outcome;
  else if (/fail/i.test(arrayKey)) entry.outcome = Outcomes.Failed;
  else if (/skip/i.test(arrayKey)) entry.outcome = Outcomes.Skipped;
  const reason = r.reason ?? r.Reason ?? r.cause ?? r.Cause ?? r.message;
  if (typeof reason === 'string') entry.reason = reason;
  const error = r.error ?? r.Error;
  if (typeof error === 'string') entry.error = error;
  if (typeof r.executionName === 'string' && r.executionName) entry.name = r.executionName;
  if (typeof r.stack === 'string' && r.stack) entry.stack = r.stack;
  return entry;
}
