/**
 * The tamper response in the admin stack (issue 16): the incident table (PITR, its own customer
 * managed key), the rule that starts respond-to-tampering for the forwarded CloudTrail and Config
 * events, and the functions' least-privilege roles. One synth for the file, bundling skipped.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { StackFleetAdminStack, type StackFleetAdminStackProps } from '../../infra/lib/admin-stack';
import { adminStackPropsFromContext } from '../../infra/lib/context';

process.env.CDK_VALIDATION = 'false';

const projectRoot = resolve(__dirname, '../..');
const ORG = 'o-abcdefghij';

function synth(props: StackFleetAdminStackProps = {}) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'stackfleet-cdk-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new StackFleetAdminStack(app, 'StackFleetAdmin', {
    projectRoot,
    organizationId: ORG,
    ...props,
  });
  const resources = app.synth().getStackByName('StackFleetAdmin').template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  return { stack, resources };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };

const { stack, resources } = synth();
const idOf = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
function statementsOf(roleId: string): Statement[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as Array<{ Ref: string }>).some((ref) => ref.Ref === roleId))
    .flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const roleOf = (id: keyof typeof stack.functions.byId) => idOf(stack.functions.byId[id].role as never);
const actionsOf = (roleId: string) => statementsOf(roleId).flatMap((s) => [s.Action].flat());

describe('the incident table', () => {
  it('has point-in-time recovery, on-demand billing and a customer managed key with rotation of its own', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const table = tables[0]?.[1] as { Properties: Record<string, unknown> };
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'principal', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [idOf(stack.incidents.key), 'Arn'] },
      },
      DeletionProtectionEnabled: true,
    });
    expect(resources[idOf(stack.incidents.key)]?.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('the rule on the admin bus', () => {
  it('starts respond-to-tampering for the CloudTrail and Config tampering calls, and no longer sends the raw event to the topic', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.EventPattern ?? {}).includes('StopLogging'),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0] as [string, { Properties: Record<string, unknown> }];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudtrail', 'aws.config'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventName: [
          'StopLogging',
          'DeleteTrail',
          'UpdateTrail',
          'PutEventSelectors',
          'PutInsightSelectors',
          'StopConfigurationRecorder',
          'DeleteConfigurationRecorder',
          'DeleteDeliveryChannel',
        ],
      },
    });
    const targets = rule.Properties.Targets as Array<{ Arn: unknown; RoleArn: unknown }>;
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual({ Ref: idOf(stack.responseStateMachine) });
  });

  it('fills the response definition with the table, the containment setting and the responder role', () => {
    const machine = resources[idOf(stack.responseStateMachine)];
    expect(machine?.Properties.DefinitionSubstitutions).toMatchObject({
      IncidentTableName: { Ref: idOf(stack.incidents.table) },
      ContainmentMode: 'repeat-offenders',
      ResponderRoleName: 'StackFleetTamperResponder',
      BaselineStackName: 'stackfleet-baseline',
      BaselineTemplateKey: 'templates/baseline.yaml',
      ExecutionRoleName: 'StackFleetExecution',
    });
  });

  it('takes the containment setting from the CDK context and refuses an unknown one, naming it', () => {
    expect(
      adminStackPropsFromContext((k) => (k === 'containment' ? 'always' : undefined)).props.containment,
    ).toBe('always');
    expect(() => adminStackPropsFromContext((k) => (k === 'containment' ? 'sometimes' : undefined))).toThrow(
      'context containment must be one of off, repeat-offenders, always. Received: sometimes',
    );
    const off = synth({ containment: 'off' });
    expect(
      off.resources[off.stack.getLogicalId(off.stack.responseStateMachine.node.defaultChild as never)]
        ?.Properties.DefinitionSubstitutions,
    ).toMatchObject({ ContainmentMode: 'off' });
  });
});

describe("the response functions' roles", () => {
  it('let restore-logging and contain-principal assume only the responder role, in the organisation, from the path it trusts', () => {
    for (const id of ['restore-logging', 'contain-principal'] as const) {
      expect(resources[roleOf(id)]?.Properties.Path).toBe('/stackfleet/tamper-response/');
      const assume = statementsOf(roleOf(id)).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('sts:')),
      );
      expect(assume).toEqual([
        {
          Sid: 'AssumeTamperResponderInOrganization',
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/StackFleetTamperResponder']],
          },
          Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
        },
      ]);
      expect(actionsOf(roleOf(id)).filter((a) => /^(dynamodb|sns|s3):/.test(a))).toEqual([]);
    }
  });

  it('let record-incident UpdateItem on the table and use its key, nothing more', () => {
    const statements = statementsOf(roleOf('record-incident'));
    const table = statements.find((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(table).toMatchObject({ Action: 'dynamodb:UpdateItem' });
    expect(JSON.stringify(table?.Resource)).toContain(idOf(stack.incidents.table));
    const key = statements.find((s) => [s.Action].flat().includes('kms:Decrypt'));
    expect(key?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(key?.Resource).toEqual({ 'Fn::GetAtt': [idOf(stack.incidents.key), 'Arn'] });
    expect(actionsOf(roleOf('record-incident')).filter((a) => /^(sts|sns|s3|iam):/.test(a))).toEqual([]);
  });

  it('let alert-tampering publish to the topic only, and read-tamper-event do nothing but log', () => {
    const publish = statementsOf(roleOf('alert-tampering')).find((s) => s.Sid === 'PublishTamperAlert');
    expect(publish).toMatchObject({ Action: 'sns:Publish', Resource: { Ref: idOf(stack.topic) } });
    expect(actionsOf(roleOf('alert-tampering')).filter((a) => /^(sts|dynamodb|s3|iam):/.test(a))).toEqual([]);
    expect(actionsOf(roleOf('read-tamper-event')).filter((a) => !/^(logs|xray):/.test(a))).toEqual([]);
  });
});
