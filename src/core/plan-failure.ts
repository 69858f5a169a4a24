import { ErrorNames } from './errors';
import { parseFailure, RolloutStatuses, type RolloutSummary } from './summary';

/**
 * The summary of a rollout whose planning failed: no target was started, so there are no counts
 * to give, only the reason, and it goes to the same places as any summary (the execution's Fail
 * cause, the notification). No summary.json is written: the rollout id may belong to an earlier
 * rollout (a refused reuse), whose summary must stay.
 */
export interface PlanFailureInput {
  rolloutId: string;
  mode: string;
  summaryBucket: string;
  summaryKey: string;
  /** What the Catch of "Plan targets" holds. */
  error: string;
  cause?: string;
}

/**
 * What to do about a refusal from Organizations. AWS lets only the management account and
 * registered delegated administrators list the organisation ("Reference: API operations by
 * account" in the Organizations API reference); a member account gets AccessDeniedException.
 */
const ORGANIZATIONS_HINT =
  'stackfleet lists the organisation from the admin account, so that account must be the management account, ' +
  'or a member registered as a delegated administrator (or named in the Organizations resource-based ' +
  'delegation policy); see "Let the admin account read the organisation" in docs/real-aws.md.';

function refusedByOrganizations(error: string, reason: string): boolean {
  return (
    /AccessDenied|AWSOrganizationsNotInUse/.test(error) &&
    /organization|only the management account/i.test(`${error} ${reason}`)
  );
}

/** Builds the small summary (status PLAN_FAILED) for a planning failure. */
export function summarizePlanFailure(input: PlanFailureInput): RolloutSummary {
  const parsed = parseFailure(input.error, input.cause);
  const hint = refusedByOrganizations(parsed.error, parsed.reason) ? ` ${ORGANIZATIONS_HINT}` : '';
  const refused = parsed.error === ErrorNames.InvalidInput;
  const reason = `${refused ? 'Planning refused the request' : 'Planning failed'} with ${parsed.error}: ${parsed.reason}${hint}`;
  const status = RolloutStatuses.PLAN_FAILED;
  const text = [`Rollout ${input.rolloutId} (${input.mode}) ${status}: no target was started.`, reason].join(
    '\n',
  );
  return {
    rolloutId: input.rolloutId,
    mode: input.mode,
    status,
    total: 0,
    counts: { CREATED: 0, UPDATED: 0, NO_CHANGE: 0, FAILED: 0, SKIPPED: 0, NOT_STARTED: 0 },
    failures: [],
    failureCount: 0,
    stoppedBy: { stage: 'plan', error: parsed.error, reason },
    summaryBucket: input.summaryBucket,
    summaryKey: input.summaryKey,
    subject: `stackfleet ${input.mode} ${input.rolloutId}: ${status}, ${parsed.error}`
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 100),
    text,
  };
}
