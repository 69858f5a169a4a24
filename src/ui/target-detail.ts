/**
 * One target's execution for the side panel: status, outcome, and its history read into state
 * statuses, a timeline and the failure (the same unwrapping the rollout summary uses).
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { parseFailure } from '../core/summary';
import { stateNodeId } from './asl-graph';
import { readHistory, type StateStatus } from './execution-history';
import { outcomeFromOutput, parseTargetExecutionName } from './targets';
import type { TargetDetailWire } from './wire';

const ms = (d: Date | undefined): number | undefined => (d ? new Date(d).getTime() : undefined);

/** Reads every page of an execution's history, oldest first (a Standard execution caps at 25,000 events). */
export async function readExecutionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        nextToken,
        includeExecutionData: true,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken && events.length < 30000);
  return events;
}

/** Node id -> status for a graph, from a history reading keyed by state name. */
export function statusesByNode(byState: Record<string, StateStatus>): Record<string, StateStatus> {
  const out: Record<string, StateStatus> = {};
  for (const [name, status] of Object.entries(byState)) out[stateNodeId(name)] = status;
  return out;
}

/** One target's execution: status, outcome, history read into statuses, timeline and failure. */
export async function loadTargetDetail(sfn: SFNClient, executionArn: string): Promise<TargetDetailWire> {
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const events = await readExecutionHistory(sfn, executionArn);
  const reading = readHistory(events, d.status);
  const { outcome, reason } = outcomeFromOutput(d.status, d.output);
  const parsed = parseTargetExecutionName(d.name ?? '');
  const detail: TargetDetailWire = {
    executionArn,
    name: d.name ?? '',
    status: d.status ?? 'UNKNOWN',
    outcome,
    startDate: ms(d.startDate) ?? 0,
    statuses: statusesByNode(reading.statuses),
    retries: reading.retries,
    timeline: reading.timeline,
  };
  if (parsed) {
    detail.account = parsed.account;
    detail.region = parsed.region;
  }
  const stop = ms(d.stopDate);
  if (stop !== undefined) detail.stopDate = stop;
  const failure = reading.failure ? { ...reading.failure } : undefined;
  if (d.status === 'FAILED' || d.status === 'TIMED_OUT' || d.status === 'ABORTED') {
    // The same unwrapping the rollout summary uses, so the page and summary.json agree on the reason.
    const parsed = parseFailure(d.error, d.cause);
    const merged = { ...(failure ?? {}) };
    merged.error = parsed.error !== 'Unknown' ? parsed.error : (merged.error ?? d.error ?? 'Unknown');
    merged.cause = parsed.reason;
    const r = parsed.failedResource;
    if (r?.logicalId) {
      merged.resource = `${r.logicalId}${r.type ? ` (${r.type})` : ''}${r.status ? ` ${r.status}` : ''}`;
      if (r.statusReason && !merged.cause.includes(r.statusReason))
        merged.cause = `${merged.cause} (${r.statusReason})`;
    }
    detail.failure = merged;
    detail.reason = merged.cause ?? merged.error ?? reason ?? '';
  } else {
    if (failure) detail.failure = failure;
    if (reason) detail.reason = reason;
  }
  if (d.output) {
    try {
      detail.output = JSON.parse(d.output);
    } catch {
      detail.output = d.output;
    }
  }
  return detail;
}
