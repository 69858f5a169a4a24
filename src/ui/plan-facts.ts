/**
 * What a rollout's own history says about its targets: where Plan targets put the manifest, and
 * the ids its per-target execution names end with.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** Where the plan put this rollout's files: the output of the state that planned targets. */
export interface PlanFacts {
  bucket: string;
  targetsKey: string;
  canariesKey: string;
  skippedKey: string;
  summaryKey: string;
  targetCount: number;
  canaryCount: number;
  skippedCount: number;
}

/** Finds the plan facts (`$.plan`) in the rollout history, whichever state wrote them. */
export function findPlanFacts(events: readonly HistoryEvent[]): PlanFacts | undefined {
  for (const event of events) {
    const output = event.stateExitedEventDetails?.output;
    if (!output?.includes('targetsKey')) continue;
    try {
      const parsed = JSON.parse(output) as { plan?: Record<string, unknown> };
      const p = parsed.plan;
      if (p && typeof p.bucket === 'string' && typeof p.targetsKey === 'string' && p.targetsKey) {
        return {
          bucket: p.bucket,
          targetsKey: p.targetsKey,
          canariesKey: String(p.canariesKey ?? ''),
          skippedKey: String(p.skippedKey ?? ''),
          summaryKey: String(p.summaryKey ?? ''),
          targetCount: Number(p.targetCount ?? 0),
          canaryCount: Number(p.canaryCount ?? 0),
          skippedCount: Number(p.skippedCount ?? 0),
        };
      }
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

/** Ids a rollout's target names may end with: its execution name, or a rollout id in its input. */
export function rolloutIdCandidates(execution: { name?: string; input?: string }): string[] {
  const ids = new Set<string>();
  if (execution.name) ids.add(execution.name);
  try {
    const input = JSON.parse(execution.input ?? '{}') as Record<string, unknown>;
    for (const v of [input.rolloutId, input.id, (input.rollout as Record<string, unknown> | undefined)?.id]) {
      if (typeof v === 'string' && v) ids.add(v);
    }
  } catch {
    // input is not JSON: only the name can serve
  }
  return [...ids];
}
