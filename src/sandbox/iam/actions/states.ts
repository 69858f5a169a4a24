/**
 * Step Functions operations -> IAM (Service Authorization Reference for AWS Step Functions):
 * state machine actions on the state machine's ARN, execution actions on the execution's ARN,
 * map-run actions on the map run's ARN. Creating or updating a state machine passes its role
 * (iam:PassRole with iam:PassedToService = states.amazonaws.com; Step Functions Developer Guide,
 * procedure-create-iam-role).
 */
import type { AuthorizationSpec } from '../authorize';
import type { ServiceActions } from './types';

function accountOf(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:states:[^:]*:(\d{12}):/.exec(arn)?.[1];
}

function on(action: string, field: string) {
  return (params: Record<string, unknown>): AuthorizationSpec[] => {
    const arn = String(params[field] ?? '');
    const spec: AuthorizationSpec = { action, resource: arn };
    const account = accountOf(arn);
    if (account !== undefined) spec.resourceAccountId = account;
    return [spec];
  };
}

function passRole(roleArn: unknown): AuthorizationSpec[] {
  if (roleArn === undefined || roleArn === null) return [];
  return [
    {
      action: 'iam:PassRole',
      resource: String(roleArn),
      context: { 'iam:PassedToService': 'states.amazonaws.com' },
    },
  ];
}

export const statesActions: ServiceActions = {
  CreateStateMachine: (params, env) => [
    {
      action: 'states:CreateStateMachine',
      resource: `arn:aws:states:${env.region}:${env.caller.accountId}:stateMachine:${String(params.name ?? '')}`,
    },
    ...passRole(params.roleArn),
  ],
  UpdateStateMachine: (params) => [
    ...on('states:UpdateStateMachine', 'stateMachineArn')(params),
    ...passRole(params.roleArn),
  ],
  DescribeStateMachine: on('states:DescribeStateMachine', 'stateMachineArn'),
  ListStateMachines: () => [{ action: 'states:ListStateMachines', resource: '*' }],
  ValidateStateMachineDefinition: () => [{ action: 'states:ValidateStateMachineDefinition', resource: '*' }],
  StartExecution: on('states:StartExecution', 'stateMachineArn'),
  StopExecution: on('states:StopExecution', 'executionArn'),
  DescribeExecution: on('states:DescribeExecution', 'executionArn'),
  DescribeStateMachineForExecution: on('states:DescribeStateMachineForExecution', 'executionArn'),
  GetExecutionHistory: on('states:GetExecutionHistory', 'executionArn'),
  ListExecutions: (params) =>
    params.mapRunArn !== undefined
      ? on('states:ListExecutions', 'mapRunArn')(params)
      : on('states:ListExecutions', 'stateMachineArn')(params),
  DescribeMapRun: on('states:DescribeMapRun', 'mapRunArn'),
  ListMapRuns: on('states:ListMapRuns', 'executionArn'),
  SendTaskSuccess: () => [{ action: 'states:SendTaskSuccess', resource: '*' }],
  SendTaskFailure: () => [{ action: 'states:SendTaskFailure', resource: '*' }],
  SendTaskHeartbeat: () => [{ action: 'states:SendTaskHeartbeat', resource: '*' }],
};
