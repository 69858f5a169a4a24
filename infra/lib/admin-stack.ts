import { resolve } from 'node:path';
import {
  CfnOutput,
  CfnParameter,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  TimeZone,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  graphStateMachineFile,
  responseStateMachineFiles,
  TAMPER_RESPONDER_ROLE_NAME,
  targetStateMachineFiles,
} from '../../src/core/functions';
import { CLIENT_REQUEST_TOKEN_PREFIX } from '../../src/core/names';
import type { RolloutMode } from '../../src/core/rollout-input';
import { CONTAINMENT_MODES, type ContainmentMode, parseAllowList } from '../../src/core/tamper/containment';
import { ArtifactPrefixes, ArtifactStore } from './artifact-store';
import { RolloutFunctions } from './rollout-functions';
import { RolloutStateMachines } from './state-machines';
import { addTamperResponseRule, IncidentStore } from './tamper-response';

/** Defaults shared with the CLI's config and the bootstrap template. */
export const AdminDefaults = {
  executionRoleName: 'StackFleetExecution',
  stackName: 'stackfleet-baseline',
  templateKey: `${ArtifactPrefixes.templates}baseline.yaml`,
  driftScheduleExpression: 'rate(1 day)',
  containment: 'repeat-offenders',
} as const;

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;

/** When and how the scheduled drift rollout runs. */
export interface DriftScheduleProps {
  /**
   * Start the schedule enabled. Off by default so a first deploy never touches targets on its own.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * EventBridge Scheduler expression: `rate(...)`, `cron(...)` or `at(...)`.
   * @default 'rate(1 day)'
   */
  readonly expression?: string;
  /**
   * IANA time zone of a cron expression.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * The complete rollout request the schedule starts (src/core/rollout-input.ts `RolloutRequest`);
   * `mode` is forced to `drift`.
   * @default drift-repair of the published baseline (templates/baseline.yaml, latest version) on every
   * account under `organizationRootId`, in every enabled region
   */
  readonly rolloutRequest?: Record<string, unknown>;
}

export interface StackFleetAdminStackProps extends StackProps {
  /**
   * The organisation (o-...). Target roles must belong to it (aws:ResourceOrgID) and only its
   * execution roles may read templates.
   * @default a CloudFormation parameter `OrganizationId`, supplied at deploy time
   */
  readonly organizationId?: string;
  /**
   * Root (r-...) of the organisation; the default drift schedule targets everything below it.
   * @default none: the schedule then needs `driftSchedule.rolloutRequest` before it can be enabled
   */
  readonly organizationRootId?: string;
  /**
   * Name of the execution role in the target accounts (templates/execution-role.yaml `RoleName`).
   * @default 'StackFleetExecution'
   */
  readonly executionRoleName?: string;
  /**
   * ExternalId the execution roles require; used by the scheduled rollout only (the CLI passes its own).
   * @default none
   */
  readonly externalId?: string;
  /** @default the defaults of DriftScheduleProps (disabled, daily) */
  readonly driftSchedule?: DriftScheduleProps;
  /**
   * Address subscribed to rollout summaries and alarms.
   * @default no subscription
   */
  readonly notificationEmail?: string;
  /**
   * Retention of every function's and state machine's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Lambda runtime (Node 22 or 24).
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * Removal policy of buckets, key and log groups. RETAIN keeps audit evidence when the stack goes.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether the tamper response contains the principal behind a tampering event: never, from
   * the second incident of that principal on (the original design), or on every incident.
   * Root, the stackfleet roles and AWS services are never contained.
   * @default 'repeat-offenders'
   */
  readonly containment?: ContainmentMode;
  /**
   * Principal ARN patterns (`*` wildcards) the tamper response never contains, whatever
   * `containment` says: it records and alerts them, naming the entry that matched.
   * @default [] (none)
   */
  readonly containmentAllowList?: readonly string[];
  /**
   * Repository root holding functions/ and statemachines/.
   * @default resolved from this source file, not the working directory
   */
  readonly projectRoot?: string;
}

/**
 * The stackfleet admin account: artifact store, functions, the rollout and per-target state
 * machines (from the same ASL files the local engine runs), notifications, the failure alarm and
 * the drift schedule.
 */
export class StackFleetAdminStack extends Stack {
  readonly artifacts: ArtifactStore;
  readonly topic: sns.Topic;
  readonly functions: RolloutFunctions;
  readonly rolloutStateMachine: sfn.StateMachine;
  /** The per-target state machine of each mode; the rollout starts the one of its mode. */
  readonly targetStateMachines: Readonly<Record<RolloutMode, sfn.StateMachine>>;
  /** The stacks form (issue 17): walks one lane of a target's graph, starting the mode's machine per stack. */
  readonly walkLaneStateMachine: sfn.StateMachine;
  readonly driftSchedule: scheduler.Schedule;
  readonly failedRolloutsAlarm: cloudwatch.Alarm;
  /** The tamper response: incidents (DynamoDB) and the state machine the bus rule starts. */
  readonly incidents: IncidentStore;
  readonly responseStateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: StackFleetAdminStackProps = {}) {
    super(scope, id, props);
    const projectRoot = props.projectRoot ?? resolve(__dirname, '../..');
    const executionRoleName = props.executionRoleName ?? AdminDefaults.executionRoleName;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!/^[\w+=,.@-]{1,64}$/.test(executionRoleName)) {
      throw new Error(
        `executionRoleName must be 1-64 characters of letters, digits and +=,.@_-. Received: ${executionRoleName}`,
      );
    }
    const organizationId = resolveOrganizationId(this, props.organizationId);
    if (props.organizationRootId !== undefined && !ROOT_ID.test(props.organizationRootId)) {
      throw new Error(`organizationRootId must look like r-ab12. Received: ${props.organizationRootId}`);
    }

    this.artifacts = new ArtifactStore(this, 'Artifacts', {
      organizationId,
      executionRoleName,
      removalPolicy,
    });

    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: 'stackfleet rollout summaries',
      masterKey: this.artifacts.key,
      enforceSSL: true,
    });
    if (props.notificationEmail) {
      new sns.Subscription(this, 'NotificationEmail', {
        topic: this.topic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: props.notificationEmail,
      });
    }

    const containment = props.containment ?? AdminDefaults.containment;
    if (!(CONTAINMENT_MODES as readonly string[]).includes(containment)) {
      throw new Error(`containment must be one of ${CONTAINMENT_MODES.join(', ')}. Received: ${containment}`);
    }
    const allowList = parseAllowList(props.containmentAllowList ?? []);
    this.incidents = new IncidentStore(this, 'Incidents', { removalPolicy });

    this.functions = new RolloutFunctions(this, 'Functions', {
      projectRoot,
      artifactBucket: this.artifacts.bucket,
      executionRoleName,
      organizationId,
      incidentTable: this.incidents.table,
      topic: this.topic,
      topicKey: this.artifacts.key,
      ...(props.runtime ? { runtime: props.runtime } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      logRemovalPolicy: removalPolicy,
    });

    const machines = new RolloutStateMachines(this, 'StateMachines', {
      projectRoot,
      functionsByPlaceholder: this.functions.byPlaceholder,
      artifactBucket: this.artifacts.bucket,
      topic: this.topic,
      key: this.artifacts.key,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      logRemovalPolicy: removalPolicy,
      responseValues: {
        IncidentTableName: this.incidents.table.tableName,
        ContainmentMode: containment,
        // Space-separated: ARNs hold no spaces, and the value sits inside a JSON string of the definition.
        ContainmentAllowList: allowList.join(' '),
        ResponderRoleName: TAMPER_RESPONDER_ROLE_NAME,
        BaselineStackName: AdminDefaults.stackName,
        BaselineTemplateKey: AdminDefaults.templateKey,
        ExecutionRoleName: executionRoleName,
      },
    });
    this.rolloutStateMachine = machines.byId.rollout!;
    this.responseStateMachine = machines.byId['respond-to-tampering']!;
    this.targetStateMachines = Object.fromEntries(
      targetStateMachineFiles.map((sm) => [sm.mode, machines.byId[sm.id]!]),
    ) as Record<RolloutMode, sfn.StateMachine>;
    this.walkLaneStateMachine = machines.byId[graphStateMachineFile.id]!;

    this.failedRolloutsAlarm = this.addFailureAlarm();
    this.driftSchedule = this.addDriftSchedule(props, executionRoleName);
    this.addTamperingEventIntake(organizationId);
    this.addStackEventIntake();

    new CfnOutput(this, 'ArtifactBucketName', { value: this.artifacts.bucket.bucketName });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'RolloutStateMachineArn', { value: this.rolloutStateMachine.stateMachineArn });
    // DeployTargetStateMachineArn, PreviewTargetStateMachineArn, DriftTargetStateMachineArn: the CLI reads them.
    for (const sm of targetStateMachineFiles) {
      new CfnOutput(this, sm.placeholder, { value: this.targetStateMachines[sm.mode].stateMachineArn });
    }
    // The stacks form's lane walker (issue 17): the CLI and UI read a graph rollout's lanes through it.
    new CfnOutput(this, graphStateMachineFile.placeholder, {
      value: this.walkLaneStateMachine.stateMachineArn,
    });
    // DeployStackFunctionArn, CheckStackFunctionArn, ...: `rollout --local-engine` runs the state
    // machines on the operator's machine and invokes these functions (as their own roles) through Lambda.
    for (const [placeholder, fn] of Object.entries(this.functions.byPlaceholder)) {
      new CfnOutput(this, placeholder, { value: fn.functionArn });
    }
    new CfnOutput(this, 'DriftScheduleName', { value: this.driftSchedule.scheduleName });
    for (const sm of responseStateMachineFiles) {
      new CfnOutput(this, sm.placeholder, { value: this.responseStateMachine.stateMachineArn });
    }
    new CfnOutput(this, 'IncidentTableName', { value: this.incidents.table.tableName });
  }

  /** Failed or timed-out rollouts page whoever reads the notification topic. */
  private addFailureAlarm(): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    const alarm = new cloudwatch.Alarm(this, 'RolloutFailedAlarm', {
      alarmDescription: 'A stackfleet rollout execution failed, timed out or was aborted.',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.rolloutStateMachine.metricFailed({ period, statistic: 'Sum' }),
          timedOut: this.rolloutStateMachine.metricTimedOut({ period, statistic: 'Sum' }),
          aborted: this.rolloutStateMachine.metricAborted({ period, statistic: 'Sum' }),
        },
        period,
        label: 'Rollouts not succeeded',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
    // The topic has a policy of its own (TLS only, EventBridge), which replaces SNS's default one
    // that let the account's services publish: CloudWatch alarms need a statement of their own
    // (Amazon SNS developer guide, "Amazon SNS access control case examples": CloudWatch alarms
    // publishing to a topic), limited to this alarm.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'FailureAlarmPublishes',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': alarm.alarmArn },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    // CloudWatch publishes to the encrypted topic.
    this.artifacts.key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    return alarm;
  }

  /** EventBridge Scheduler starts the rollout machine in drift mode; disabled unless asked. */
  private addDriftSchedule(props: StackFleetAdminStackProps, executionRoleName: string): scheduler.Schedule {
    const options = props.driftSchedule ?? {};
    const enabled = options.enabled ?? false;
    if (enabled && !options.rolloutRequest && !props.organizationRootId) {
      throw new Error(
        'driftSchedule.enabled is true but the schedule has no targets: set organizationRootId or driftSchedule.rolloutRequest. Received: neither',
      );
    }
    const request: Record<string, unknown> = {
      ...(options.rolloutRequest ??
        defaultDriftRequest({
          bucket: this.artifacts.bucket.bucketName,
          executionRoleName,
          ...(props.externalId ? { externalId: props.externalId } : {}),
          ...(props.organizationRootId ? { organizationRootId: props.organizationRootId } : {}),
        })),
      mode: 'drift',
    };
    const expression = options.expression ?? AdminDefaults.driftScheduleExpression;
    const schedule = new scheduler.Schedule(this, 'DriftSchedule', {
      description:
        'Starts a stackfleet rollout in drift mode (detect and repair drift, converge stragglers).',
      schedule: scheduler.ScheduleExpression.expression(
        expression,
        options.timeZone ? TimeZone.of(options.timeZone) : undefined,
      ),
      target: new schedulerTargets.StepFunctionsStartExecution(this.rolloutStateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject(request),
        retryAttempts: 2,
      }),
      enabled,
    });
    return schedule;
  }

  /**
   * Stack events (issue 19): the targets' baselines forward CloudFormation's Stack Status Change
   * events (CloudFormation User Guide, event-detail-stack-status-change) to this account's default
   * bus, which admits the organisation only (the bus policy of addTamperingEventIntake). A rule
   * sends the final ones of operations stackfleet started to Match stack event, which answers the
   * waiting "Wait for stack event" task. Only the stack-event functions may answer tasks, and only
   * the deploy-target and drift-target machines' (the Step Functions API authorizes SendTask* on the state machine).
   * The grant is a policy of its own: the machine names the register function, whose role policy
   * would otherwise have to exist before the machine it names (a dependency cycle).
   */
  private addStackEventIntake(): void {
    const match = this.functions.byId['match-stack-event'];
    const register = this.functions.byId['register-stack-wait'];
    const rule = new events.Rule(this, 'StackStatusChangesInOrganization', {
      description:
        'Final CloudFormation Stack Status Change events of stackfleet operations (forwarded by the baseline).',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          // Every operation stackfleet starts carries a ClientRequestToken (src/core/names.ts).
          'client-request-token': [{ prefix: CLIENT_REQUEST_TOKEN_PREFIX }],
          // In-progress statuses end in _IN_PROGRESS, but an update's cleanup is already usable.
          'status-details': {
            status: [{ 'anything-but': { suffix: '_IN_PROGRESS' } }, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'],
          },
        },
      },
    });
    rule.addTarget(new eventsTargets.LambdaFunction(match, { retryAttempts: 4 }));
    // Deploy and drift (its convergence) wait for stack events; preview starts no operation.
    const waiting = [this.targetStateMachines.deploy, this.targetStateMachines.drift];
    new iam.Policy(this, 'AnswerStackWaits', {
      roles: [match.role!, register.role!],
      statements: [
        new iam.PolicyStatement({
          sid: 'AnswerDeployTargetTasks',
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: waiting.map((machine) => machine.stateMachineArn),
        }),
      ],
    });
  }

  /**
   * Target baselines forward CloudTrail tampering events to this account's default bus in their
   * home region. Accept them from the organisation only and start the tamper response on each.
   */
  private addTamperingEventIntake(organizationId: string): void {
    new events.CfnEventBusPolicy(this, 'OrganizationPutsSecurityEvents', {
      eventBusName: 'default',
      statementId: `stackfleet-${this.node.addr.slice(0, 8)}`,
      statement: {
        Sid: 'OrganizationForwardsSecurityEvents',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: `arn:${this.partition}:events:${this.region}:${this.account}:event-bus/default`,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
      },
    });
    addTamperResponseRule(this, this.responseStateMachine);
  }
}

/** The default scheduled request: repair drift of the published baseline everywhere. */
export function defaultDriftRequest(options: {
  bucket: string;
  executionRoleName: string;
  externalId?: string;
  organizationRootId?: string;
}): Record<string, unknown> {
  return {
    mode: 'drift',
    repair: true,
    template: { bucket: options.bucket, key: AdminDefaults.templateKey },
    stackName: AdminDefaults.stackName,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    executionRoleName: options.executionRoleName,
    ...(options.externalId ? { externalId: options.externalId } : {}),
    targets: {
      organizationalUnits: options.organizationRootId ? [options.organizationRootId] : [],
      regions: 'ALL_ENABLED',
    },
  };
}

function resolveOrganizationId(stack: Stack, organizationId: string | undefined): string {
  if (organizationId !== undefined) {
    if (!ORGANIZATION_ID.test(organizationId)) {
      throw new Error(`organizationId must look like o-a1b2c3d4e5. Received: ${organizationId}`);
    }
    return organizationId;
  }
  return new CfnParameter(stack, 'OrganizationId', {
    type: 'String',
    allowedPattern: ORGANIZATION_ID.source,
    constraintDescription: 'must be an organization id such as o-a1b2c3d4e5',
    description: 'The AWS Organizations id whose accounts stackfleet deploys to.',
  }).valueAsString;
}
