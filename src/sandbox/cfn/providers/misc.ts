/**
 * Resource types whose handlers make one create and one delete call, plus iam:PassRole where the
 * resource hands a role to its service: CloudWatch Logs groups, AWS Config, CloudWatch alarms,
 * GuardDuty detectors, EventBridge Scheduler schedules (scheduler.amazonaws.com). Lambda functions
 * and Step Functions state machines (which also take effect in the sandbox) are in compute.ts.
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import { decide } from '../../iam/authorize';
import { servicePrincipal } from '../../iam/principal';
import { cloudTrailSection, recorderKey } from '../../services/cloudtrail/state';
import { passRole, type ResourceProvider, str, tagContext } from './types';

function simple(
  type: string,
  service: string,
  deniedStatus: number,
  arnOf: (ref: { accountId: string; region: string; physicalId: string }) => string,
  actions: { create: string; update: string; delete: string; read?: string[] },
  extra?: (props: Record<string, unknown>) => AuthorizationSpec[],
): ResourceProvider {
  return {
    type,
    service,
    deniedStatus,
    calls(phase, props, ref) {
      const resource = arnOf(ref);
      if (phase === 'delete') return [{ action: actions.delete, resource }];
      return [
        {
          action: phase === 'create' ? actions.create : actions.update,
          resource,
          context: tagContext(props.Tags),
        },
        ...(extra ? extra(props) : []),
      ];
    },
    reads(_props, ref) {
      return (actions.read ?? []).map((action) => ({ action, resource: arnOf(ref) }));
    },
  };
}

export const logGroupProvider: ResourceProvider = {
  type: 'AWS::Logs::LogGroup',
  service: 'CloudWatchLogs',
  deniedStatus: 400,
  calls(phase, props, ref) {
    const arn = `arn:aws:logs:${ref.region}:${ref.accountId}:log-group:${ref.physicalId}:*`;
    if (phase === 'delete') return [{ action: 'logs:DeleteLogGroup', resource: arn }];
    const specs: AuthorizationSpec[] = [];
    if (phase === 'create')
      specs.push({ action: 'logs:CreateLogGroup', resource: arn, context: tagContext(props.Tags) });
    if (props.RetentionInDays !== undefined) specs.push({ action: 'logs:PutRetentionPolicy', resource: arn });
    if (phase === 'update' && str(props.KmsKeyId))
      specs.push({ action: 'logs:AssociateKmsKey', resource: arn });
    return specs;
  },
  /**
   * A group encrypted with a customer managed key: CloudWatch Logs uses the key as
   * `logs.<region>.amazonaws.com` with the encryption context `aws:logs:arn` = the group's ARN, so
   * the key policy must allow that (CloudWatch Logs User Guide, encrypt-log-data-kms); otherwise
   * AccessDeniedException "The specified KMS key does not exist or is not allowed to be used with
   * Arn '<group ARN>'" (the text AWS users report, hashicorp/terraform-provider-aws#29282).
   */
  rules(phase, props, ref, view) {
    const keyRef = str(props.KmsKeyId);
    if (phase === 'delete' || !keyRef) return undefined;
    const groupArn = `arn:aws:logs:${ref.region}:${ref.accountId}:log-group:${ref.physicalId}`;
    const key = view.key(keyRef);
    const allowed =
      key !== undefined &&
      decide(
        ref.world,
        servicePrincipal(`logs.${ref.region}.amazonaws.com`),
        {
          action: 'kms:GenerateDataKey',
          resource: key.arn,
          resourceAccountId: key.accountId,
          resourcePolicy: key.policy,
          resourcePolicyMode: 'kms',
          context: {
            'kms:EncryptionContext:aws:logs:arn': groupArn,
            'kms:EncryptionContextKeys': ['aws:logs:arn'],
          },
        },
        { region: ref.region, now: ref.now },
      ).decision.effect === 'Allow';
    if (allowed) return undefined;
    return {
      message: `The specified KMS key does not exist or is not allowed to be used with Arn '${groupArn}'`,
      service: 'CloudWatchLogs',
      status: 400,
      handlerErrorCode: 'AccessDenied',
    };
  },
  reads(_props, ref) {
    return [
      {
        action: 'logs:DescribeLogGroups',
        resource: `arn:aws:logs:${ref.region}:${ref.accountId}:log-group:*`,
      },
    ];
  },
};

const configRecorderCalls = simple(
  'AWS::Config::ConfigurationRecorder',
  'Config',
  400,
  // The ConfigurationRecorder resource type of the Service Authorization Reference (AWS Config):
  // arn:${Partition}:config:${Region}:${Account}:configuration-recorder/${RecorderName}/${RecorderId}.
  (r) => `arn:aws:config:${r.region}:${r.accountId}:configuration-recorder/${r.physicalId}/${recorderId(r)}`,
  {
    create: 'config:PutConfigurationRecorder',
    update: 'config:PutConfigurationRecorder',
    delete: 'config:DeleteConfigurationRecorder',
    read: ['config:DescribeConfigurationRecorders'],
  },
  (props) => passRole(str(props.RoleARN), 'config.amazonaws.com'),
);

/** The recorder lands in the Config state the API reads (src/sandbox/services/cloudtrail/state.ts). */
export const configRecorderProvider: ResourceProvider = {
  ...configRecorderCalls,
  apply(props, ref) {
    const section = cloudTrailSection(ref.world);
    const key = recorderKey(ref.accountId, ref.region, ref.physicalId);
    section.recorders[key] = {
      name: ref.physicalId,
      accountId: ref.accountId,
      region: ref.region,
      roleArn: str(props.RoleARN) ?? '',
      // CloudFormation starts the recorder once the delivery channel exists (AWS::Config::ConfigurationRecorder).
      recording: section.recorders[key]?.recording ?? true,
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    };
  },
  remove(_props, ref) {
    delete cloudTrailSection(ref.world).recorders[recorderKey(ref.accountId, ref.region, ref.physicalId)];
  },
};

/** A recorder's id: stable per account, region and name (AWS assigns one at creation). */
export function recorderId(r: { accountId: string; region: string; physicalId: string }): string {
  let h = 0;
  for (const c of `${r.accountId}/${r.region}/${r.physicalId}`)
    h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(8, '0').slice(0, 8);
}

export const deliveryChannelProvider: ResourceProvider = {
  ...simple('AWS::Config::DeliveryChannel', 'Config', 400, () => '*', {
    create: 'config:PutDeliveryChannel',
    update: 'config:PutDeliveryChannel',
    delete: 'config:DeleteDeliveryChannel',
    read: ['config:DescribeDeliveryChannels'],
  }),
  apply(props, ref) {
    cloudTrailSection(ref.world).channels[recorderKey(ref.accountId, ref.region, ref.physicalId)] = {
      name: ref.physicalId,
      accountId: ref.accountId,
      region: ref.region,
      s3BucketName: str(props.S3BucketName) ?? '',
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    };
  },
  remove(_props, ref) {
    delete cloudTrailSection(ref.world).channels[recorderKey(ref.accountId, ref.region, ref.physicalId)];
  },
};

export const configRuleProvider = simple(
  'AWS::Config::ConfigRule',
  'Config',
  400,
  (r) => `arn:aws:config:${r.region}:${r.accountId}:config-rule/${r.physicalId}`,
  {
    create: 'config:PutConfigRule',
    update: 'config:PutConfigRule',
    delete: 'config:DeleteConfigRule',
    read: ['config:DescribeConfigRules'],
  },
);

export const alarmProvider = simple(
  'AWS::CloudWatch::Alarm',
  'CloudWatch',
  403,
  (r) => `arn:aws:cloudwatch:${r.region}:${r.accountId}:alarm:${r.physicalId}`,
  {
    create: 'cloudwatch:PutMetricAlarm',
    update: 'cloudwatch:PutMetricAlarm',
    delete: 'cloudwatch:DeleteAlarms',
    read: ['cloudwatch:DescribeAlarms'],
  },
);

export const detectorProvider = simple(
  'AWS::GuardDuty::Detector',
  'GuardDuty',
  403,
  (r) => `arn:aws:guardduty:${r.region}:${r.accountId}:detector/${r.physicalId}`,
  {
    create: 'guardduty:CreateDetector',
    update: 'guardduty:UpdateDetector',
    delete: 'guardduty:DeleteDetector',
    read: ['guardduty:GetDetector'],
  },
);

export const scheduleProvider = simple(
  'AWS::Scheduler::Schedule',
  'Scheduler',
  400,
  (r) => `arn:aws:scheduler:${r.region}:${r.accountId}:schedule/default/${r.physicalId}`,
  {
    create: 'scheduler:CreateSchedule',
    update: 'scheduler:UpdateSchedule',
    delete: 'scheduler:DeleteSchedule',
    read: ['scheduler:GetSchedule'],
  },
  (props) =>
    passRole(str((props.Target as Record<string, unknown> | undefined)?.RoleArn), 'scheduler.amazonaws.com'),
);
