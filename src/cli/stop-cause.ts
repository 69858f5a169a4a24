/**
 * What `stackfleet stop` writes into StopExecution's `error` and `cause`, and how every later
 * reader (status, list, the summary) recognises it. Step Functions keeps no record of who called
 * StopExecution on the execution itself (DescribeExecution returns only `error` and `cause`; the
 * API reference, StopExecution: error up to 256 characters, cause up to 32,768), so the caller's
 * ARN and the reason travel in the cause.
 */

/** The `error` of an execution stopped by `stackfleet stop` (an API: readers match it). */
export const ROLLOUT_STOPPED_ERROR = 'StackFleet.RolloutStopped';

/** The status `list`, `status` and the UI give a rollout `stackfleet stop` stopped (Step Functions says ABORTED). */
export const STOPPED = 'STOPPED';

/** StopExecution's cause limit (Step Functions API reference, StopExecution). */
export const MAX_CAUSE_LENGTH = 32_768;

const PREFIX = 'Stopped by ';
const WITH = ' with stackfleet stop';

/** The cause: `Stopped by <arn> with stackfleet stop: <reason>`. */
export function stopCause(stoppedBy: string, reason?: string): string {
  const text = `${PREFIX}${stoppedBy}${WITH}${reason ? `: ${reason}` : ''}`;
  return text.length > MAX_CAUSE_LENGTH ? text.slice(0, MAX_CAUSE_LENGTH) : text;
}

export interface StopRecord {
  by: string;
  reason?: string;
}

/** Who stopped the execution and why, when `stackfleet stop` did; undefined otherwise. */
export function parseStopCause(execution: { error?: string; cause?: string }): StopRecord | undefined {
  if (execution.error !== ROLLOUT_STOPPED_ERROR || !execution.cause?.startsWith(PREFIX)) return undefined;
  const rest = execution.cause.slice(PREFIX.length);
  const at = rest.indexOf(WITH);
  if (at < 0) return { by: rest };
  const after = rest.slice(at + WITH.length);
  return { by: rest.slice(0, at), ...(after.startsWith(': ') ? { reason: after.slice(2) } : {}) };
}

/** Whether the execution ended because `stackfleet stop` stopped it. */
export function isStoppedByStackfleet(execution: {
  status?: string;
  error?: string;
  cause?: string;
}): boolean {
  return execution.status === 'ABORTED' && parseStopCause(execution) !== undefined;
}
