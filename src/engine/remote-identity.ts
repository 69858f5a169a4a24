/**
 * The local engine's identity against AWS, or against any AWS-compatible endpoint such as `sandbox
 * serve` (`--local-engine`). The state machines run here and make their own calls (ItemReader and
 * ResultWriter objects, SNS, the Distributed Map's and nested children) with the SDK's credentials,
 * which AWS checks itself. Each Task's function is the one the admin stack deployed, invoked through
 * the Lambda API, so it runs there as its own execution role — the only principals the target
 * accounts' execution role trusts (templates/execution-role.yaml). This is how Step Functions
 * Local runs Lambda tasks: it invokes the functions through the Lambda endpoint it is given.
 */
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { awsClients } from '../aws/clients';
import type { EngineIdentity } from './identity';
import type { LambdaHandler } from './lambda-binding';

/** A service error (the SDK's exceptions carry `$metadata`), as opposed to the network's or the SDK's own. */
function isServiceError(error: unknown): error is { name: string; message: string; $metadata: unknown } {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

/**
 * The error name Step Functions gives a failed Lambda API call (Step Functions Developer Guide,
 * bp-lambda-serviceexception and connect-lambda): `Lambda.<Exception>` for the exceptions the
 * Lambda API documents, Lambda.AWSLambdaException for others (an access denial),
 * Lambda.SdkClientException when no answer came.
 */
const NAMED_EXCEPTIONS = new Set([
  'ResourceNotFoundException',
  'ServiceException',
  'TooManyRequestsException',
  'InvalidRequestContentException',
  'RequestTooLargeException',
]);

function taskErrorOf(error: unknown, functionArn: string): Error {
  const e = error as { name?: string; message?: string };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  let name = 'Lambda.SdkClientException';
  if (isServiceError(error)) {
    name = NAMED_EXCEPTIONS.has(error.name) ? `Lambda.${error.name}` : 'Lambda.AWSLambdaException';
  }
  const out = new Error(`${message} (invoking ${functionArn})`);
  out.name = name;
  return out;
}

/** A handler that runs the deployed function through the Lambda API and answers what it returned. */
export function remoteFunction(functionArn: string, region: string): LambdaHandler {
  return async (event: unknown) => {
    let answer: InvokeCommandOutput;
    try {
      answer = await awsClients.lambda({ region }).send(
        new InvokeCommand({
          FunctionName: functionArn,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(event ?? null)),
        }),
      );
    } catch (error) {
      throw taskErrorOf(error, functionArn);
    }
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : '';
    const result: unknown = text.trim() === '' ? null : JSON.parse(text);
    if (answer.FunctionError) {
      // The function threw: the runtime's {errorType, errorMessage} become the task's error and cause.
      const failure = (result ?? {}) as { errorType?: string; errorMessage?: string };
      const thrown = new Error(failure.errorMessage ?? text);
      thrown.name = failure.errorType ?? 'Error';
      throw thrown;
    }
    return result;
  };
}

/** The identity of a local engine whose functions are deployed on AWS (see the module comment). */
export function remoteEngineIdentity(): EngineIdentity {
  return {
    stateMachineCredentials: () => undefined,
    authorize: () => undefined,
    deployedFunction(functionArn) {
      const region = functionArn.split(':')[3] ?? '';
      return { handler: remoteFunction(functionArn, region), owner: functionArn, environment: {} };
    },
  };
}
