import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { responseStateMachineFiles, stateMachineFiles } from '../../src/core/functions';
import { ArtifactPrefixes } from './artifact-store';
import { acknowledgeNag, nagRef } from './nag';
import { pascalCase } from './names';
import { ADMIN_ROLE_PATH } from './rollout-functions';

/** The placeholders a definition uses, in order of first use. */
export function placeholdersIn(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))];
}

/**
 * AWS service integrations (`arn:aws:states:::service:action`) this construct knows how to grant.
 * A definition that calls anything else fails the synth, so a new Task state cannot ship
 * without a deliberate, narrow grant here.
 */
export const GrantedIntegrations = [
  // Granted with the functions the definition names (InvokeTaskFunctions): their unqualified ARNs.
  'lambda:invoke',
  // Callback tasks invoke a function of the registry the same way: InvokeTaskFunctions covers them.
  'lambda:invoke.waitForTaskToken',
  's3:getObject',
  's3:putObject',
  'sns:publish',
  'states:startExecution',
  'states:startExecution.sync',
  'states:startExecution.sync:2',
] as const;
type GrantedIntegration = (typeof GrantedIntegrations)[number];

/** The service integrations a definition's Task states, ItemReaders and ResultWriters call. */
export function serviceIntegrationsIn(definition: string): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Resource' && typeof inner === 'string') {
          const match = /^arn:[^:]+:states:::(.+)$/.exec(inner);
          if (match) found.add(match[1] as string);
        } else visit(inner);
      }
    }
  };
  visit(JSON.parse(definition));
  return [...found].sort();
}

export interface RolloutStateMachinesProps {
  /** Repository root: state machine files in the registry are relative to it. */
  readonly projectRoot: string;
  /** Functions by substitution name (`DeployStackFunctionArn` ...). */
  readonly functionsByPlaceholder: Record<string, lambda.IFunction>;
  readonly artifactBucket: s3.IBucket;
  readonly topic: sns.ITopic;
  /** Key of the bucket and topic. */
  readonly key: kms.IKey;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The tamper response's own substitutions (`responsePlaceholders`): with them the
   * respond-to-tampering machine is deployed after the rollout's machines.
   * @default the response is not deployed
   */
  readonly responseValues?: Record<string, string>;
}

/**
 * Every state machine from statemachines/*.asl.json (the files the local engine runs), in the
 * registry's order so each can reference the ones before it. File-based definitions get no
 * automatic grants: each role gets exactly what its file's Task states call.
 */
export class RolloutStateMachines extends Construct {
  /** By registry id (`deploy-target`, `preview-target`, `drift-target`, `rollout`, `respond-to-tampering`). */
  readonly byId: Record<string, sfn.StateMachine>;

  constructor(scope: Construct, id: string, props: RolloutStateMachinesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.byId = {};
    const values: Record<string, string> = {
      ArtifactBucketName: props.artifactBucket.bucketName,
      NotificationTopicArn: props.topic.topicArn,
      ...(props.responseValues ?? {}),
    };
    for (const [placeholder, fn] of Object.entries(props.functionsByPlaceholder)) {
      values[placeholder] = fn.functionArn;
    }
    const machinesByPlaceholder: Record<string, sfn.StateMachine> = {};

    const files = [...stateMachineFiles, ...(props.responseValues ? responseStateMachineFiles : [])];
    for (const entry of files) {
      const file = join(props.projectRoot, entry.file);
      if (!existsSync(file)) {
        throw new Error(
          `State machine ${entry.id}: definition file ${entry.file} does not exist. Received path: ${file}`,
        );
      }
      const definition = readFileSync(file, 'utf8');
      const used = placeholdersIn(definition);
      const integrations = serviceIntegrationsIn(definition);
      const unknown = integrations.filter((i) => !(GrantedIntegrations as readonly string[]).includes(i));
      if (unknown.length > 0) {
        throw new Error(
          `State machine ${entry.id} (${entry.file}) calls ${unknown.map((i) => `arn:aws:states:::${i}`).join(', ')}, ` +
            `which infra/lib/state-machines.ts does not grant. Add a narrow grant there. Granted: ${GrantedIntegrations.join(', ')}`,
        );
      }
      const calls = (integration: GrantedIntegration) => integrations.includes(integration);
      const definitionSubstitutions: Record<string, string> = {};
      for (const name of used) {
        const value = values[name];
        if (value === undefined) {
          throw new Error(
            `State machine ${entry.id} (${entry.file}) uses \${${name}}, which has no value at this point. ` +
              `Known: ${Object.keys(values).join(', ')}`,
          );
        }
        definitionSubstitutions[name] = value;
      }

      const constructId = pascalCase(entry.id);
      const role = new iam.Role(this, `${constructId}Role`, {
        // Only Step Functions, on behalf of this account's state machines (Step Functions
        // developer guide, "Cross-service confused deputy prevention").
        assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'states',
                resource: 'stateMachine',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                resourceName: '*',
              }),
            },
          },
        }),
        path: ADMIN_ROLE_PATH,
        description: `stackfleet ${entry.id} state machine`,
      });
      const logGroup = new logs.LogGroup(this, `${constructId}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
      });
      const machine = new sfn.StateMachine(this, constructId, {
        definitionBody: sfn.DefinitionBody.fromFile(file),
        definitionSubstitutions,
        stateMachineType: sfn.StateMachineType.STANDARD,
        role,
        tracingEnabled: true,
        // Execution data stays out of the logs: inputs carry the ExternalId and parameters.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      });

      // What the file's Task states call, granted narrowly.
      const invoked = used.map((name) => props.functionsByPlaceholder[name]).filter((fn) => fn !== undefined);
      if (invoked.length > 0) {
        // The unqualified ARNs the Task states name; no versions or aliases.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'InvokeTaskFunctions',
            actions: ['lambda:InvokeFunction'],
            resources: invoked.map((fn) => fn.functionArn),
          }),
        );
      }
      const startsChildren =
        calls('states:startExecution') ||
        calls('states:startExecution.sync') ||
        calls('states:startExecution.sync:2');
      // The rollout names every per-target machine (Validate input picks one by mode at run time);
      // walk-lane starts the one its input names, so the registry lists those (startsAtRunTime).
      const runTime: readonly string[] = 'startsAtRunTime' in entry ? entry.startsAtRunTime : [];
      const children = [...new Set([...used, ...runTime])]
        .map((name) => machinesByPlaceholder[name])
        .filter((m) => m !== undefined);
      if (children.length > 0 && startsChildren) grantStartSyncExecution(role, children, stack);
      if (calls('s3:getObject') || calls('s3:putObject')) {
        grantDistributedMapData(role, props.artifactBucket, props.key);
      }
      if (calls('sns:publish')) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'PublishSummary',
            actions: ['sns:Publish'],
            resources: [props.topic.topicArn],
          }),
        );
        props.key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
      }
      if (usesDistributedMap(definition)) grantDistributedMapChildren(this, constructId, role, machine);

      acknowledgeNag(
        role,
        'CloudWatch Logs vended-log delivery and X-Ray APIs have no resource-level permissions.',
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      );
      this.byId[entry.id] = machine;
      machinesByPlaceholder[entry.placeholder] = machine;
      values[entry.placeholder] = machine.stateMachineArn;
    }
  }
}

/** Whether the definition has a Map state in DISTRIBUTED mode (its children run as this machine). */
function usesDistributedMap(definition: string): boolean {
  return /"Mode"\s*:\s*"DISTRIBUTED"/.test(definition);
}

/** `states:startExecution.sync:2` on the children: start them, watch them, stop them, and the managed rule. */
function grantStartSyncExecution(role: iam.Role, children: sfn.StateMachine[], stack: Stack): void {
  for (const child of children) child.grantStartExecution(role);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WatchChildExecutions',
      actions: ['states:DescribeExecution', 'states:StopExecution'],
      resources: children.map((child) =>
        stack.formatArn({
          service: 'states',
          resource: 'execution',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${child.stateMachineName}:*`,
        }),
      ),
    }),
  );
  acknowledgeNag(
    role,
    'Child execution names are chosen per target at run time; the grant is limited to executions of the named child state machines.',
    ...children.map(
      (child) =>
        `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${nagRef(child, 'Name')}:*]`,
    ),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ManagedRuleForSyncExecutions',
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
        }),
      ],
    }),
  );
}

/** ItemReader reads the manifest, ResultWriter writes results, both under rollouts/ with the bucket key. */
function grantDistributedMapData(role: iam.Role, bucket: s3.IBucket, key: kms.IKey): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ManifestsAndResults',
      actions: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      resources: [bucket.arnForObjects(`${ArtifactPrefixes.rollouts}*`)],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListRolloutResults',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${ArtifactPrefixes.rollouts}*`] } },
    }),
  );
  key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  acknowledgeNag(
    role,
    'Manifests and Distributed Map results are keyed by rollout id under rollouts/, unknown at deploy time.',
    `AwsSolutions::AwsSolutions-IAM5[Resource::${nagRef(bucket)}/${ArtifactPrefixes.rollouts}*]`,
  );
}

/**
 * A Distributed Map starts child executions of its own state machine. Referencing the machine's
 * ARN from its role's default policy would be a cycle (the machine depends on its role), so this
 * grant is a separate policy attached after the machine exists.
 */
function grantDistributedMapChildren(
  scope: Construct,
  id: string,
  role: iam.IRole,
  machine: sfn.StateMachine,
): void {
  const stack = Stack.of(scope);
  const policy = new iam.Policy(scope, `${id}MapRunPolicy`, {
    statements: [
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [machine.stateMachineArn],
      }),
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            resourceName: `${machine.stateMachineName}/*`,
          }),
        ],
      }),
    ],
  });
  policy.attachToRole(role);
  acknowledgeNag(
    policy,
    "Map run child executions are named '<machine>/<map run>:<uuid>' by Step Functions at run time.",
    `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${nagRef(machine, 'Name')}/*]`,
  );
}
