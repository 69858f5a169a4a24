/**
 * The admin stack's part of stack events (issue 19), read from the synthesized template:
 * - only Match stack event and Register stack wait may answer task tokens, and only those of the
 *   machines that wait for events (the Step Functions API authorizes SendTaskSuccess/Failure on
 *   the state machine the token's task runs in);
 * - the admin bus rule passes only final Stack Status Change events of stackfleet's operations
 *   (CloudFormation User Guide, event-detail-stack-status-change) to Match stack event, which a
 *   resource-based policy lets EventBridge invoke for that rule only (EventBridge User Guide,
 *   eb-use-resource-based).
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StackFleetAdminStack } from '../../infra/lib/admin-stack';

process.env.CDK_VALIDATION = 'false';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new StackFleetAdminStack(app, 'StackFleetAdmin', {
  projectRoot: resolve(__dirname, '../..'),
  organizationId: 'o-abcdefghij',
});
type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
const id = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const roleId = (fn: keyof typeof stack.functions.byId) => id(stack.functions.byId[fn].role as never);
const ref = (value: unknown) => JSON.stringify(value);

describe('stack events in the admin stack', () => {
  const answering = Object.entries(resources).filter(
    ([, r]) =>
      ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type) &&
      JSON.stringify(r.Properties.PolicyDocument).includes('states:SendTaskSuccess'),
  );

  it('lets only the two stack-event functions answer tasks, and only of deploy-target and drift-target', () => {
    expect(answering).toHaveLength(1);
    const [, policy] = answering[0] as [string, Resource];
    expect((policy.Properties.Roles as unknown[]).map(ref).sort()).toEqual(
      [{ Ref: roleId('match-stack-event') }, { Ref: roleId('register-stack-wait') }].map(ref).sort(),
    );
    const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> })
      .Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toEqual([
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
    ]);
    const machines = [stack.targetStateMachines.deploy, stack.targetStateMachines.drift].map((m) => ({
      Ref: stack.getLogicalId(m.node.defaultChild as never),
    }));
    expect(((statements[0]?.Resource ?? []) as unknown[]).map(ref).sort()).toEqual(machines.map(ref).sort());
  });

  it('sends Match stack event only the final status events of operations with a stackfleet token', () => {
    const rules = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && ref(r.Properties.EventPattern).includes('aws.cloudformation'),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0] as Resource;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudformation'],
      'detail-type': ['CloudFormation Stack Status Change'],
      detail: {
        'client-request-token': [{ prefix: 'sf-' }],
        'status-details': {
          status: [{ 'anything-but': { suffix: '_IN_PROGRESS' } }, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'],
        },
      },
    });
    const targets = rule.Properties.Targets as Array<{ Arn: unknown }>;
    expect(targets.map((t) => ref(t.Arn))).toEqual([
      ref({ 'Fn::GetAtt': [id(stack.functions.byId['match-stack-event']), 'Arn'] }),
    ]);
    const permissions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
    const invoke = permissions.find(
      (p) =>
        ref(p.Properties.FunctionName) ===
        ref({ 'Fn::GetAtt': [id(stack.functions.byId['match-stack-event']), 'Arn'] }),
    );
    expect(invoke?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
    });
    expect(ref(invoke?.Properties.SourceArn)).toContain('StackStatusChangesInOrganization');
  });
});
