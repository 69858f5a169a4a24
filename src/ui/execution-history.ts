/**
 * Reads a Step Functions execution history the way a person reads the console: which states
 * ran and how they ended (succeeded, failed, or failed but caught), how often a state was
 * retried, how long it waited, and the failure with its resource and reason. Pure, so the
 * same reading serves the live page, the static export and the tests.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** Colour classes of a state in the selected execution. */
export const StateStatuses = {
  NotStarted: 'not-started',
  InProgress: 'in-progress',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Caught: 'caught',
} as const;
export type StateStatus = (typeof StateStatuses)[keyof typeof StateStatuses];

/** One line of the event history panel. */
export interface TimelineRow {
  id: number;
  /** Milliseconds since the epoch. */
  time: number;
  /** Milliseconds since the execution started. */
  elapsed: number;
  kind: 'execution' | 'entered' | 'exited' | 'wait' | 'retry' | 'failure' | 'task';
  state?: string;
  text: string;
}

/** What went wrong, as specific as the history allows. */
export interface FailureDetail {
  /** The state where the failure surfaced (a Task, or the Fail state). */
  state?: string;
  error?: string;
  /** The human reason (a Lambda's `errorMessage` rather than its JSON envelope). */
  cause?: string;
  /** The CloudFormation resource that failed, when the reason names it. */
  resource?: string;
}

export interface HistoryReading {
  statuses: Record<string, StateStatus>;
  retries: Record<string, number>;
  timeline: TimelineRow[];
  failure?: FailureDetail;
}

const failureTypes = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
  'MapStateFailed',
  'ParallelStateFailed',
  'MapRunFailed',
  'EvaluationFailed',
]);
const scheduleTypes = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const executionEnd = new Set(['ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

/** Error and cause of an event, whatever its details field is called. */
function errorOf(event: HistoryEvent): { error?: string; cause?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || !value || typeof value !== 'object') continue;
    const details = value as { error?: string; cause?: string };
    if (details.error !== undefined || details.cause !== undefined) {
      const out: { error?: string; cause?: string } = {};
      if (details.error !== undefined) out.error = details.error;
      if (details.cause !== undefined) out.cause = details.cause;
      return out;
    }
  }
  return {};
}

function time(event: HistoryEvent): number {
  const t = event.timestamp as unknown;
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t < 1e12 ? t * 1000 : t;
  if (typeof t === 'string') return Date.parse(t);
  return 0;
}

/**
 * A Lambda's cause is a JSON envelope (`{"errorMessage":...,"errorType":...}`); people want the
 * message. Also finds the failed CloudFormation resource when the reason carries it.
 */
export function readCause(cause: string | undefined): { cause?: string; resource?: string } {
  if (cause === undefined) return {};
  let text = cause;
  let resource: string | undefined;
  try {
    const parsed = JSON.parse(cause) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object') {
      resource = findResource(parsed);
      for (const key of ['errorMessage', 'reason', 'Reason', 'message', 'Cause', 'cause']) {
        const v = parsed[key];
        if (typeof v === 'string' && v.length > 0) {
          const inner = readCause(v);
          text = inner.cause ?? v;
          resource ??= inner.resource;
          break;
        }
      }
    }
  } catch {
    // not JSON: the cause is already the human text
  }
  resource ??= resourceFromText(text);
  const out: { cause?: string; resource?: string } = { cause: text };
  if (resource) out.resource = resource;
  return out;
}

function findResource(value: Record<string, unknown>): string | undefined {
  const failed = value.failedResource ?? value.FailedResource ?? value.resource;
  if (failed && typeof failed === 'object') {
    const r = failed as Record<string, unknown>;
    const id = r.logicalResourceId ?? r.LogicalResourceId ?? r.logicalId;
    const type = r.resourceType ?? r.ResourceType ?? r.type;
    if (typeof id === 'string') return typeof type === 'string' ? `${id} (${type})` : id;
  }
  if (typeof failed === 'string') return failed;
  const id = value.logicalResourceId ?? value.LogicalResourceId;
  if (typeof id === 'string') {
    const type = value.resourceType ?? value.ResourceType;
    return typeof type === 'string' ? `${id} (${type})` : id;
  }
  return undefined;
}

/** "SecurityHub (AWS::SecurityHub::Hub) CREATE_FAILED: ..." names its resource up front. */
function resourceFromText(text: string): string | undefined {
  const m = /([A-Za-z0-9]+) \((AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+)\)/.exec(text);
  if (m) return `${m[1]} (${m[2]})`;
  const n = /(?:resource|Resource) ([A-Za-z0-9]+)(?: of type| \[)/.exec(text);
  return n ? n[1] : undefined;
}

function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}

/**
 * Reads a history (oldest first). `executionStatus` from DescribeExecution settles states that
 * were still open when the history page ended (an aborted execution, a truncated read).
 */
export function readHistory(events: readonly HistoryEvent[], executionStatus?: string): HistoryReading {
  const ordered = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const statuses: Record<string, StateStatus> = {};
  const retries: Record<string, number> = {};
  const timeline: TimelineRow[] = [];
  const open: string[] = [];
  const failedDuring = new Set<string>();
  const enteredAt: Record<string, number> = {};
  const attempts: Record<string, number> = {};
  let failure: FailureDetail | undefined;
  const start = ordered.length > 0 ? time(ordered[0]!) : 0;
  const row = (event: HistoryEvent, kind: TimelineRow['kind'], text: string, state?: string) => {
    const t = time(event);
    const r: TimelineRow = { id: event.id ?? timeline.length + 1, time: t, elapsed: t - start, kind, text };
    if (state !== undefined) r.state = state;
    timeline.push(r);
  };
  const innermost = () => open[open.length - 1];
  const settleCaught = (except: string) => {
    for (const name of [...open]) {
      if (name !== except && failedDuring.has(name) && statuses[name] === StateStatuses.InProgress) {
        statuses[name] = StateStatuses.Caught;
        open.splice(open.indexOf(name), 1);
      }
    }
  };

  for (const event of ordered) {
    const type = event.type ?? '';
    if (type === 'ExecutionStarted') {
      row(event, 'execution', 'Execution started');
    } else if (type === 'ExecutionSucceeded') {
      for (const name of open) statuses[name] = StateStatuses.Succeeded;
      open.length = 0;
      row(event, 'execution', 'Execution succeeded');
    } else if (executionEnd.has(type)) {
      const { error, cause } = errorOf(event);
      for (const name of open) statuses[name] = StateStatuses.Failed;
      open.length = 0;
      const verb =
        type === 'ExecutionAborted' ? 'aborted' : type === 'ExecutionTimedOut' ? 'timed out' : 'failed';
      const read = readCause(cause);
      row(
        event,
        'execution',
        `Execution ${verb}${error ? `: ${error}` : ''}${read.cause ? ` - ${read.cause}` : ''}`,
      );
      if (!failure || (!failure.cause && read.cause)) {
        failure = { ...(failure ?? {}) };
        if (error && !failure.error) failure.error = error;
        if (read.cause) failure.cause = read.cause;
        if (read.resource && !failure.resource) failure.resource = read.resource;
      }
    } else if (type.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      settleCaught(name);
      statuses[name] = StateStatuses.InProgress;
      failedDuring.delete(name);
      attempts[name] = 0;
      enteredAt[name] = time(event);
      if (!open.includes(name)) open.push(name);
      if (type === 'FailStateEntered') {
        statuses[name] = StateStatuses.Failed;
        open.splice(open.indexOf(name), 1);
        const failState = failStateDetails(event.stateEnteredEventDetails?.input);
        failure = { ...(failure ?? {}), ...failState, state: failure?.state ?? name };
        row(event, 'failure', `Entered ${name}`, name);
      } else if (type === 'WaitStateEntered') {
        row(event, 'wait', `Waiting in ${name}`, name);
      } else {
        row(event, 'entered', `Entered ${name}`, name);
      }
    } else if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name ?? '?';
      statuses[name] = failedDuring.has(name) ? StateStatuses.Caught : StateStatuses.Succeeded;
      const index = open.indexOf(name);
      if (index >= 0) open.splice(index, 1);
      const took = time(event) - (enteredAt[name] ?? time(event));
      if (type === 'WaitStateExited') row(event, 'wait', `Waited ${formatSeconds(took)} in ${name}`, name);
      else row(event, 'exited', `Exited ${name}${failedDuring.has(name) ? ' (error caught)' : ''}`, name);
    } else if (scheduleTypes.has(type)) {
      const name = innermost();
      if (name !== undefined) {
        attempts[name] = (attempts[name] ?? 0) + 1;
        if ((attempts[name] ?? 0) > 1) {
          retries[name] = (retries[name] ?? 0) + 1;
          failedDuring.delete(name);
          row(event, 'retry', `Retry ${attempts[name]! - 1} of ${name}`, name);
        }
      }
    } else if (failureTypes.has(type)) {
      const name = innermost();
      const { error, cause } = errorOf(event);
      const read = readCause(cause);
      if (name !== undefined) failedDuring.add(name);
      row(
        event,
        'failure',
        `${name ?? 'Execution'}: ${error ?? type}${read.cause ? ` - ${read.cause}` : ''}`,
        name ?? undefined,
      );
      const next: FailureDetail = {};
      if (name !== undefined) next.state = name;
      if (error) next.error = error;
      if (read.cause) next.cause = read.cause;
      if (read.resource) next.resource = read.resource;
      failure = next;
    } else if (type === 'MapRunStarted') {
      row(event, 'task', `Map run started`, innermost());
    } else if (type === 'MapRunSucceeded') {
      row(event, 'task', `Map run succeeded`, innermost());
    } else if (type === 'TaskSucceeded' || type === 'LambdaFunctionSucceeded') {
      row(event, 'task', `${innermost() ?? 'Task'} returned`, innermost());
    }
  }

  if (executionStatus && executionStatus !== 'RUNNING') {
    const settled = executionStatus === 'SUCCEEDED' ? StateStatuses.Succeeded : StateStatuses.Failed;
    for (const name of open) statuses[name] = settled;
  }
  const reading: HistoryReading = { statuses, retries, timeline };
  if (failure && Object.keys(failure).length > 0) reading.failure = failure;
  return reading;
}

/** A Fail state's input usually carries the caught error (`ResultPath: $.error`). */
function failStateDetails(input: string | undefined): FailureDetail {
  if (!input) return {};
  try {
    const parsed = JSON.parse(input) as Record<string, unknown>;
    const holder = [parsed.error, parsed.Error, parsed.failure, parsed].find(
      (v) => v && typeof v === 'object' && ('Cause' in (v as object) || 'cause' in (v as object)),
    ) as Record<string, unknown> | undefined;
    if (!holder) return {};
    const out: FailureDetail = {};
    const error = holder.Error ?? holder.error;
    if (typeof error === 'string') out.error = error;
    const read = readCause(String(holder.Cause ?? holder.cause));
    if (read.cause) out.cause = read.cause;
    if (read.resource) out.resource = read.resource;
    return out;
  } catch {
    return {};
  }
}
