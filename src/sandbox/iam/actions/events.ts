/**
 * EventBridge operations -> IAM (Service Authorization Reference for Amazon EventBridge): rule
 * actions on the rule's ARN, PutEvents and permissions on the event bus's ARN. PutEvents carries
 * `events:source` and `events:detail-type` of its entries (EventBridge User Guide,
 * eb-use-conditions); the bus's own policy is the resource policy.
 */
import { busPolicyOf, eventBusArn, ruleArn } from '../../services/events-state';
import type { AuthorizationSpec } from '../authorize';
import type { ActionEnv, ServiceActions } from './types';

function busOf(params: Record<string, unknown>, field = 'EventBusName'): string {
  const value = params[field];
  return typeof value === 'string' && value !== '' ? value : 'default';
}

function onRule(action: string, nameField = 'Name') {
  return (params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] => [
    {
      action,
      resource: ruleArn(env.caller.accountId, env.region, String(params[nameField] ?? ''), busOf(params)),
    },
  ];
}

function onBus(action: string, field = 'EventBusName') {
  return (params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] => {
    const arn = eventBusArn(env.caller.accountId, env.region, busOf(params, field));
    const policy = busPolicyOf(env.world, arn);
    return [
      {
        action,
        resource: arn,
        ...(policy !== undefined ? { resourcePolicy: policy, resourcePolicyMode: 'standard' as const } : {}),
      },
    ];
  };
}

/** Each target's RoleArn is passed to EventBridge (iam:PassRole, iam:PassedToService = events.amazonaws.com). */
function passRoles(params: Record<string, unknown>): AuthorizationSpec[] {
  const targets = Array.isArray(params.Targets) ? (params.Targets as Array<Record<string, unknown>>) : [];
  return targets
    .filter((t) => typeof t.RoleArn === 'string')
    .map((t) => ({
      action: 'iam:PassRole',
      resource: String(t.RoleArn),
      context: { 'iam:PassedToService': 'events.amazonaws.com' },
    }));
}

export const eventsActions: ServiceActions = {
  PutEvents: (params, env) => {
    const entries = Array.isArray(params.Entries) ? (params.Entries as Array<Record<string, unknown>>) : [];
    if (entries.length === 0) return onBus('events:PutEvents')({}, env);
    return entries.flatMap((entry) =>
      onBus('events:PutEvents')(entry, env).map((spec) => ({
        ...spec,
        context: {
          'events:source': String(entry.Source ?? ''),
          'events:detail-type': String(entry.DetailType ?? ''),
        },
      })),
    );
  },
  PutRule: onRule('events:PutRule'),
  DescribeRule: onRule('events:DescribeRule'),
  DeleteRule: onRule('events:DeleteRule'),
  EnableRule: onRule('events:EnableRule'),
  DisableRule: onRule('events:DisableRule'),
  ListRules: () => [{ action: 'events:ListRules', resource: '*' }],
  PutTargets: (params, env) => [...onRule('events:PutTargets', 'Rule')(params, env), ...passRoles(params)],
  RemoveTargets: onRule('events:RemoveTargets', 'Rule'),
  ListTargetsByRule: onRule('events:ListTargetsByRule', 'Rule'),
  TestEventPattern: () => [{ action: 'events:TestEventPattern', resource: '*' }],
  DescribeEventBus: onBus('events:DescribeEventBus', 'Name'),
  PutPermission: onBus('events:PutPermission'),
  RemovePermission: onBus('events:RemovePermission'),
};
