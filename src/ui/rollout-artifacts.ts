/**
 * What a rollout leaves in its artifact bucket, as the tracker's rows (src/ui/rollout-data.ts):
 * the plan (every planned and skipped target, before any starts) and the summary (every final
 * outcome with its reason, so a finished rollout needs no per-target call).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseJsonLines } from '../core/plan';
import type { PlanFacts } from './plan-facts';
import { keyOf, type TargetTable } from './target-table';
import { readRolloutSummary } from './targets';
import { Outcomes } from './wire';

/**
 * Planned and skipped targets from the artifact bucket, as rows: the whole grid shows before
 * targets start. The planned execution names go to `plannedNames` (they say which listed
 * executions are this rollout's).
 */
export async function loadPlanRows(
  s3: S3Client,
  plan: PlanFacts,
  rows: TargetTable,
  plannedNames: Set<string>,
): Promise<void> {
  const read = async (key: string) => {
    try {
      const answer = await s3.send(new GetObjectCommand({ Bucket: plan.bucket, Key: key }));
      return parseJsonLines<Record<string, unknown>>((await answer.Body?.transformToString('utf-8')) ?? '');
    } catch {
      return undefined;
    }
  };
  const targets = [...((await read(plan.canariesKey)) ?? []), ...((await read(plan.targetsKey)) ?? [])];
  const skipped = (await read(plan.skippedKey)) ?? [];
  const regions = new Set<string>();
  for (const t of targets) {
    const account = String(t.accountId ?? '');
    const region = String(t.region ?? '');
    if (!account || !region) continue;
    regions.add(region);
    for (const { stack, name } of plannedExecutions(t)) {
      if (name) plannedNames.add(name);
      const key = keyOf(account, region, stack);
      if (rows.has(key)) continue;
      rows.upsert(key, {
        account,
        region,
        name,
        stack,
        status: 'PLANNED',
        outcome: Outcomes.Pending,
        reason: '',
        settled: false,
        fromSummary: false,
      });
    }
  }
  for (const t of skipped) {
    const account = String(t.accountId ?? '');
    const region = String(t.region ?? '');
    const reason = typeof t.reason === 'string' ? t.reason : '';
    // A whole skipped account (`*`) shows in every planned region's column.
    for (const r of region === '*' ? [...regions] : [region]) {
      if (!account || !r) continue;
      rows.upsert(keyOf(account, r), {
        account,
        region: r,
        name: '',
        stack: '',
        status: 'SKIPPED',
        outcome: Outcomes.Skipped,
        reason,
        settled: true,
        fromSummary: true,
      });
    }
  }
}

/**
 * summary.json carries every target's final outcome: once read, no per-target call is needed.
 * True once it was read and applied; false while it is not written yet.
 */
export async function loadSummaryDocument(
  s3: S3Client,
  summary: unknown,
  plan: PlanFacts | undefined,
  rows: TargetTable,
): Promise<boolean> {
  const small = (summary ?? {}) as { summaryBucket?: unknown; summaryKey?: unknown };
  const bucket = typeof small.summaryBucket === 'string' ? small.summaryBucket : plan?.bucket;
  const key = typeof small.summaryKey === 'string' ? small.summaryKey : plan?.summaryKey;
  if (!bucket || !key) return false;
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const document = JSON.parse((await answer.Body?.transformToString('utf-8')) ?? '{}') as unknown;
    applySummaryRows(rows, document, true);
    return true;
  } catch {
    // Not written (yet): the small summary and per-target reads still give every outcome.
    return false;
  }
}

/** The finished rollout's summary names failed (and skipped) targets with their reasons. */
export function applySummaryRows(rows: TargetTable, summary: unknown, complete = false): void {
  for (const entry of readRolloutSummary(summary).targets) {
    if (entry.region === '*') continue;
    // The stacks form: one entry per (target, stack); a target's own row is derived from them
    // (the summary's graphTargets say the same), except a skipped target's, which has no stack.
    const stack = rows.stacks ? entry.stack : '';
    if (stack === undefined && entry.outcome !== Outcomes.Skipped) continue;
    const key = keyOf(entry.account, entry.region, stack);
    const existing = rows.get(key);
    const outcome = entry.outcome ?? existing?.outcome ?? Outcomes.Pending;
    const reason = entry.reason ?? existing?.reason ?? '';
    if (existing && existing.outcome === outcome && existing.reason === reason) continue;
    rows.upsert(key, {
      account: entry.account,
      region: entry.region,
      name: existing?.name || entry.name || '',
      stack: stack ?? '',
      status: existing?.status ?? 'UNKNOWN',
      outcome,
      reason,
      settled: complete || (existing?.settled ?? true),
      fromSummary: true,
    });
  }
}

/** The executions a plan line starts: one per stack of a stacks-form lane, else the target's own. */
function plannedExecutions(line: Record<string, unknown>): Array<{ stack: string; name: string }> {
  const lane = line.lane as { stacks?: unknown } | undefined;
  if (lane && Array.isArray(lane.stacks)) {
    return (lane.stacks as Array<Record<string, unknown>>)
      .filter((s) => typeof s.name === 'string' && s.name)
      .map((s) => ({
        stack: s.name as string,
        name: typeof s.executionName === 'string' ? s.executionName : '',
      }));
  }
  return [{ stack: '', name: typeof line.executionName === 'string' ? line.executionName : '' }];
}
