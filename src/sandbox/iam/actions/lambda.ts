/**
 * Lambda operations -> IAM (Service Authorization Reference for AWS Lambda): Invoke is
 * lambda:InvokeFunction on the function's ARN (a qualified ARN names the same function).
 */
import { functionArnOf } from '../../services/lambda-state';
import type { AuthorizationSpec } from '../authorize';
import type { ServiceActions } from './types';

export const lambdaActions: ServiceActions = {
  Invoke: (params, env) => {
    const arn = functionArnOf(String(params.FunctionName ?? ''), {
      accountId: env.caller.accountId,
      region: env.region,
    });
    const spec: AuthorizationSpec = { action: 'lambda:InvokeFunction', resource: arn };
    const account = /^arn:aws[a-z-]*:lambda:[^:]*:(\d{12}):/.exec(arn)?.[1];
    if (account !== undefined) spec.resourceAccountId = account;
    return [spec];
  },
};
