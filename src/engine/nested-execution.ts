/** Nested executions: `states:startExecution` Tasks, with the `.sync[:2]` waits and IAM checks AWS makes. */
import { parseStateMachineArn } from './arns';
import type { TaskBinding } from './definition';
import type { LiveExecution, StartExecutionInput } from './engine-types';
import { EngineError } from './errors';
import { recordTaskStart } from './execution-outcome';
import type { HistoryRecorder } from './history';
import type { IdentityDenial as Denial } from './identity';
import type { Json } from './payload';
import { ExecutionStatus, type StoredExecution } from './types';

/** What a nested execution needs of the engine. */
export interface NestedExecutionHost {
  denialFor(execution: StoredExecution, action: string, resource: string): Denial | undefined;
  startExecution(request: StartExecutionInput): StoredExecution;
  waitForExecution(arn: string): Promise<StoredExecution>;
}

/** The rule Step Functions manages for `.sync` child executions (stepfunctions-iam: "StepFunctionsGetEventsForStepFunctionsExecutionRule"). */
function syncRuleArn(execution: StoredExecution): string {
  const [, , , region, account] = execution.stateMachineArn.split(':');
  return `arn:aws:events:${region}:${account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
}

/** Turns a finished child into what `startExecution.sync[:2]` returns (DescribeExecution's shape). */
export function describeForTask(child: StoredExecution, mode: 'sync' | 'sync2'): Record<string, Json> {
  const parse = mode === 'sync2';
  const out: Record<string, Json> = {
    ExecutionArn: child.executionArn,
    Input: parse ? JSON.parse(child.input) : child.input,
    InputDetails: { Included: true },
    Name: child.name,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: `Execution is ${child.status} and cannot be redriven`,
    StartDate: child.startDate,
    StateMachineArn: child.stateMachineArn,
    Status: child.status,
    StopDate: child.stopDate,
  };
  if (child.output !== undefined) {
    out.Output = parse ? JSON.parse(child.output) : child.output;
    out.OutputDetails = { Included: true };
  }
  if (child.error !== undefined) out.Error = child.error;
  if (child.cause !== undefined) out.Cause = child.cause;
  return out;
}

/** A `states:startExecution[.sync[:2]]` Task: starts the child and, for `.sync`, waits for its end. */
export async function startNestedExecution(
  host: NestedExecutionHost,
  mode: 'async' | 'sync' | 'sync2',
  params: Json,
  execution: StoredExecution,
  recorder: HistoryRecorder,
  live: LiveExecution,
  binding: TaskBinding,
): Promise<Json> {
  const resource =
    mode === 'sync2' ? 'startExecution.sync:2' : mode === 'sync' ? 'startExecution.sync' : 'startExecution';
  const base = { resourceType: 'states', resource };
  const region = parseStateMachineArn(execution.stateMachineArn.split('/')[0] as string).region;
  const fail = recordTaskStart(recorder, base, {
    region,
    parameters: params,
    timeoutSeconds: binding.timeoutSeconds,
  });
  const childMachine = String(params?.StateMachineArn ?? '');
  // Step Functions Developer Guide, stepfunctions-iam (nested executions): states:StartExecution on
  // the child, and for .sync the managed rule that reports its end and DescribeExecution/StopExecution.
  const denied =
    host.denialFor(execution, 'states:StartExecution', childMachine) ??
    (mode === 'async'
      ? undefined
      : (host.denialFor(execution, 'events:PutRule', syncRuleArn(execution)) ??
        host.denialFor(execution, 'events:PutTargets', syncRuleArn(execution)) ??
        host.denialFor(execution, 'events:DescribeRule', syncRuleArn(execution))));
  if (denied) throw fail('StepFunctions.AccessDeniedException', denied.cause);
  let child: StoredExecution;
  try {
    const input = params?.Input;
    const inputText = input === undefined ? '{}' : typeof input === 'string' ? input : JSON.stringify(input);
    child = host.startExecution({
      stateMachineArn: String(params?.StateMachineArn ?? ''),
      name: params?.Name,
      input: inputText,
      parentExecutionArn:
        typeof input === 'object' && typeof input?.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === 'string'
          ? input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID
          : execution.executionArn,
    });
  } catch (error) {
    if (error instanceof EngineError) throw fail(`StepFunctions.${error.code}Exception`, error.message);
    throw fail('States.TaskFailed', (error as Error).message);
  }
  const started = { ExecutionArn: child.executionArn, StartDate: child.startDate };
  if (mode === 'async') {
    recorder.add('TaskSucceeded', {
      taskSucceededEventDetails: {
        ...base,
        $output: started,
        outputDetails: { truncated: false },
      },
    });
    return started;
  }
  recorder.add('TaskSubmitted', {
    taskSubmittedEventDetails: {
      ...base,
      $output: started,
      outputDetails: { truncated: false },
    },
  });
  const describeDenied = host.denialFor(execution, 'states:DescribeExecution', child.executionArn);
  if (describeDenied) throw fail('StepFunctions.AccessDeniedException', describeDenied.cause);
  live.children.add(child.executionArn);
  const done = await host.waitForExecution(child.executionArn);
  live.children.delete(child.executionArn);
  const described = describeForTask(done, mode);
  if (done.status === ExecutionStatus.SUCCEEDED) {
    recorder.add('TaskSucceeded', {
      taskSucceededEventDetails: {
        ...base,
        $output: described,
        outputDetails: { truncated: false },
      },
    });
    return described;
  }
  throw fail('States.TaskFailed', JSON.stringify(described));
}
