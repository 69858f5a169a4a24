/**
 * The admin stack as CloudFormation will receive it. One synth per configuration for the whole
 * file (bundling skipped here: infra-synth.test.ts runs the real offline synth with esbuild).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, CloudFormationValidatePlugin, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  defaultDriftRequest,
  StackFleetAdminStack,
  type StackFleetAdminStackProps,
} from '../../infra/lib/admin-stack';
import { adminStackPropsFromContext } from '../../infra/lib/context';
import { pascalCase } from '../../infra/lib/names';
import { GrantedIntegrations, placeholdersIn, serviceIntegrationsIn } from '../../infra/lib/state-machines';
import { lambdaFunctions, stateMachineFiles, targetStateMachineFiles } from '../../src/core/functions';
import { validateRolloutInput } from '../../src/core/rollout-validation';

// aws-cdk-lib's built-in schema validation takes ~15 s on this stack: run it once, explicitly,
// in the cdk-nag test below, not for every assertion synth.
process.env.CDK_VALIDATION = 'false';

const projectRoot = resolve(__dirname, '../..');
const ORG = 'o-abcdefghij';

function synth(props: StackFleetAdminStackProps = {}, options: { nag?: boolean } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'stackfleet-cdk-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StackFleetAdminStack(app, 'StackFleetAdmin', {
    projectRoot,
    organizationId: ORG,
    ...props,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, outdir };
}

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Effect: string;
  Sid?: string;
};
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const { stack } = synth();
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Resources;
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

/** Statements of every inline policy attached to a role (by the role's logical id). */
function statementsOf(roleId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => (r.Properties.Roles as Array<{ Ref: string }>).some((ref) => ref.Ref === roleId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actionsOf = (s: Statement) => [s.Action].flat();

/** The schedule's input JSON, with CloudFormation references printed as `<Ref:Id>`. */
function scheduleInput(all: Resources): Record<string, unknown> {
  const schedule = Object.values(all).find((r) => r.Type === 'AWS::Scheduler::Schedule');
  const input = (schedule!.Properties.Target as { Input: unknown }).Input;
  const flatten = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(flatten).join(join[0]);
    return `<Ref:${(value as { Ref?: string }).Ref}>`;
  };
  return JSON.parse(flatten(input));
}

describe('artifact bucket', () => {
  const bucketId = logicalId(stack.artifacts.bucket);
  const keyId = logicalId(stack.artifacts.key);

  it('is versioned, encrypted with the customer key, private and access-logged', () => {
    expect(resources[bucketId]?.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.artifacts.accessLogBucket) } },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('refuses every request that is not TLS, on both buckets', () => {
    for (const bucket of [stack.artifacts.bucket, stack.artifacts.accessLogBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('lets only the organisation execution roles read templates', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ExecutionRolesReadTemplates',
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Condition: {
              StringEquals: { 'aws:PrincipalOrgID': ORG },
              ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/StackFleetExecution' },
            },
          }),
        ]),
      },
    });
  });
});

describe('functions', () => {
  const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

  it('deploys every function of the registry on Node 22/24 with X-Ray and its own role', () => {
    expect(functions).toHaveLength(lambdaFunctions.length);
    const roles = new Set<string>();
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toMatch(/^nodejs(22|24)\.x$/);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      roles.add(JSON.stringify(fn.Properties.Role));
    }
    expect(roles.size).toBe(lambdaFunctions.length);
  });

  it('gives every function a log group with a retention', () => {
    for (const [, fn] of functions) {
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 365 },
      });
    }
  });

  it('lets deploy/check/plan assume only the execution role, inside the organisation', () => {
    for (const id of ['deploy-stack', 'check-stack', 'plan-targets'] as const) {
      const fn = stack.functions.byId[id];
      const roleId = logicalId(fn.role as never);
      expect(resources[roleId]?.Properties.Path).toBe('/stackfleet/target-access/');
      const assume = statementsOf(roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('sts:')));
      expect(assume).toEqual([
        {
          Sid: 'AssumeExecutionRoleInOrganization',
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/StackFleetExecution']],
          },
          Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
        },
      ]);
    }
  });

  it('gives no cross-account access to the other functions, and no wildcard actions to any', () => {
    for (const id of ['validate-rollout', 'summarize-rollout'] as const) {
      const roleId = logicalId(stack.functions.byId[id].role as never);
      expect(resources[roleId]?.Properties.Path).toBe('/stackfleet/');
      expect(
        statementsOf(roleId)
          .flatMap(actionsOf)
          .filter((a) => a.startsWith('sts:')),
      ).toEqual([]);
    }
    for (const fn of Object.values(stack.functions.byId)) {
      const actions = statementsOf(logicalId(fn.role as never)).flatMap(actionsOf);
      expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
    }
  });

  it('lets functions that read the bucket list it, so a missing key is a 404 and not a 403', () => {
    for (const id of ['validate-rollout', 'plan-targets', 'summarize-rollout', 'deploy-stack'] as const) {
      const statements = statementsOf(logicalId(stack.functions.byId[id].role as never));
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [logicalId(stack.artifacts.bucket), 'Arn'] },
        }),
      );
      expect(statements.find((s) => actionsOf(s).includes('s3:ListBucket'))?.Condition).toBeUndefined();
    }
  });

  it.each([
    ['check-stack', []],
    // With stack events on, Deploy stack also reads whether the region's events flow (event-wait.ts).
    ['deploy-stack', ['/stack-waits/_events-flowing/*']],
  ] as const)(
    'lets %s read published templates (the wait policy reads them) and nothing else in the bucket but %j',
    (id, markers) => {
      const statements = statementsOf(logicalId(stack.functions.byId[id].role as never));
      const s3 = statements.filter((s) =>
        actionsOf(s).some((a) => a.startsWith('s3:') && a !== 's3:ListBucket'),
      );
      const templates = s3.filter((s) => JSON.stringify(s.Resource).includes('/templates/*'));
      expect(templates).toHaveLength(1);
      expect(templates[0]?.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      const others = s3.filter((s) => !templates.includes(s));
      expect(others.map((s) => s.Action)).toEqual(markers.map(() => 's3:GetObject'));
      expect(others.map((s) => JSON.stringify(s.Resource))).toEqual(
        markers.map((m) => expect.stringContaining(m)),
      );
    },
  );

  it('lets Validate input ask CloudFormation about a template and read the organisation, read-only', () => {
    const statements = statementsOf(logicalId(stack.functions.byId['validate-rollout'].role as never));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary'],
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['organizations:List*', 'organizations:Describe*', 'ec2:DescribeRegions'],
      }),
    );
    // Nothing it may do changes anything, besides writing its own logs and traces.
    const writes = statements
      .flatMap(actionsOf)
      .filter((a) => /:(Put|Create|Update|Delete|Execute)/.test(a) && !/^(logs|xray):/.test(a));
    expect(writes).toEqual([]);
  });

  it('lets the planner read the organisation and write manifests only under rollouts/', () => {
    const statements = statementsOf(logicalId(stack.functions.byId['plan-targets'].role as never));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['organizations:List*', 'organizations:Describe*', 'ec2:DescribeRegions'],
      }),
    );
    const puts = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(JSON.stringify(puts.map((s) => s.Resource))).toContain('/rollouts/*');
  });
});

describe('state machines', () => {
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');

  it('deploys the registry files with X-Ray, full logging without execution data, and a log retention', () => {
    // The rollout's machines and the tamper response (infra-tamper-response.test.ts).
    expect(machines).toHaveLength(stateMachineFiles.length + 1);
    for (const [, machine] of machines) {
      expect(machine.Properties.DefinitionS3Location).toBeDefined();
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      const logging = machine.Properties.LoggingConfiguration as {
        Level: string;
        IncludeExecutionData: boolean;
        Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }>;
      };
      expect(logging.Level).toBe('ALL');
      expect(logging.IncludeExecutionData).toBe(false);
      const logGroupId = logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(resources[logGroupId]?.Properties.RetentionInDays).toBe(365);
    }
  });

  it('fills every placeholder a definition file uses', () => {
    for (const entry of stateMachineFiles) {
      const used = placeholdersIn(readFileSync(join(projectRoot, entry.file), 'utf8'));
      const machine = stack.node.findChild('StateMachines').node.findChild(pascalCase(entry.id));
      const props = resources[logicalId(machine)]?.Properties as {
        DefinitionSubstitutions: Record<string, unknown>;
      };
      expect(Object.keys(props.DefinitionSubstitutions).sort()).toEqual([...used].sort());
    }
  });

  it('grants the rollout machine exactly what its Task states call', () => {
    const roleId = logicalId(stack.rolloutStateMachine.role as never);
    const statements = statementsOf(roleId);
    const actions = new Set(statements.flatMap(actionsOf));
    for (const action of [
      'lambda:InvokeFunction',
      'states:StartExecution',
      'states:DescribeExecution',
      'states:StopExecution',
      'events:PutRule',
      'events:PutTargets',
      'events:DescribeRule',
      's3:GetObject',
      's3:PutObject',
      'sns:Publish',
    ]) {
      expect(actions).toContain(action);
    }
    const start = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
    const targets = JSON.stringify(start.map((s) => s.Resource));
    // Validate input picks the per-target machine by mode: the rollout may start, watch and stop each.
    const watch = JSON.stringify(
      statements.filter((s) => s.Sid === 'WatchChildExecutions').map((s) => [s.Action, s.Resource]),
    );
    for (const machine of Object.values(stack.targetStateMachines)) {
      expect(targets).toContain(logicalId(machine));
      expect(watch).toContain(logicalId(machine));
    }
    expect(watch).toContain('states:StopExecution');
    // Distributed Map children run as the rollout machine itself.
    expect(targets).toContain(logicalId(stack.rolloutStateMachine));
    const invoke = statements.find((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    const invoked = JSON.stringify(invoke?.Resource);
    for (const id of ['validate-rollout', 'plan-targets', 'summarize-rollout'] as const) {
      expect(invoked).toContain(logicalId(stack.functions.byId[id]));
    }
    expect(invoked).not.toContain(logicalId(stack.functions.byId['deploy-stack']));
  });

  it('knows how to grant every service integration the definition files call', () => {
    for (const entry of stateMachineFiles) {
      const integrations = serviceIntegrationsIn(readFileSync(join(projectRoot, entry.file), 'utf8'));
      expect(integrations.filter((i) => !(GrantedIntegrations as readonly string[]).includes(i))).toEqual([]);
    }
  });

  it('refuses to synthesize a definition that calls an integration it does not grant', () => {
    // A copy of the project whose deploy-target machine also writes to DynamoDB.
    const root = mkdtempSync(join(tmpdir(), 'stackfleet-root-'));
    copyFileSync(join(projectRoot, 'package-lock.json'), join(root, 'package-lock.json'));
    mkdirSync(join(root, 'functions'));
    for (const fn of lambdaFunctions)
      writeFileSync(join(root, fn.entry), 'export const handler = async () => ({});\n');
    mkdirSync(join(root, 'statemachines'));
    for (const entry of stateMachineFiles) {
      const definition = JSON.parse(readFileSync(join(projectRoot, entry.file), 'utf8'));
      if (entry.id === 'deploy-target') {
        definition.States['Record target'] = {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: 'x', Item: {} },
          End: true,
        };
      }
      writeFileSync(join(root, entry.file), JSON.stringify(definition));
    }
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(
      () => new StackFleetAdminStack(app, 'Drifted', { projectRoot: root, organizationId: ORG }),
    ).toThrow(
      'State machine deploy-target (statemachines/deploy-target.asl.json) calls arn:aws:states:::dynamodb:putItem, which infra/lib/state-machines.ts does not grant',
    );
  });

  it.each([
    ['deploy', ['deploy-stack', 'check-stack', 'register-stack-wait']],
    ['preview', ['preview-changes']],
    ['drift', ['detect-drift', 'repair-drift', 'check-stack', 'deploy-stack', 'register-stack-wait']],
  ] as const)('lets the %s per-target machine invoke only the functions of its mode: %j', (mode, ids) => {
    const statements = statementsOf(logicalId(stack.targetStateMachines[mode].role as never));
    const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    const invoked = JSON.stringify(invoke.map((s) => s.Resource));
    for (const fn of lambdaFunctions) {
      const id = logicalId(stack.functions.byId[fn.id]);
      expect({ fn: fn.id, invoked: invoked.includes(id) }).toEqual({
        fn: fn.id,
        invoked: (ids as readonly string[]).includes(fn.id),
      });
    }
    expect(statements.flatMap(actionsOf)).not.toContain('states:StartExecution');
  });

  it('outputs the ARN of every state machine the CLI reads', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.RolloutStateMachineArn?.Value).toEqual({ Ref: logicalId(stack.rolloutStateMachine) });
    for (const sm of targetStateMachineFiles) {
      expect(outputs[sm.placeholder]?.Value).toEqual({ Ref: logicalId(stack.targetStateMachines[sm.mode]) });
    }
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'DeployTargetStateMachineArn',
        'PreviewTargetStateMachineArn',
        'DriftTargetStateMachineArn',
      ]),
    );
  });

  it('outputs the ARN of every function, which `rollout --local-engine` invokes through Lambda', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const fn of lambdaFunctions) {
      expect({ [fn.placeholder]: outputs[fn.placeholder]?.Value }).toEqual({
        [fn.placeholder]: { 'Fn::GetAtt': [logicalId(stack.functions.byId[fn.id]), 'Arn'] },
      });
    }
  });
});

describe('notifications, alarm and schedule', () => {
  it('encrypts the topic with the customer key and alarms on failed rollouts into it', () => {
    const topicId = logicalId(stack.topic);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.artifacts.key), 'Arn'] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'ExecutionsFailed',
              Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack.rolloutStateMachine) } }],
            }),
          }),
        }),
      ]),
    });
  });

  it('has a drift schedule on the rollout machine that is DISABLED by default', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      State: 'DISABLED',
      ScheduleExpression: 'rate(1 day)',
      Target: Match.objectLike({ Arn: { Ref: logicalId(stack.rolloutStateMachine) } }),
    });
    expect(scheduleInput(resources)).toMatchObject({
      mode: 'drift',
      repair: true,
      executionRoleName: 'StackFleetExecution',
      stackName: 'stackfleet-baseline',
      template: { bucket: `<Ref:${logicalId(stack.artifacts.bucket)}>`, key: 'templates/baseline.yaml' },
    });
  });

  it('starts rollouts the Validate step accepts (the schedule cannot vary its input, so no rolloutId)', () => {
    const request = defaultDriftRequest({
      bucket: 'stackfleet-artifacts',
      executionRoleName: 'StackFleetExecution',
      externalId: 'fleet-external-id',
      organizationRootId: 'r-ab12',
    });
    const { input, issues } = validateRolloutInput(request, 'scheduled-run-1');
    expect(issues).toEqual([]);
    expect(input).toMatchObject({ mode: 'drift', repair: true, rolloutId: 'scheduled-run-1' });
  });

  it('enables the schedule and takes its expression and targets when asked', () => {
    const { stack: enabled } = synth({
      organizationRootId: 'r-ab12',
      driftSchedule: { enabled: true, expression: 'cron(0 3 ? * MON *)', timeZone: 'Europe/Berlin' },
    });
    const t = Template.fromStack(enabled);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      State: 'ENABLED',
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    expect(scheduleInput(t.toJSON().Resources as Resources).targets).toEqual({
      organizationalUnits: ['r-ab12'],
      regions: 'ALL_ENABLED',
    });
  });
});

describe('configuration errors name the field and the value', () => {
  it.each([
    [{ organizationId: 'o-BAD' }, 'organizationId must look like o-a1b2c3d4e5. Received: o-BAD'],
    [{ organizationRootId: 'root' }, 'organizationRootId must look like r-ab12. Received: root'],
    [{ executionRoleName: 'has space' }, 'Received: has space'],
    [{ driftSchedule: { enabled: true } }, 'driftSchedule.enabled is true but the schedule has no targets'],
  ] as Array<[StackFleetAdminStackProps, string]>)('%j', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('asks for the organisation id at deploy time when it is not configured', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const noOrg = new StackFleetAdminStack(app, 'NoOrg', { projectRoot });
    Template.fromStack(noOrg).hasParameter('OrganizationId', { AllowedPattern: '^o-[a-z0-9]{10,32}$' });
  });

  it('maps CDK context strings onto props', () => {
    const context: Record<string, string> = {
      organizationId: ORG,
      driftScheduleEnabled: 'true',
      driftSchedule: 'rate(12 hours)',
      logRetentionDays: '90',
      stackName: 'Fleet',
    };
    const { stackName, props } = adminStackPropsFromContext((key) => context[key]);
    expect(stackName).toBe('Fleet');
    expect(props).toMatchObject({
      organizationId: ORG,
      driftSchedule: { enabled: true, expression: 'rate(12 hours)' },
      logRetention: 90,
    });
    expect(() => adminStackPropsFromContext((key) => ({ driftScheduleEnabled: 'yes' })[key])).toThrow(
      'context driftScheduleEnabled must be true or false. Received: yes',
    );
    expect(() => adminStackPropsFromContext((key) => ({ logRetentionDays: '42' })[key])).toThrow(
      /context logRetentionDays must be one of .*Received: 42/,
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes with every finding acknowledged in code, and the template passes schema validation', () => {
    const { app, outdir } = synth({}, { nag: true });
    Validations.of(app).addPlugins(new CloudFormationValidatePlugin());
    expect(() => app.synth()).not.toThrow();
    const reportFile = join(outdir, 'validation-report.json');
    expect(existsSync(reportFile)).toBe(true);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
    };
    const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(nag?.violations).toEqual([]);
    // The schema plugin reports only findings; none may be left.
    const schema = report.pluginReports.find((p) => p.pluginName === 'CloudFormation Validate');
    expect(schema?.violations ?? []).toEqual([]);
  }, 300_000);

  it('fails when a wildcard grant is not acknowledged (the check is live)', () => {
    const { app, stack: s } = synth({}, { nag: true });
    s.functions.byId['summarize-rollout'].addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:*'],
        resources: ['*'],
      }),
    );
    expect(() => app.synth()).toThrow('AwsSolutions-IAM5[Action::s3:*]');
  });
});
