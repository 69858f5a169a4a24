import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type LambdaFunctionId, lambdaFunctions, TAMPER_RESPONDER_ROLE_NAME } from '../../src/core/functions';
import { EVENTS_FLOWING_PREFIX, STACK_WAIT_BUCKET_VARIABLE } from '../../src/core/stack-waits';
import { ArtifactPrefixes } from './artifact-store';
import { acknowledgeNag, nagRef } from './nag';
import { pascalCase } from './names';

/**
 * IAM path of the roles that may assume the execution role in target accounts. The bootstrap
 * template (templates/execution-role.yaml, parameter AdminRolePath) trusts exactly this path,
 * so CDK can still name the roles.
 */
export const TARGET_ACCESS_ROLE_PATH = '/stackfleet/target-access/';
/** IAM path of the other stackfleet roles (easy to find, never trusted by targets). */
export const ADMIN_ROLE_PATH = '/stackfleet/';
/**
 * IAM path of the tamper-response roles that assume the responder role in targets
 * (templates/tamper-responder.yaml trusts exactly this path, and never the deployers').
 */
export const TAMPER_RESPONSE_ROLE_PATH = '/stackfleet/tamper-response/';

/** What one function may do besides writing its own logs and traces. */
interface FunctionAccess {
  /** Assumes the execution role in target accounts (and nothing else cross-account). */
  readonly targetAccess: boolean;
  /** Reads the organisation's accounts and OUs, and the regions of the admin account. */
  readonly organization?: boolean;
  /** Asks CloudFormation (ValidateTemplate, GetTemplateSummary) about a template in the bucket. */
  readonly templateValidation?: boolean;
  /**
   * Access to the artifact bucket: `templates` reads published templates, `read` reads any
   * object, `readWrite` reads and writes per-rollout objects under rollouts/.
   */
  readonly artifacts?: 'templates' | 'read' | 'readWrite';
  /** Also reads published templates (with `readWrite`: the planner orders targets by the template). */
  readonly readsTemplates?: boolean;
  /** Reads, writes and deletes stack-wait records under stack-waits/ (the stack-event token store). */
  readonly stackWaits?: boolean;
  /** Reads only the per-region "events flowing" markers under stack-waits/_events-flowing/. */
  readonly readsEventsFlowing?: boolean;
  /** Assumes the tamper responder role in target accounts (and no execution role). */
  readonly responder?: boolean;
  /** Records incidents: UpdateItem on the incident table, with its key. */
  readonly recordsIncidents?: boolean;
  /** Publishes to the notification topic, with its key. */
  readonly publishes?: boolean;
  readonly timeout: Duration;
  readonly memorySize: number;
}

/**
 * Least privilege per function, keyed by the registry's ids: adding a function to
 * src/core/functions.ts without deciding its permissions here is a type error.
 */
const functionAccess: Record<LambdaFunctionId, FunctionAccess> = {
  // Also reads the template it deploys (to estimate the create time) with its own identity.
  // With stack events on, also reads whether the region's events reach the admin bus (event-wait.ts).
  'deploy-stack': {
    targetAccess: true,
    artifacts: 'templates',
    readsEventsFlowing: true,
    timeout: Duration.minutes(2),
    memorySize: 512,
  },
  // Reads the same template (once per warm function and version) to project a create's finish.
  'check-stack': {
    targetAccess: true,
    artifacts: 'templates',
    timeout: Duration.minutes(2),
    memorySize: 512,
  },
  // HeadObject on the template version the rollout names, ValidateTemplate/GetTemplateSummary on
  // it (CloudFormation reads the object with the caller's permissions), and the organisation's
  // accounts, OUs and regions the targets are checked against.
  'validate-rollout': {
    targetAccess: false,
    organization: true,
    templateValidation: true,
    artifacts: 'read',
    timeout: Duration.minutes(1),
    memorySize: 512,
  },
  // Asks each account for its enabled regions (as the execution role) when opt-in regions are in play,
  // and reads the template to start the longest-running targets first (found by the IAM-strict sandbox).
  'plan-targets': {
    targetAccess: true,
    organization: true,
    artifacts: 'readWrite',
    readsTemplates: true,
    timeout: Duration.minutes(10),
    memorySize: 1024,
  },
  // The preview-target and drift-target workflows: change sets and drift detection in the
  // target, through the execution role like deploy-stack.
  'preview-changes': { targetAccess: true, timeout: Duration.minutes(2), memorySize: 512 },
  'detect-drift': { targetAccess: true, timeout: Duration.minutes(2), memorySize: 512 },
  'repair-drift': { targetAccess: true, timeout: Duration.minutes(2), memorySize: 512 },
  // Stack events (issue 19): both meet in the token store; both read a failed operation's events
  // in the target (its reason) as the execution role. SendTaskSuccess/Failure on the deploy-target
  // machine is granted by the admin stack once the machine exists (infra/lib/admin-stack.ts).
  'register-stack-wait': {
    targetAccess: true,
    stackWaits: true,
    timeout: Duration.seconds(30),
    memorySize: 256,
  },
  'match-stack-event': {
    targetAccess: true,
    stackWaits: true,
    timeout: Duration.seconds(30),
    memorySize: 256,
  },
  // Reads a finished dependency's outputs in the target (DescribeStacks as the execution role) and
  // reads/writes the small per-stack results lanes of one target share under rollouts/.
  'next-stack': {
    targetAccess: true,
    artifacts: 'readWrite',
    timeout: Duration.minutes(2),
    memorySize: 512,
  },
  'summarize-rollout': {
    targetAccess: false,
    artifacts: 'readWrite',
    timeout: Duration.minutes(10),
    memorySize: 1024,
  },
  // The tamper response: reading the event is pure; restoring and containing act in the target as
  // the responder role; recording writes one item; the alert publishes one message.
  'read-tamper-event': { targetAccess: false, timeout: Duration.seconds(30), memorySize: 256 },
  'restore-logging': { targetAccess: false, responder: true, timeout: Duration.minutes(1), memorySize: 256 },
  'record-incident': {
    targetAccess: false,
    recordsIncidents: true,
    timeout: Duration.seconds(30),
    memorySize: 256,
  },
  'contain-principal': {
    targetAccess: false,
    responder: true,
    timeout: Duration.minutes(1),
    memorySize: 256,
  },
  'alert-tampering': { targetAccess: false, publishes: true, timeout: Duration.seconds(30), memorySize: 256 },
};

export interface RolloutFunctionsProps {
  /** Repository root: function entries in the registry are relative to it. */
  readonly projectRoot: string;
  readonly artifactBucket: s3.IBucket;
  /** Name of the role the target-access functions may assume in member accounts. */
  readonly executionRoleName: string;
  /** Only roles in this organisation may be assumed (aws:ResourceOrgID). */
  readonly organizationId: string;
  /** The incident table the tamper response records into. */
  readonly incidentTable: dynamodb.ITable;
  /** The notification topic and its key (the tamper alert publishes there). */
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  /**
   * Lambda runtime. Node 22 or 24: both run the esbuild bundle (target node22).
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Every Lambda function of the registry (src/core/functions.ts), bundled by the locally installed
 * esbuild (never Docker), each with its own role, log group and X-Ray tracing.
 */
export class RolloutFunctions extends Construct {
  /** Functions by registry id. */
  readonly byId: Record<LambdaFunctionId, lambda.Function>;
  /** Substitution name (e.g. `DeployStackFunctionArn`) to function, from the registry. */
  readonly byPlaceholder: Record<string, lambda.Function>;

  constructor(scope: Construct, id: string, props: RolloutFunctionsProps) {
    super(scope, id);
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_24_X;
    if (runtime.family !== lambda.RuntimeFamily.NODEJS || !/^nodejs(22|24)\.x$/.test(runtime.name)) {
      throw new Error(`runtime must be nodejs22.x or nodejs24.x. Received: ${runtime.name}`);
    }
    const byId = {} as Record<LambdaFunctionId, lambda.Function>;
    this.byPlaceholder = {};

    for (const entry of lambdaFunctions) {
      const access = functionAccess[entry.id] as FunctionAccess | undefined;
      if (!access) {
        throw new Error(
          `Lambda function ${entry.id} has no permissions decided in infra/lib/rollout-functions.ts (functionAccess). Received registry id: ${entry.id}`,
        );
      }
      const entryFile = join(props.projectRoot, entry.entry);
      if (!existsSync(entryFile)) {
        throw new Error(
          `Lambda function ${entry.id}: entry file ${entry.entry} does not exist. Received path: ${entryFile}`,
        );
      }
      const constructId = pascalCase(entry.id);
      const role = new iam.Role(this, `${constructId}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        path: access.targetAccess
          ? TARGET_ACCESS_ROLE_PATH
          : access.responder
            ? TAMPER_RESPONSE_ROLE_PATH
            : ADMIN_ROLE_PATH,
        description: `stackfleet ${entry.id} function`,
      });
      const logGroup = new logs.LogGroup(this, `${constructId}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
      });
      logGroup.grantWrite(role);

      const fn = new nodejs.NodejsFunction(this, constructId, {
        entry: entryFile,
        handler: 'handler',
        projectRoot: props.projectRoot,
        depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
        runtime,
        architecture: lambda.Architecture.ARM_64,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        timeout: access.timeout,
        memorySize: access.memorySize,
        description: `stackfleet ${entry.id}`,
        environment: {
          NODE_OPTIONS: '--enable-source-maps',
          STACKFLEET_ARTIFACT_BUCKET: props.artifactBucket.bucketName,
          ...(access.stackWaits || access.readsEventsFlowing
            ? { [STACK_WAIT_BUCKET_VARIABLE]: props.artifactBucket.bucketName }
            : {}),
        },
        bundling: {
          forceDockerBundling: false,
          target: 'node22',
          format: nodejs.OutputFormat.CJS,
          minify: true,
          sourceMap: true,
          // Ship the SDK versions the tests ran against rather than the runtime's copy.
          externalModules: [],
        },
      });
      grantAccess(fn, role, access, props);
      byId[entry.id] = fn;
      this.byPlaceholder[entry.placeholder] = fn;
    }
    this.byId = byId;
  }
}

function grantAccess(
  fn: lambda.Function,
  role: iam.Role,
  access: FunctionAccess,
  props: RolloutFunctionsProps,
): void {
  const stack = Stack.of(fn);
  acknowledgeNag(
    role,
    'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.',
    'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
  );
  if (access.targetAccess) {
    // The only cross-account permission stackfleet has: the named role, inside the organisation.
    const executionRoleArn = `arn:${stack.partition}:iam::*:role/${props.executionRoleName}`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeExecutionRoleInOrganization',
        actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        resources: [executionRoleArn],
        conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
      }),
    );
    acknowledgeNag(
      role,
      'Targets are any account of the organisation, unknown at deploy time: the account is a wildcard, the role name is fixed and aws:ResourceOrgID keeps it inside the organisation.',
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${props.executionRoleName}]`,
    );
  }
  grantTamperResponse(role, access, props);
  if (access.organization) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOrganizationAndRegions',
        actions: ['organizations:List*', 'organizations:Describe*', 'ec2:DescribeRegions'],
        resources: ['*'],
      }),
    );
    acknowledgeNag(
      role,
      'Read-only: the planner lists accounts and OUs of the whole organisation (not known at deploy time); ec2:DescribeRegions has no resource-level permissions.',
      'AwsSolutions::AwsSolutions-IAM5[Action::organizations:List*]',
      'AwsSolutions::AwsSolutions-IAM5[Action::organizations:Describe*]',
    );
  }
  if (access.templateValidation) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ValidateTemplates',
        actions: ['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary'],
        resources: ['*'],
      }),
    );
    acknowledgeNag(
      role,
      'ValidateTemplate has no resource-level permissions; GetTemplateSummary of a template (not a stack) has no resource either. Both are read-only.',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    );
  }
  const bucket = props.artifactBucket;
  if (access.stackWaits) {
    // Conditional writes and deletes (If-None-Match / If-Match); an ETag-conditional delete also
    // needs s3:GetObject (S3 User Guide, conditional-deletes).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StackWaitRecords',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${ArtifactPrefixes.stackWaits}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListStackWaits',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
    bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeNag(
      role,
      'One record per watched stack operation under stack-waits/, keyed by stack id and token, unknown at deploy time.',
      `AwsSolutions::AwsSolutions-IAM5[Resource::${nagRef(bucket)}/${ArtifactPrefixes.stackWaits}*]`,
    );
  }
  if (access.readsEventsFlowing) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadEventsFlowingMarkers',
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${EVENTS_FLOWING_PREFIX}*`)],
      }),
    );
    bucket.encryptionKey?.grant(role, 'kms:Decrypt');
    acknowledgeNag(
      role,
      'One small marker per region under stack-waits/_events-flowing/; read-only.',
      `AwsSolutions::AwsSolutions-IAM5[Resource::${nagRef(bucket)}/${EVENTS_FLOWING_PREFIX}*]`,
    );
  }
  if (!access.artifacts) return;
  // Unconditional ListBucket on our own bucket: without it S3 answers a missing key with 403
  // instead of 404, and the functions tell "not there yet" from "refused" by that code.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListArtifacts',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  );
  if (access.artifacts === 'templates' || access.artifacts === 'read' || access.readsTemplates) {
    const prefix = access.artifacts === 'read' ? '' : ArtifactPrefixes.templates;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadArtifacts',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    bucket.encryptionKey?.grant(role, 'kms:Decrypt');
    acknowledgeNag(
      role,
      access.artifacts !== 'read'
        ? 'Reads whichever published template version a rollout pins, under templates/; read-only.'
        : 'Rollouts may name any template key and version in the artifact bucket; read-only.',
      `AwsSolutions::AwsSolutions-IAM5[Resource::${nagRef(bucket)}/${prefix}*]`,
    );
  }
  if (access.artifacts === 'readWrite') {
    const rolloutObjects = bucket.arnForObjects(`${ArtifactPrefixes.rollouts}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteRolloutObjects',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [rolloutObjects],
      }),
    );
    bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeNag(
      role,
      'Manifests, results and summaries are keyed by rollout id under rollouts/, unknown at deploy time.',
      `AwsSolutions::AwsSolutions-IAM5[Resource::${nagRef(bucket)}/${ArtifactPrefixes.rollouts}*]`,
    );
  }
}

/** The tamper response's grants: the responder role in the organisation, the table, the topic. */
function grantTamperResponse(role: iam.Role, access: FunctionAccess, props: RolloutFunctionsProps): void {
  const stack = Stack.of(role);
  if (access.responder) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeTamperResponderInOrganization',
        actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        resources: [`arn:${stack.partition}:iam::*:role/${TAMPER_RESPONDER_ROLE_NAME}`],
        conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
      }),
    );
    acknowledgeNag(
      role,
      'Tampering happens in any account of the organisation, unknown at deploy time: the account is a wildcard, the role name is fixed and aws:ResourceOrgID keeps it inside the organisation.',
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${TAMPER_RESPONDER_ROLE_NAME}]`,
    );
  }
  if (access.recordsIncidents) {
    // One conditional UpdateItem per event (src/core/tamper/incident.ts); DynamoDB uses the
    // table's key on the caller's behalf (DynamoDB Developer Guide, encryption.usagenotes).
    props.incidentTable.grant(role, 'dynamodb:UpdateItem');
    props.incidentTable.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
  if (access.publishes) {
    // Not topic.grantPublish: it grants kms:GenerateDataKey* on the key; the alert needs one action.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishTamperAlert',
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
      }),
    );
    props.topicKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
}
