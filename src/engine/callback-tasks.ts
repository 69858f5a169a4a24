/**
 * Task states of the callback pattern (`<integration>.waitForTaskToken`; Step Functions Developer
 * Guide, connect-to-resource "Wait for a Callback with Task Token"): the integration is called with
 * the task token in its parameters, then the task waits until SendTaskSuccess / SendTaskFailure
 * names that token, or TimeoutSeconds / HeartbeatSeconds run out.
 *
 * The engine runs these timeouts itself instead of leaving TimeoutSeconds to aws-local-stepfunctions:
 * the token must be closed the instant the task times out (a later SendTaskSuccess answers
 * TaskTimedOut), heartbeats must reset a clock of their own, and the task's history must say
 * which timeout ended it (definition.ts shows the package such a state without timeouts).
 *
 * History, as AWS records a callback task: TaskScheduled (with timeoutInSeconds and
 * heartbeatInSeconds), TaskStarted, TaskSubmitted (the integration's own response), then
 * TaskSucceeded (SendTaskSuccess's output), TaskFailed (SendTaskFailure's error and cause) or
 * TaskTimedOut (States.Timeout or States.HeartbeatTimeout).
 */
import type { CallbackSpec } from './definition';
import { StateTaskError } from './errors';
import { recordTaskStart } from './execution-outcome';
import type { HistoryRecorder } from './history';
import { StatesTimeoutError } from './local-stepfunctions';
import type { Json } from './payload';
import type { CallbackOutcome, TaskTokens } from './task-tokens';
import type { StoredExecution } from './types';

/** A timeout error the package's `States.TaskFailed` wildcard skips, already in the history. */
function timeoutError(name: 'States.Timeout' | 'States.HeartbeatTimeout', cause: string): Error {
  const error = StatesTimeoutError ? new StatesTimeoutError() : new Error(cause);
  error.name = name;
  error.message = cause;
  return Object.assign(error, { recordedInHistory: true });
}

export interface CallbackRun {
  readonly tokens: TaskTokens;
  readonly token: string;
  readonly execution: StoredExecution;
  readonly recorder: HistoryRecorder;
  readonly stateName: string;
  readonly spec: CallbackSpec;
  readonly region: string;
  readonly parameters: Json;
  readonly timeoutSeconds: number;
  readonly heartbeatSeconds?: number;
  /** Calls the integration (the token is in its parameters); resolves to its response, throws a StateTaskError. */
  start(): Promise<Json>;
}

/** Runs one callback task to its end: the task's result, or the error its Catch sees. */
export async function runCallbackTask(run: CallbackRun): Promise<Json> {
  const base = { resourceType: run.spec.resourceType, resource: run.spec.resource };
  const fail = recordTaskStart(run.recorder, base, {
    region: run.region,
    parameters: run.parameters,
    timeoutSeconds: run.timeoutSeconds,
    ...(run.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: run.heartbeatSeconds }),
  });
  const wait = run.tokens.wait(run.token, {
    executionArn: run.execution.executionArn,
    stateName: run.stateName,
    timeoutSeconds: run.timeoutSeconds,
    ...(run.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: run.heartbeatSeconds }),
  });
  const started = run.start().then(
    (response) => ({ ok: true as const, response }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  // Whichever comes first: the integration's answer, or the token's outcome (a callback may
  // arrive while the function that got the token is still running, or the task may time out).
  const first = await Promise.race([started, wait.outcome.then((outcome) => ({ outcome }))]);
  let outcome: CallbackOutcome;
  if ('outcome' in first) {
    outcome = first.outcome;
  } else if (first.ok) {
    run.recorder.add('TaskSubmitted', {
      taskSubmittedEventDetails: { ...base, $output: first.response, outputDetails: { truncated: false } },
    });
    outcome = await wait.outcome;
  } else {
    wait.close();
    const e = first.error as { name?: string; message?: string };
    throw fail(e?.name ?? 'States.TaskFailed', e?.message ?? String(first.error));
  }
  switch (outcome.kind) {
    case 'success':
      run.recorder.add('TaskSucceeded', {
        taskSucceededEventDetails: { ...base, $output: outcome.output, outputDetails: { truncated: false } },
      });
      return outcome.output;
    case 'failure':
      throw fail(outcome.error ?? '', outcome.cause ?? '');
    case 'timeout': {
      const cause =
        outcome.error === 'States.HeartbeatTimeout'
          ? `No heartbeat for the task token within HeartbeatSeconds (${run.heartbeatSeconds} s).`
          : `The task token was not returned within TimeoutSeconds (${run.timeoutSeconds} s).`;
      run.recorder.add('TaskTimedOut', {
        taskTimedOutEventDetails: { ...base, error: outcome.error, cause },
      });
      throw timeoutError(outcome.error, cause);
    }
    default:
      // The execution ended (stopped, timed out): nothing more is recorded.
      throw new StateTaskError('States.Runtime', `The task of state '${run.stateName}' was closed.`);
  }
}
