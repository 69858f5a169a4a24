/** How an execution's end is written: outcomes from errors, the closing record and history event. */
import type { Outcome } from './engine-types';
import { StateTaskError } from './errors';
import type { HistoryRecorder } from './history';
import { MAX_PAYLOAD_BYTES } from './lambda-invoke';
import type { Json } from './payload';
import { ExecutionStatus, type StoredExecution } from './types';

/** The outcome of an execution whose run threw (a Fail state or a runtime error). */
export function failureOf(err: unknown): Outcome {
  const runtime = (err as { cause?: unknown })?.cause ?? err;
  const e = runtime as { name?: string; message?: string; constructor?: { name?: string } };
  if (e?.constructor?.name === 'FailStateError') {
    return {
      kind: 'failed',
      error: e.name === 'FailStateError' ? undefined : e.name,
      cause: e.message === 'Execution failed because of a Fail state' ? undefined : e.message,
    };
  }
  return { kind: 'failed', error: e?.name ?? 'States.Runtime', cause: e?.message ?? String(err) };
}

/** JSON text of a state's value (`null` for undefined, as Step Functions shows it). */
export function jsonText(value: Json): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** A Task error; not retryable nor catchable when the engine itself cannot go on. */
export function taskError(name: string, cause: string, retryable = true): StateTaskError {
  const err = new StateTaskError(name, cause);
  if (!retryable) Object.assign(err, { isRetryable: false, isCatchable: false });
  return err;
}

/** A task state's resource, as its history events name it. */
export interface TaskResource {
  resourceType: string;
  resource: string;
}

/**
 * Records a task's TaskScheduled and TaskStarted events, as AWS does for every service
 * integration, and returns how to fail it: a TaskFailed event and the error the state's Catch sees.
 */
export function recordTaskStart(
  recorder: HistoryRecorder,
  base: TaskResource,
  scheduled: {
    region: string;
    parameters: unknown;
    timeoutSeconds: number | undefined;
    heartbeatSeconds?: number;
  },
): (error: string, cause: string) => StateTaskError {
  recorder.add('TaskScheduled', {
    taskScheduledEventDetails: {
      ...base,
      region: scheduled.region,
      $parameters: scheduled.parameters,
      timeoutInSeconds: scheduled.timeoutSeconds,
      ...(scheduled.heartbeatSeconds === undefined ? {} : { heartbeatInSeconds: scheduled.heartbeatSeconds }),
    },
  });
  recorder.add('TaskStarted', { taskStartedEventDetails: base });
  return (error, cause) => {
    recorder.add('TaskFailed', { taskFailedEventDetails: { ...base, error, cause } });
    return taskError(error, cause);
  };
}

/** Writes an execution's end (status, output or error, the closing history event) at `now`. */
export function finishExecution(
  execution: StoredExecution,
  outcome: Outcome,
  recorder: HistoryRecorder,
  now: number,
): void {
  execution.stopDate = now;
  recorder.closed = true;
  const force = (type: string, details: Record<string, unknown>) => {
    const id = execution.history.length + 1;
    execution.history.push({
      id,
      previousEventId: id - 1,
      timestamp: execution.stopDate as number,
      type,
      ...details,
    });
  };
  switch (outcome.kind) {
    case 'succeeded': {
      const output = jsonText(outcome.output);
      if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
        execution.status = ExecutionStatus.FAILED;
        execution.error = 'States.DataLimitExceeded';
        execution.cause = `The state/task returned a result with a size exceeding the maximum number of bytes service limit (${MAX_PAYLOAD_BYTES}).`;
        force('ExecutionFailed', {
          executionFailedEventDetails: { error: execution.error, cause: execution.cause },
        });
        return;
      }
      execution.status = ExecutionStatus.SUCCEEDED;
      execution.output = output;
      force('ExecutionSucceeded', {
        executionSucceededEventDetails: { output, outputDetails: { truncated: false } },
      });
      return;
    }
    case 'failed':
      execution.status = ExecutionStatus.FAILED;
      execution.error = outcome.error;
      execution.cause = outcome.cause;
      force('ExecutionFailed', {
        executionFailedEventDetails: { error: outcome.error, cause: outcome.cause },
      });
      return;
    case 'aborted':
      execution.status = ExecutionStatus.ABORTED;
      execution.error = outcome.error;
      execution.cause = outcome.cause;
      force('ExecutionAborted', {
        executionAbortedEventDetails: { error: outcome.error, cause: outcome.cause },
      });
      return;
    case 'timedOut':
      execution.status = ExecutionStatus.TIMED_OUT;
      execution.error = 'States.Timeout';
      execution.cause = 'The execution timed out (TimeoutSeconds of the state machine elapsed).';
      force('ExecutionTimedOut', {
        executionTimedOutEventDetails: { error: execution.error, cause: execution.cause },
      });
      return;
  }
}

/** Closes an execution whose process is gone as ABORTED at `now`, with its closing history event. */
export function markOrphan(e: StoredExecution, error: string, cause: string, now: number): void {
  e.status = ExecutionStatus.ABORTED;
  e.stopDate = now;
  e.error = error;
  e.cause = cause;
  const id = e.history.length + 1;
  e.history.push({
    id,
    previousEventId: id - 1,
    timestamp: e.stopDate,
    type: 'ExecutionAborted',
    executionAbortedEventDetails: { error, cause },
  });
}
