/**
 * How the local engine runs a Lambda function for a Task (a function ARN as Resource, or
 * `lambda:invoke` and its callback form): under an identity, as on AWS, the state machine's role
 * must be allowed to invoke the function and the function runs as its own role, with its
 * configured environment; errors are named as Step Functions names them.
 */
import { runWithAmbientIdentity } from '../aws/ambient-identity';
import type { TaskBinding } from './definition';
import { StateTaskError } from './errors';
import type { HistoryRecorder } from './history';
import { type DeployedFunction, type EngineIdentity, type IdentityDenial, isDenial } from './identity';
import { type LambdaContext, type LambdaHandler, resolveRegisteredFunction } from './lambda-binding';
import type { Json } from './payload';
import type { StoredExecution } from './types';

/** Payload limit of a state's input/output on AWS (256 KiB). */
export const MAX_PAYLOAD_BYTES = 262144;

/** A test's wrapper around a function's handler (LocalEngine.interceptFunction). */
export type FunctionInterceptor = (
  // biome-ignore lint/suspicious/noExplicitAny: Lambda events are whatever the function takes
  event: any,
  real: (event: unknown) => Promise<unknown>,
) => unknown;

/** What the engine lends the functions it runs. */
export interface FunctionRunner {
  /** Handlers registered in-process (registerFunction): they run without an identity. */
  readonly functions: ReadonlyMap<string, LambdaHandler>;
  readonly interceptors: ReadonlyMap<string, FunctionInterceptor>;
  readonly identity: EngineIdentity | undefined;
  nextId(): string;
  /** Whether the execution's state machine role may take `action` on `resource` (undefined: allowed). */
  denialFor(execution: StoredExecution, action: string, resource: string): IdentityDenial | undefined;
}

function taskError(name: string, cause: string): StateTaskError {
  return new StateTaskError(name, cause);
}

function jsonText(value: Json): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** What `lambda:invoke` returns: the function's result under Payload, with the response metadata. */
export function invokeResponse(output: Json, requestId: string): Record<string, Json> {
  return {
    ExecutedVersion: '$LATEST',
    Payload: output,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

/** A function Task (`viaInvoke`: `lambda:invoke`), with the history events AWS records for it. */
export async function invokeLambdaTask(
  runner: FunctionRunner,
  functionArn: string,
  functionName: string,
  payload: Json,
  recorder: HistoryRecorder,
  binding: TaskBinding,
  viaInvoke: boolean,
  execution: StoredExecution,
): Promise<Json> {
  if (viaInvoke) {
    recorder.add('TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        region: functionArn.split(':')[3] ?? '',
        $parameters: payload,
      },
    });
    recorder.add('TaskStarted', {
      taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
    });
  } else {
    recorder.add('LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: functionArn,
        $input: payload,
        inputDetails: { truncated: false },
        timeoutInSeconds: binding.timeoutSeconds,
      },
    });
    recorder.add('LambdaFunctionStarted');
  }
  let called: { output: Json; requestId: string };
  try {
    called = await callFunction(runner, functionArn, functionName, payload, binding, execution);
  } catch (thrown) {
    const { name: error, message: cause } = thrown as StateTaskError;
    if (viaInvoke) {
      recorder.add('TaskFailed', {
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error, cause },
      });
    } else {
      recorder.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });
    }
    throw thrown;
  }
  if (viaInvoke) {
    const wrapped = invokeResponse(called.output, called.requestId);
    recorder.add('TaskSucceeded', {
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        $output: wrapped,
        outputDetails: { truncated: false },
      },
    });
    return wrapped;
  }
  recorder.add('LambdaFunctionSucceeded', {
    lambdaFunctionSucceededEventDetails: { $output: called.output, outputDetails: { truncated: false } },
  });
  return called.output;
}

/**
 * Runs a function for a Task: as on AWS, under an identity the state machine's role must be
 * allowed to invoke it and it runs as its own role. Records nothing; a failure is a
 * StateTaskError named as Step Functions names it.
 */
export async function callFunction(
  runner: FunctionRunner,
  functionArn: string,
  functionName: string,
  payload: Json,
  binding: TaskBinding,
  execution: StoredExecution,
): Promise<{ output: Json; requestId: string }> {
  const inputText = jsonText(payload);
  const fail = (error: string, cause: string): StateTaskError => taskError(error, cause);
  let handler = runner.functions.get(functionName) ?? resolveRegisteredFunction(functionName);
  let deployed: DeployedFunction | undefined;
  if (runner.identity && !runner.functions.has(functionName)) {
    const denied = runner.denialFor(execution, 'lambda:InvokeFunction', functionArn);
    if (denied) throw fail('Lambda.AWSLambdaException', denied.cause);
    const found = runner.identity.deployedFunction(functionArn);
    if (isDenial(found)) throw fail(found.error, found.cause);
    deployed = found;
    handler = found.handler;
  }
  const intercept = runner.interceptors.get(functionName);
  if (handler && intercept) {
    const real = handler;
    handler = (event, context) => intercept(event, async (e) => real(e, context));
  }
  if (!handler) {
    throw fail(
      'Lambda.ResourceNotFoundException',
      `Function not found: ${functionArn}. The local engine binds ${'stackfleet-<id>'} names from src/core/functions.ts and names given to registerFunction().`,
    );
  }
  const lambdaContext: LambdaContext = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: '256',
    awsRequestId: runner.nextId(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 900000,
  };
  let result: unknown;
  try {
    const run = handler;
    const credentials = deployed?.credentials;
    result =
      deployed && credentials
        ? await runWithAmbientIdentity(
            { credentials, owner: deployed.owner, environment: deployed.environment },
            () => run(JSON.parse(inputText), lambdaContext),
          )
        : await run(JSON.parse(inputText), lambdaContext);
  } catch (thrown) {
    const e = thrown as { name?: string; message?: string };
    const errorType = typeof e?.name === 'string' && e.name ? e.name : 'Error';
    const errorMessage = typeof e?.message === 'string' ? e.message : String(thrown);
    // The Lambda Node.js runtime reports errors as this JSON; Step Functions puts it in Cause.
    throw fail(
      errorType,
      JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] }),
    );
  }
  const outputText = jsonText(result);
  if (Buffer.byteLength(outputText) > MAX_PAYLOAD_BYTES) {
    throw fail(
      'States.DataLimitExceeded',
      `The state/task '${binding.stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
  }
  return { output: JSON.parse(outputText), requestId: lambdaContext.awsRequestId };
}
