/**
 * CloudFormation operations -> IAM. PLACEHOLDER until the cfn-iam branch lands its full mapping
 * (condition keys, PassRole, TemplateURL reads): each operation's own action on the stack, or `*`.
 */
import type { AuthorizationSpec } from '../authorize';
import type { ServiceActions } from './types';

const STACK_OPS = [
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'DescribeStacks',
  'DescribeStackEvents',
  'DescribeStackResources',
  'DescribeStackResource',
  'ListStackResources',
  'ContinueUpdateRollback',
  'UpdateTerminationProtection',
  'GetTemplate',
  'CreateChangeSet',
  'DescribeChangeSet',
  'ExecuteChangeSet',
  'DeleteChangeSet',
  'ListChangeSets',
  'DetectStackDrift',
  'DescribeStackResourceDrifts',
  'DetectStackResourceDrift',
];
const GLOBAL_OPS = [
  'ListStacks',
  'ValidateTemplate',
  'GetTemplateSummary',
  'DescribeStackDriftDetectionStatus',
];

export const cloudFormationActions: ServiceActions = Object.fromEntries([
  ...STACK_OPS.map((op) => [
    op,
    (
      params: Record<string, unknown>,
      env: { region: string; caller: { accountId: string } },
    ): AuthorizationSpec[] => {
      const name = String(params.StackName ?? '');
      const resource = name.startsWith('arn:')
        ? name
        : name === ''
          ? '*'
          : `arn:aws:cloudformation:${env.region}:${env.caller.accountId}:stack/${name}/*`;
      return [{ action: `cloudformation:${op}`, resource }];
    },
  ]),
  ...GLOBAL_OPS.map((op) => [
    op,
    (): AuthorizationSpec[] => [{ action: `cloudformation:${op}`, resource: '*' }],
  ]),
]);
