/**
 * Lambda in the sandbox (restJson1): `Invoke` runs a function CloudFormation deployed (its record in
 * lambda-state.ts) in this process as its execution role, which Lambda assumes, as the local engine
 * runs it for a state machine of this world. It is how a local engine in another process (`rollout
 * --local-engine` against `sandbox serve`) runs the admin stack's functions, as Step Functions Local
 * invokes Lambda through its API. Lambda API Reference, API_Invoke: `POST
 * /2015-03-31/functions/{FunctionName}/invocations`; RequestResponse answers 200 with the function's
 * result, a function error as 200 with `X-Amz-Function-Error: Unhandled`; DryRun answers 204 after
 * the permission check; the request payload of a synchronous invocation is at most 6 MB.
 */
import { runWithAmbientIdentity } from '../../aws/ambient-identity';
import type { EngineIdentity } from '../../engine/identity';
import type { LambdaContext } from '../../engine/lambda-binding';
import { sandboxEngineIdentity } from '../iam/engine-identity';
import { pathLabel } from '../protocols/rest-json';
import { AwsError, type OperationContext, type SandboxRequest, type ServiceEmulator } from '../types';
import type { World } from '../world';
import { findFunction, functionArnOf } from './lambda-state';

/** Lambda quotas (Lambda Developer Guide, gettingstarted-limits): 6 MB each way, synchronous. */
export const INVOKE_PAYLOAD_MAX_BYTES = 6_291_456;

const INVOCATIONS = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'];

/** Who runs the functions of a world: one identity, so role sessions are reused across invocations. */
function runnerOf(world: World): EngineIdentity {
  const key = 'lambda-runner';
  let runner = world.extensions[key] as EngineIdentity | undefined;
  if (!runner) {
    runner = sandboxEngineIdentity(world);
    world.extensions[key] = runner;
  }
  return runner;
}

function route(request: SandboxRequest): { operation: string; params: Record<string, unknown> } | undefined {
  const m = INVOCATIONS.exec(request.path);
  if (!m || request.method.toUpperCase() !== 'POST') return undefined;
  const qualifier = request.query.Qualifier;
  return {
    operation: 'Invoke',
    params: {
      FunctionName: pathLabel(m[1] as string),
      ...(typeof qualifier === 'string' ? { Qualifier: qualifier } : {}),
      InvocationType: request.headers['x-amz-invocation-type'] ?? 'RequestResponse',
      Payload: request.body,
    },
  };
}

function lambdaContext(arn: string, name: string, requestId: string): LambdaContext {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'sandbox',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 900_000,
  };
}

/** The error an identity denial becomes on the Lambda API (its names are those Step Functions shows). */
function apiError(denial: { error: string; cause: string }): AwsError {
  switch (denial.error) {
    case 'Lambda.ResourceNotFoundException':
      return new AwsError('ResourceNotFoundException', denial.cause, 404);
    case 'Lambda.AWSLambdaException':
      return new AwsError('AccessDeniedException', denial.cause, 403);
    default:
      return new AwsError('ServiceException', denial.cause, 500, 'Receiver');
  }
}

async function invoke(params: Record<string, unknown>, ctx: OperationContext) {
  const type = String(params.InvocationType ?? 'RequestResponse');
  if (!INVOCATION_TYPES.includes(type)) {
    throw new AwsError(
      'InvalidParameterValueException',
      `X-Amz-Invocation-Type must be one of ${INVOCATION_TYPES.join(', ')}. Received: ${type}`,
    );
  }
  const payload = Buffer.isBuffer(params.Payload)
    ? params.Payload
    : Buffer.from(String(params.Payload ?? ''));
  if (payload.length > INVOKE_PAYLOAD_MAX_BYTES) {
    throw new AwsError(
      'RequestTooLargeException',
      `Request must be smaller than ${INVOKE_PAYLOAD_MAX_BYTES} bytes for the InvokeFunction operation`,
      413,
    );
  }
  const arn = functionArnOf(String(params.FunctionName ?? ''), {
    accountId: ctx.caller.accountId,
    region: ctx.region,
  });
  const record = findFunction(ctx.world, arn);
  if (!record) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
  if (type === 'DryRun') return { statusCode: 204 };
  if (type === 'Event') {
    throw new AwsError(
      'InvalidParameterValueException',
      'not implemented in the sandbox: Lambda.Invoke of type Event',
    );
  }
  let event: unknown = null;
  const text = payload.toString('utf8');
  if (text.trim() !== '') {
    try {
      event = JSON.parse(text);
    } catch (error) {
      throw new AwsError(
        'InvalidRequestContentException',
        `Could not parse request body into json: ${(error as Error).message}`,
      );
    }
  }
  const deployed = runnerOf(ctx.world as World).deployedFunction(record.arn);
  if ('error' in deployed) throw apiError(deployed);
  const context = lambdaContext(record.arn, record.name, ctx.requestId);
  const headers = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
  // The function's own role session, whoever invoked it (never the caller's credentials).
  const credentials = deployed.credentials;
  if (!credentials) throw new Error(`the sandbox holds no role session for ${record.arn}`);
  try {
    const identity = { credentials, owner: deployed.owner, environment: deployed.environment };
    const result = await runWithAmbientIdentity(identity, () => deployed.handler(event, context));
    return { headers, body: JSON.stringify(result ?? null) };
  } catch (thrown) {
    const e = thrown as { name?: string; message?: string; stack?: string };
    const errorType = typeof e?.name === 'string' && e.name ? e.name : 'Error';
    const errorMessage = typeof e?.message === 'string' ? e.message : String(thrown);
    // What the Node.js runtime returns for an error the handler throws.
    return {
      headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
      body: JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] }),
    };
  }
}

/**
 * Runs a deployed function as its execution role for an asynchronous invoker inside the sandbox
 * (an EventBridge rule's target): resolves with the result, rejects with what the function threw
 * or a message naming why Lambda could not run it.
 */
export async function runDeployedFunction(
  world: World,
  arn: string,
  event: unknown,
  requestId: string,
): Promise<unknown> {
  const record = findFunction(world, arn);
  if (!record) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
  const deployed = runnerOf(world).deployedFunction(record.arn);
  if ('error' in deployed) throw apiError(deployed);
  const credentials = deployed.credentials;
  if (!credentials) throw new Error(`the sandbox holds no role session for ${record.arn}`);
  // As Lambda runs it: its configured environment plus AWS_REGION (as engine-identity.ts does).
  const environment = { AWS_REGION: record.region, ...record.environment };
  return runWithAmbientIdentity({ credentials, owner: deployed.owner, environment }, () =>
    deployed.handler(event, lambdaContext(record.arn, record.name, requestId)),
  );
}

export function createLambdaService(): ServiceEmulator {
  return {
    signingName: 'lambda',
    protocol: 'rest-json',
    route,
    operations: { Invoke: invoke },
  };
}
