/**
 * AWS::Events::Rule and AWS::Events::EventBusPolicy: PutRule and PutTargets (with iam:PassRole for
 * a target's RoleArn, passed to events.amazonaws.com), PutPermission on the bus. Rules and bus
 * policy statements land in src/sandbox/services/events-state.ts.
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import {
  deleteBusPolicyStatement,
  deleteRule,
  type EventRuleTarget,
  eventBusArn,
  putBusPolicyStatement,
  putRule,
  ruleArn,
} from '../../services/events-state';
import { list, passRole, policyText, type ResourceProvider, str, tagContext } from './types';

function ruleArnOf(props: Record<string, unknown>, accountId: string, region: string, name: string): string {
  return ruleArn(accountId, region, name, str(props.EventBusName) ?? 'default');
}

export const ruleProvider: ResourceProvider = {
  type: 'AWS::Events::Rule',
  service: 'EventBridge',
  deniedStatus: 400,
  deleteNeedsProperties: true,
  calls(phase, props, ref) {
    const arn = ruleArnOf(props, ref.accountId, ref.region, ref.physicalId);
    const targets = list<Record<string, unknown>>(props.Targets);
    if (phase === 'delete') {
      return [
        ...(targets.length > 0 ? [{ action: 'events:RemoveTargets', resource: arn }] : []),
        { action: 'events:DeleteRule', resource: arn },
      ];
    }
    const specs: AuthorizationSpec[] = [
      { action: 'events:PutRule', resource: arn, context: tagContext(props.Tags) },
    ];
    if (targets.length > 0) specs.push({ action: 'events:PutTargets', resource: arn });
    for (const t of targets) specs.push(...passRole(str(t.RoleArn), 'events.amazonaws.com'));
    return specs;
  },
  apply(props, ref) {
    const pattern = props.EventPattern;
    putRule(ref.world, {
      name: ref.physicalId,
      arn: ruleArnOf(props, ref.accountId, ref.region, ref.physicalId),
      accountId: ref.accountId,
      region: ref.region,
      eventBusName: str(props.EventBusName) ?? 'default',
      ...(pattern !== undefined
        ? { eventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern) }
        : {}),
      ...(str(props.ScheduleExpression)
        ? { scheduleExpression: str(props.ScheduleExpression) as string }
        : {}),
      state: str(props.State) === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      ...(str(props.Description) ? { description: str(props.Description) as string } : {}),
      targets: list<Record<string, unknown>>(props.Targets).map((t) => {
        const target: EventRuleTarget = { Id: String(t.Id ?? ''), Arn: String(t.Arn ?? '') };
        if (str(t.RoleArn)) target.RoleArn = str(t.RoleArn) as string;
        if (str(t.Input)) target.Input = str(t.Input) as string;
        return target;
      }),
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    });
  },
  remove(props, ref) {
    deleteRule(ref.world, ruleArnOf(props, ref.accountId, ref.region, ref.physicalId));
  },
  reads(props, ref) {
    const arn = ruleArnOf(props, ref.accountId, ref.region, ref.physicalId);
    return [
      { action: 'events:DescribeRule', resource: arn },
      { action: 'events:ListTargetsByRule', resource: arn },
    ];
  },
};

export const busPolicyProvider: ResourceProvider = {
  type: 'AWS::Events::EventBusPolicy',
  service: 'EventBridge',
  deniedStatus: 400,
  priority: 1,
  deleteNeedsProperties: true,
  calls(phase, props, ref) {
    const bus = eventBusArn(ref.accountId, ref.region, str(props.EventBusName) ?? 'default');
    return [
      { action: phase === 'delete' ? 'events:RemovePermission' : 'events:PutPermission', resource: bus },
    ];
  },
  apply(props, ref) {
    const bus = eventBusArn(ref.accountId, ref.region, str(props.EventBusName) ?? 'default');
    const sid = str(props.StatementId) ?? ref.physicalId;
    const statement = policyText(props.Statement) ?? principalStatement(props, bus);
    putBusPolicyStatement(ref.world, bus, {
      sid,
      statement,
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    });
  },
  remove(props, ref) {
    const bus = eventBusArn(ref.accountId, ref.region, str(props.EventBusName) ?? 'default');
    deleteBusPolicyStatement(ref.world, bus, str(props.StatementId) ?? ref.physicalId);
  },
  reads(props, ref) {
    return [
      {
        action: 'events:DescribeEventBus',
        resource: eventBusArn(ref.accountId, ref.region, str(props.EventBusName) ?? 'default'),
      },
    ];
  },
};

/** The statement the legacy form (Action, Principal, Condition properties) stands for. */
function principalStatement(props: Record<string, unknown>, bus: string): string {
  const principal = str(props.Principal) ?? '*';
  return JSON.stringify({
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
    Action: str(props.Action) ?? 'events:PutEvents',
    Resource: bus,
    ...(props.Condition
      ? {
          Condition: {
            StringEquals: {
              [String((props.Condition as Record<string, unknown>).Key)]: String(
                (props.Condition as Record<string, unknown>).Value,
              ),
            },
          },
        }
      : {}),
  });
}
