/** Compiles a Condition element and evaluates it against a request context, for the condition tests. */
import { compileCondition } from '../../../../src/sandbox/iam/conditions';
import { contextView } from '../../../../src/sandbox/iam/context';
import type {
  ConditionBlock,
  RequestContextValues,
  RequestPrincipal,
} from '../../../../src/sandbox/iam/types';

export const user: RequestPrincipal = {
  kind: 'user',
  arn: 'arn:aws:iam::111111111111:user/path/Adele',
  accountId: '111111111111',
};

export function holds(
  block: ConditionBlock,
  context: RequestContextValues,
  variables = true,
  principal = user,
): boolean {
  const matcher = compileCondition(block, { variables });
  if (!matcher) throw new Error('expected a condition');
  return matcher(contextView({ principal, action: 's3:GetObject', resource: '*', context }));
}

export type Row = [string, ConditionBlock, RequestContextValues, boolean];
