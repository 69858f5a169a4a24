import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * Where a rollout execution stands, read from its own event history (GetExecutionHistory): the
 * state it is in names the phase, and the "Plan targets" output carries the planned counts. The
 * Map Runs alone cannot say this: between the canaries' Map Run and the targets' one there is no
 * Map Run running, and targets the plan skipped are in no Map Run at all (the summary counts them).
 */

/** What the live line calls each state of statemachines/rollout.asl.json. */
export const PHASE_OF_STATE: Readonly<Record<string, string>> = {
  'Validate input': 'validating',
  'Plan targets': 'planning',
  'Any canaries?': 'planning',
  'Deploy canaries': 'canaries',
  'Deploy canary lanes': 'canaries',
  'Any targets?': 'deploying',
  'Deploy targets': 'deploying',
  'Deploy target lanes': 'deploying',
  Summarize: 'summarizing',
  Notify: 'notifying',
  'Within tolerance?': 'summarizing',
};

/** The plan's counts, as "Plan targets" returned them (functions/plan-targets.ts PlanFacts). */
export interface PlannedCounts {
  /** Items of the fan-outs: targets, or in the stacks form (`graph`) lanes. */
  targetCount: number;
  canaryCount: number;
  skippedCount: number;
  /** The stacks form: the fan-outs' items are lanes of stacks, not targets. */
  graph?: boolean;
}

export interface RolloutFacts {
  /** The phase of the state entered last (`starting` before any). */
  phase: string;
  /** The plan's counts once "Plan targets" has succeeded. */
  plan?: PlannedCounts;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** Reads phase and plan from a rollout execution's history events (any order). */
export function rolloutFactsFromHistory(events: readonly HistoryEvent[]): RolloutFacts {
  const ordered = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const facts: RolloutFacts = { phase: 'starting' };
  for (const event of ordered) {
    const entered = event.stateEnteredEventDetails?.name;
    if (entered !== undefined) facts.phase = PHASE_OF_STATE[entered] ?? entered;
    const exited = event.stateExitedEventDetails;
    if (exited?.name === 'Plan targets' && exited.output) {
      try {
        const plan = (JSON.parse(exited.output) as { plan?: Record<string, unknown> }).plan;
        if (plan && typeof plan === 'object' && 'targetCount' in plan) {
          facts.plan = {
            targetCount: count(plan.targetCount),
            canaryCount: count(plan.canaryCount),
            skippedCount: count(plan.skippedCount),
            ...(plan.graph === true ? { graph: true } : {}),
          };
        }
      } catch {
        // An output cut short by the payload limit: the counts come from the Map Runs instead.
      }
    }
  }
  return facts;
}
