/**
 * Step Functions operations -> IAM (Service Authorization Reference for AWS Step Functions):
 * state machine actions on the state machine's ARN, execution actions on the execution's ARN,
 * map-run actions on the map run's ARN. Creating or updating a state machine passes its role
 * (iam:PassRole with iam:PassedToService = states.amazonaws.com; Step Functions Developer Guide,
 * procedure-create-iam-role).
 *
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat on a callback task's token are authorized
 * on the state machine the token's task runs in. The Service Authorization Reference lists no
 * resource type for them (so a policy on "*" allows them), but AWS's own denial names the state
 * machine ("not authorized to perform: states:SendTaskFailure on resource:
 * arn:aws:states:...:stateMachine:...", NOAA-OWP/hydrovis#837) and a grant on the state machine
 * ARN works where one on its executions does not (tested and reported in the review of
 * aws/aws-cdk#8486, which added StateMachine.grantTaskResponse). A token that names no state
 * machine is authorized on "*".
 */
import { taskTokenStateMachineArn } from '../../../engine/task-tokens';
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

function onTaskToken(action: string) {
  return (params: Record<string, unknown>): AuthorizationSpec[] => {
    const machine =
      typeof params.taskToken === 'string' ? taskTokenStateMachineArn(params.taskToken) : undefined;
    if (machine === undefined) return [{ action, resource: '*' }];
    const spec: AuthorizationSpec = { action, resource: machine };
    const account = accountOf(machine);
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
  SendTaskSuccess: onTaskToken('states:SendTaskSuccess'),
  SendTaskFailure: onTaskToken('states:SendTaskFailure'),
  SendTaskHeartbeat: onTaskToken('states:SendTaskHeartbeat'),
};
