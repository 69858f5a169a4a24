/**
 * The admin stack's grants against what AWS's Step Functions developer guide says each
 * integration needs, read from the synthesized template (infra-admin-stack.test.ts covers the
 * rest of the stack; this file keeps it under the size of one sitting):
 * - "IAM policies for using Distributed Map states": states:StartExecution on the state machine
 *   itself, states:DescribeExecution and states:StopExecution on its executions
 *   (`execution:<machine>/*`), s3:GetObject for the ItemReader, s3:PutObject,
 *   s3:ListMultipartUploadParts and s3:AbortMultipartUpload for the ResultWriter, and KMS for
 *   the SSE-KMS bucket;
 * - "Start a new AWS Step Functions state machine from a running execution" (.sync:2):
 *   states:StartExecution on the child machine, DescribeExecution/StopExecution on its
 *   executions, events:PutTargets/PutRule/DescribeRule on
 *   StepFunctionsGetEventsForStepFunctionsExecutionRule;
 * - SNS publish to a KMS-encrypted topic: kms:GenerateDataKey and kms:Decrypt on its key.
 * Resource names are printed with references as `<Id>` and `<Id.Attr>` to compare as text.
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
/** The properties of a resource of the template, which must exist. */
function props(logicalId: string | undefined): Record<string, unknown> {
  const resource = logicalId === undefined ? undefined : resources[logicalId];
  if (!resource) throw new Error(`the template has no resource ${logicalId}`);
  return resource.Properties;
}
type PolicyStatement = Record<string, unknown> & { Condition?: Record<string, Record<string, unknown>> };
const statementsIn = (document: unknown) => (document as { Statement: PolicyStatement[] }).Statement;
const conditionKey = (statement: PolicyStatement | undefined, operator: string, key: string) =>
  statement?.Condition?.[operator]?.[key];
const id = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

/** A CloudFormation value as text: `Fn::Join` joined, `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join(',');
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(sep);
  }
  if (v.Ref) return v.Ref === 'AWS::Partition' ? 'aws' : `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(value);
}

interface Grant {
  actions: string[];
  resources: string[];
  condition?: unknown;
}

/** Every Allow statement of the policies attached to a role, actions and resources as text. */
function grantsOf(roleId: string): Grant[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => (r.Properties.Roles as Array<{ Ref: string }>).some((ref) => ref.Ref === roleId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement)
    .filter((s) => s.Effect === 'Allow')
    .map((s) => ({
      actions: [s.Action as string | string[]].flat(),
      resources: [s.Resource].flat().map(text),
      ...(s.Condition ? { condition: s.Condition } : {}),
    }));
}

/** Whether some grant allows `action` on exactly the resource text `resource`. */
const allows = (grants: Grant[], action: string, resource: string) =>
  grants.some((g) => g.actions.includes(action) && g.resources.includes(resource));

const rollout = stack.rolloutStateMachine;
const rolloutRole = id(rollout.role as never);
const rolloutGrants = grantsOf(rolloutRole);
const accountRegion = 'aws:states:<AWS::Region>:<AWS::AccountId>';
const key = `<${id(stack.artifacts.key)}.Arn>`;
const rolloutObjects = `<${id(stack.artifacts.bucket)}.Arn>/rollouts/*`;

describe('the rollout state machine role has what the Step Functions guide lists', () => {
  it('Distributed Map: starts its own child executions, describes and stops them', () => {
    expect(allows(rolloutGrants, 'states:StartExecution', `<${id(rollout)}>`)).toBe(true);
    const children = `arn:${accountRegion}:execution:<${id(rollout)}.Name>/*`;
    expect(allows(rolloutGrants, 'states:DescribeExecution', children)).toBe(true);
    expect(allows(rolloutGrants, 'states:StopExecution', children)).toBe(true);
  });

  it('ItemReader and ResultWriter: reads manifests and writes results under rollouts/, with the bucket key', () => {
    for (const action of [
      's3:GetObject',
      's3:PutObject',
      's3:ListMultipartUploadParts',
      's3:AbortMultipartUpload',
    ]) {
      expect({ action, allowed: allows(rolloutGrants, action, rolloutObjects) }).toEqual({
        action,
        allowed: true,
      });
    }
    expect(allows(rolloutGrants, 'kms:Decrypt', key)).toBe(true);
    expect(allows(rolloutGrants, 'kms:GenerateDataKey', key)).toBe(true);
  });

  it('startExecution.sync:2: starts, describes and stops each per-target machine, and manages the events rule', () => {
    for (const machine of Object.values(stack.targetStateMachines)) {
      expect(allows(rolloutGrants, 'states:StartExecution', `<${id(machine)}>`)).toBe(true);
      const executions = `arn:${accountRegion}:execution:<${id(machine)}.Name>:*`;
      expect(allows(rolloutGrants, 'states:DescribeExecution', executions)).toBe(true);
      expect(allows(rolloutGrants, 'states:StopExecution', executions)).toBe(true);
    }
    const rule =
      'arn:aws:events:<AWS::Region>:<AWS::AccountId>:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule';
    for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
      expect({ action, allowed: allows(rolloutGrants, action, rule) }).toEqual({ action, allowed: true });
    }
  });

  it('publishes to the encrypted notification topic: sns:Publish on it and its key', () => {
    expect(allows(rolloutGrants, 'sns:Publish', `<${id(stack.topic)}>`)).toBe(true);
    expect(props(id(stack.topic)).KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [id(stack.artifacts.key), 'Arn'],
    });
  });

  it('starts nothing else and reads nothing else in the bucket', () => {
    const started = rolloutGrants
      .filter((g) => g.actions.includes('states:StartExecution'))
      .flatMap((g) => g.resources);
    // Its own map run children, each mode's per-target machine, and the stacks form's lane walker.
    expect(started.sort()).toEqual(
      [rollout, ...Object.values(stack.targetStateMachines), stack.walkLaneStateMachine]
        .map((m) => `<${id(m)}>`)
        .sort(),
    );
    const objects = rolloutGrants.filter((g) =>
      g.actions.some((a) => a.startsWith('s3:') && a !== 's3:ListBucket'),
    );
    expect(objects.flatMap((g) => g.resources)).toEqual([rolloutObjects]);
  });
});

describe('the walk-lane state machine role (the stacks form)', () => {
  const walker = stack.walkLaneStateMachine;
  const grants = grantsOf(id(walker.role as never));

  it("starts, describes and stops each mode's per-stack machine (.sync:2), which its input names at run time", () => {
    for (const machine of Object.values(stack.targetStateMachines)) {
      expect(allows(grants, 'states:StartExecution', `<${id(machine)}>`)).toBe(true);
      const executions = `arn:${accountRegion}:execution:<${id(machine)}.Name>:*`;
      expect(allows(grants, 'states:DescribeExecution', executions)).toBe(true);
      expect(allows(grants, 'states:StopExecution', executions)).toBe(true);
    }
    const started = grants
      .filter((g) => g.actions.includes('states:StartExecution'))
      .flatMap((g) => g.resources);
    expect(started.sort()).toEqual(
      Object.values(stack.targetStateMachines)
        .map((m) => `<${id(m)}>`)
        .sort(),
    );
  });

  it('invokes only the Next stack function and touches no bucket (lanes share results through that function)', () => {
    const invoked = grants
      .filter((g) => g.actions.includes('lambda:InvokeFunction'))
      .flatMap((g) => g.resources);
    expect(invoked).toEqual([`<${id(stack.functions.byId['next-stack'])}.Arn>`]);
    expect(grants.some((g) => g.actions.some((a) => a.startsWith('s3:')))).toBe(false);
  });
});

describe('roles Step Functions and EventBridge Scheduler assume', () => {
  const trustOf = (roleId: string) => statementsIn(props(roleId).AssumeRolePolicyDocument);

  it("let Step Functions assume a state machine role only for this account's state machines (confused deputy prevention)", () => {
    for (const machine of [
      rollout,
      ...Object.values(stack.targetStateMachines),
      stack.walkLaneStateMachine,
    ]) {
      const [statement] = trustOf(id(machine.role as never));
      expect(statement?.Principal).toEqual({ Service: 'states.amazonaws.com' });
      expect(text(conditionKey(statement, 'ArnLike', 'aws:SourceArn'))).toBe(
        `arn:${accountRegion}:stateMachine:*`,
      );
      expect(conditionKey(statement, 'StringEquals', 'aws:SourceAccount')).toEqual({ Ref: 'AWS::AccountId' });
    }
  });

  it('let the drift schedule start the rollout machine and nothing else', () => {
    const scheduleId = Object.keys(resources).find((k) => resources[k]?.Type === 'AWS::Scheduler::Schedule');
    const target = props(scheduleId).Target as { RoleArn: { 'Fn::GetAtt': [string, string] } };
    const roleId = target.RoleArn['Fn::GetAtt'][0];
    expect(trustOf(roleId)[0]?.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(grantsOf(roleId)).toEqual([
      { actions: ['states:StartExecution'], resources: [`<${id(rollout)}>`] },
    ]);
  });
});

describe('the notification topic accepts what publishes to it', () => {
  const topicPolicyId = Object.keys(resources).find((k) => resources[k]?.Type === 'AWS::SNS::TopicPolicy');
  const statements = statementsIn(props(topicPolicyId).PolicyDocument);

  // Its own topic policy replaces the default one SNS gives a topic, so the failure alarm needs
  // a statement (Amazon SNS developer guide, access control case examples: CloudWatch alarms).
  it('lets the failure alarm publish (CloudWatch, limited to that alarm); EventBridge no longer (the tamper response alerts)', () => {
    const cloudWatch = statements.find(
      (s) => (s.Principal as { Service?: string }).Service === 'cloudwatch.amazonaws.com',
    );
    expect(cloudWatch).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish' });
    expect(text(conditionKey(cloudWatch, 'ArnLike', 'aws:SourceArn'))).toBe(
      `<${id(stack.failedRolloutsAlarm)}.Arn>`,
    );
    // Forwarded tampering events start the response (its alert function publishes as its own role).
    expect(
      statements.some((s) => (s.Principal as { Service?: string }).Service === 'events.amazonaws.com'),
    ).toBe(false);
  });

  it('lets CloudWatch use the topic key, and not EventBridge any more', () => {
    const keyPolicy = statementsIn(props(id(stack.artifacts.key)).KeyPolicy);
    const byService = (service: string) =>
      keyPolicy.find((s) => (s.Principal as { Service?: string }).Service === service);
    expect(byService('cloudwatch.amazonaws.com')?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(byService('events.amazonaws.com')).toBeUndefined();
  });
});
