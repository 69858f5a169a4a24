/**
 * The rows of the UI's tamper responses list (issue 16: "the UI lists response executions"): for
 * each recent respond-to-tampering execution, when, where, which call, who made it, what the
 * response did and how it ended. The event is read from the execution's input with the same
 * reader the response's first state runs (src/core/tamper/read-event.ts), so a running or failed
 * execution still says who did what; what was restored and contained comes from its output.
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { containedText } from '../core/tamper/alert';
import { readTamperEvent } from '../core/tamper/read-event';
import { listResponses, type ResponseSummary } from './responses';

/** How a response ended, as a person triaging tampering reads it. */
export const ResponseOutcomes = {
  /** Restored, recorded and alerted (containment as decided). */
  Handled: 'HANDLED',
  /** Alerted, but a step could not be done: the alert says what and why. */
  ActionNeeded: 'ACTION_NEEDED',
  /** The same EventBridge event again: answered by the first delivery. */
  Duplicate: 'DUPLICATE',
  Running: 'RUNNING',
  /** The execution itself failed, timed out or was aborted: no alert may have gone out. */
  Failed: 'FAILED',
} as const;
export type ResponseOutcome = (typeof ResponseOutcomes)[keyof typeof ResponseOutcomes];

export interface ResponseRow extends ResponseSummary {
  account: string;
  region: string;
  eventName: string;
  /** ISO 8601 time of the tampering call. */
  eventTime: string;
  principal: string;
  /** What "Restore logging" (and a redeploy) did. */
  restored?: string;
  /** What "Contain the principal" did, or why nothing was contained. */
  contained?: string;
  incidentCount?: number;
  /** Steps that could not be done ("Restore logging: AccessDenied ..."). */
  failures: string[];
  outcome: ResponseOutcome;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A row from one execution's summary, input and output (pure: the tests feed it directly). */
export function responseRowOf(summary: ResponseSummary, input: unknown, output: unknown): ResponseRow {
  const event = readTamperEvent(input);
  const out = obj(output);
  const failures = ['readFailure', 'restoreFailure', 'recordFailure', 'containFailure']
    .map((k) => obj(out[k]))
    .filter((f) => str(f.step))
    .map((f) => `${f.step}: ${str(f.Error) ?? 'Error'}${str(f.Cause) ? ` (${f.Cause})` : ''}`);
  const incident = obj(out.incident);
  let outcome: ResponseOutcome;
  if (summary.status === 'RUNNING' || summary.status === 'PENDING_REDRIVE')
    outcome = ResponseOutcomes.Running;
  else if (summary.status !== 'SUCCEEDED') outcome = ResponseOutcomes.Failed;
  else if (incident.duplicate === true) outcome = ResponseOutcomes.Duplicate;
  else if (failures.length > 0) outcome = ResponseOutcomes.ActionNeeded;
  else outcome = ResponseOutcomes.Handled;
  const row: ResponseRow = {
    ...summary,
    account: event.account,
    region: event.region,
    eventName: event.eventName,
    eventTime: event.eventTime,
    principal: event.principal.label,
    failures,
    outcome,
  };
  const restored = str(obj(out.restore).restored);
  if (restored) row.restored = restored;
  const contained = containedText(
    obj(out.containment) as { contained?: string },
    obj(incident.decision) as { action?: string; reason?: string },
  );
  if (contained) row.contained = contained;
  if (typeof incident.count === 'number' && incident.count > 0) row.incidentCount = incident.count;
  return row;
}

/** The latest response executions as list rows, newest first (one DescribeExecution each). */
export async function listResponseRows(
  sfn: SFNClient,
  stateMachineArn: string,
  max = 50,
): Promise<ResponseRow[]> {
  const summaries = await listResponses(sfn, stateMachineArn, max);
  return Promise.all(
    summaries.map(async (summary) => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: summary.executionArn }));
      return responseRowOf(summary, parse(d.input), parse(d.output));
    }),
  );
}
