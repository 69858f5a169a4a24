/** Task dispatch: binds each Task state to the integration that runs it (Lambda, callback, nested, SNS, Distributed Map). */
import { parseStateMachineArn } from './arns';
import { runCallbackTask } from './callback-tasks';
import { callbackTimeouts, type PreparedDefinition, type TaskBinding } from './definition';
import { runDistributedMap } from './distributed-map';
import type { EngineInternals, LiveExecution } from './engine-types';
import { taskError } from './execution-outcome';
import type { HistoryRecorder } from './history';
import { callFunction, type FunctionRunner, invokeLambdaTask, invokeResponse } from './lambda-invoke';
import { type NestedExecutionHost, startNestedExecution } from './nested-execution';
import type { Json } from './payload';
import type { RoleClients } from './role-clients';
import { publishSnsTask } from './sns-publish';
import type { TaskContext, TaskTokens } from './task-tokens';
import type { StoredExecution } from './types';

/** What Task dispatch needs of the engine. */
export interface TaskHost {
  engine: EngineInternals & Omit<NestedExecutionHost, 'denialFor'>;
  tokens: TaskTokens;
  runner: FunctionRunner;
  roles: RoleClients;
}

/** The nested-execution view of the engine, with IAM checks made as the execution's role. */
function nestedHost(host: TaskHost): NestedExecutionHost {
  return {
    denialFor: (execution, action, resource) => host.roles.denialFor(execution, action, resource),
    startExecution: (request) => host.engine.startExecution(request),
    waitForExecution: (arn) => host.engine.waitForExecution(arn),
  };
}

/** The in-process handler of each Task state of a definition, by state name. */
export function bindTasks(
  host: TaskHost,
  prepared: PreparedDefinition,
  execution: StoredExecution,
  recorder: HistoryRecorder,
  live: LiveExecution,
  context: Record<string, unknown>,
  taskContext: TaskContext,
): Record<string, (input: Json) => Promise<Json>> {
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  for (const binding of prepared.tasks.values()) {
    handlers[binding.stateName] = (input: Json) => {
      // Synchronously, right after the package evaluated this state's Parameters: a token they read is this task's.
      const token = taskContext.take();
      if (binding.callback) return runCallback(host, binding, input, execution, recorder, token);
      return runTask(host, binding, input, prepared, execution, recorder, live, context);
    };
  }
  return handlers;
}

/** A `.waitForTaskToken` task (callback-tasks.ts): the integration gets the token, then the task waits for it. */
async function runCallback(
  host: TaskHost,
  binding: TaskBinding,
  input: Json,
  execution: StoredExecution,
  recorder: HistoryRecorder,
  issued: string | undefined,
): Promise<Json> {
  const spec = binding.callback as NonNullable<TaskBinding['callback']>;
  const token = issued ?? host.tokens.issue(execution.executionArn);
  const { parameters, timeoutSeconds, heartbeatSeconds } = callbackTimeouts(binding.stateName, spec, input);
  const fnArn = String(parameters?.FunctionName ?? '');
  const region =
    fnArn.split(':')[3] || parseStateMachineArn(host.roles.machineOf(execution).stateMachineArn).region;
  return runCallbackTask({
    tokens: host.tokens,
    token,
    execution,
    recorder,
    stateName: binding.stateName,
    spec,
    region,
    parameters,
    timeoutSeconds,
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
    start: async () => {
      const name = fnArn.includes(':') ? (fnArn.split(':')[6] ?? fnArn) : fnArn;
      const { output, requestId } = await callFunction(
        host.runner,
        fnArn,
        name,
        parameters?.Payload ?? {},
        binding,
        execution,
      );
      return invokeResponse(output, requestId);
    },
  });
}

async function runTask(
  host: TaskHost,
  binding: TaskBinding,
  input: Json,
  prepared: PreparedDefinition,
  execution: StoredExecution,
  recorder: HistoryRecorder,
  live: LiveExecution,
  context: Record<string, unknown>,
): Promise<Json> {
  const task = binding.task;
  switch (task.kind) {
    case 'lambda':
      return invokeLambdaTask(
        host.runner,
        task.functionArn,
        task.functionName,
        input,
        recorder,
        binding,
        false,
        execution,
      );
    case 'lambdaInvoke': {
      const fnArn = String(input?.FunctionName ?? '');
      const name = fnArn.includes(':') ? (fnArn.split(':')[6] ?? fnArn) : fnArn;
      return invokeLambdaTask(
        host.runner,
        fnArn,
        name,
        input?.Payload ?? {},
        recorder,
        binding,
        true,
        execution,
      );
    }
    case 'startExecution':
      return startNestedExecution(nestedHost(host), task.mode, input, execution, recorder, live, binding);
    case 'snsPublish':
      return publishSnsTask((region, e) => host.roles.sns(region, e), input, execution, recorder, binding);
    case 'distributedMap': {
      const spec = prepared.distributedMaps.get(binding.stateName);
      if (!spec) throw taskError('States.Runtime', `No Distributed Map named ${binding.stateName}`, false);
      return runDistributedMap(host.engine, spec, input, { execution, recorder, live, context });
    }
    default:
      recorder.add('TaskFailed', {
        taskFailedEventDetails: {
          resourceType: 'unknown',
          resource: binding.resource,
          error: 'States.Runtime',
          cause: '',
        },
      });
      throw taskError(
        'States.Runtime',
        `The local engine cannot run Task resource ${binding.resource} (state ${binding.stateName}). Supported: Lambda function ARNs, lambda:invoke, states:startExecution[.sync[:2]], sns:publish, Distributed Map.`,
        false,
      );
  }
}
