/**
 * Binds Lambda ARNs to handlers in `functions/`, in-process. The function name convention
 * `stackfleet-<id>` comes from src/core/functions.ts, the same list the CDK app deploys, so
 * the Task resources in the ASL files resolve to the real handlers.
 */
import * as path from 'node:path';
import { type LambdaFunctionId, lambdaFunctions } from '../core/functions';

// biome-ignore lint/suspicious/noExplicitAny: Lambda events and results are whatever the function takes and returns
export type LambdaHandler = (event: any, context: LambdaContext) => unknown;

/** The parts of the Lambda context object handlers may read. */
export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

/** Prefix of every deployed function name (`stackfleet-deploy-stack`). */
export const FUNCTION_NAME_PREFIX = 'stackfleet-';

/** `arn:aws:lambda:<region>:<account>:function:stackfleet-<id>`: what provisioning substitutes for `${...FunctionArn}`. */
export function lambdaFunctionArn(region: string, accountId: string, id: LambdaFunctionId | string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${FUNCTION_NAME_PREFIX}${id}`;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const loaded = new Map<string, LambdaHandler>();

/** Loads `require(entry).handler` for a registered function name; undefined when the name is not ours. */
export function resolveRegisteredFunction(functionName: string): LambdaHandler | undefined {
  if (!functionName.startsWith(FUNCTION_NAME_PREFIX)) return undefined;
  return handlerForFunctionId(functionName.slice(FUNCTION_NAME_PREFIX.length));
}

/** The handler of a function of src/core/functions.ts by its id (`deploy-stack`); undefined for other ids. */
export function handlerForFunctionId(id: string): LambdaHandler | undefined {
  const functionName = `${FUNCTION_NAME_PREFIX}${id}`;
  const hit = loaded.get(functionName);
  if (hit) return hit;
  const fn = lambdaFunctions.find((f) => f.id === id);
  if (!fn) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(REPO_ROOT, fn.entry)) as { handler?: LambdaHandler };
  if (typeof mod.handler !== 'function') {
    throw new Error(
      `Function ${functionName} (${fn.entry}) must export a 'handler' function. Received: ${typeof mod.handler}`,
    );
  }
  loaded.set(functionName, mod.handler);
  return mod.handler;
}
