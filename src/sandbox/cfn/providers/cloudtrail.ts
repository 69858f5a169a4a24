/**
 * AWS::CloudTrail::Trail. Besides IAM (CreateTrail, StartLogging, iam:PassRole of the CloudWatch
 * Logs role to cloudtrail.amazonaws.com), CreateTrail checks, as the CloudTrail service principal,
 * that it can use what the trail names (CloudTrail User Guide):
 * - the bucket (create-s3-bucket-policy-for-cloudtrail): s3:GetBucketAcl on the bucket and
 *   s3:PutObject under AWSLogs/<account>/ with `aws:SourceArn` = the trail ARN, `aws:SourceAccount`
 *   and `s3:x-amz-acl = bucket-owner-full-control`; else InsufficientS3BucketPolicyException
 *   "Incorrect S3 bucket policy is detected for bucket: <name>";
 * - the KMS key (create-kms-key-policy-for-cloudtrail): kms:GenerateDataKey* with the encryption
 *   context `aws:cloudtrail:arn` = the trail ARN, and kms:DescribeKey, which carries no encryption
 *   context (the guide gives DescribeKey a statement of its own); else
 *   InsufficientEncryptionPolicyException "Insufficient permissions to access S3 bucket <b> or KMS
 *   key <k>.";
 * - the CloudWatch Logs role (send-cloudtrail-events-to-cloudwatch-logs): that cloudtrail.amazonaws.com
 *   may assume it, and the guide says this role's trust does not support `aws:SourceArn` or
 *   `aws:SourceAccount`, so CloudTrail sends neither there; else InvalidCloudWatchLogsRoleArnException
 *   "Access denied. Check the trust relationships for your role."; then that the role may
 *   logs:CreateLogStream and logs:PutLogEvents in the group, else
 *   InvalidCloudWatchLogsLogGroupArnException "Access denied. Check the permissions for your role."
 * The messages are the ones AWS users report (aws/aws-cdk#27168, #23391, aws/aws-cli#5098,
 * cloudposse/terraform-aws-cloudtrail-cloudwatch-alarms#2); the handler wraps them as
 * "Invalid request provided: ..." with HandlerErrorCode InvalidRequest (aws/aws-cdk#27168).
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import { decide } from '../../iam/authorize';
import { servicePrincipal } from '../../iam/principal';
import { cloudTrailSection, type TrailRecord } from '../../services/cloudtrail/state';
import { type HandlerFailure, passRole, type ResourceProvider, str, tagContext } from './types';

export const CLOUDTRAIL_SERVICE = 'cloudtrail.amazonaws.com';

function trailArn(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudtrail:${region}:${accountId}:trail/${name}`;
}

function invalid(message: string): HandlerFailure {
  return {
    message,
    service: 'CloudTrail',
    status: 400,
    handlerErrorCode: 'InvalidRequest',
    prefix: 'Invalid request provided: ',
  };
}

export const trailProvider: ResourceProvider = {
  type: 'AWS::CloudTrail::Trail',
  service: 'CloudTrail',
  deniedStatus: 400,
  calls(phase, props, ref) {
    const arn = trailArn(ref.region, ref.accountId, ref.physicalId);
    if (phase === 'delete') return [{ action: 'cloudtrail:DeleteTrail', resource: arn }];
    const tags = tagContext(props.Tags);
    const specs: AuthorizationSpec[] = [
      {
        action: phase === 'create' ? 'cloudtrail:CreateTrail' : 'cloudtrail:UpdateTrail',
        resource: arn,
        context: tags,
      },
    ];
    if (Object.keys(tags).length > 0)
      specs.push({ action: 'cloudtrail:AddTags', resource: arn, context: tags });
    if (props.EventSelectors !== undefined || props.AdvancedEventSelectors !== undefined)
      specs.push({ action: 'cloudtrail:PutEventSelectors', resource: arn });
    if (props.IsLogging === true || props.IsLogging === 'true')
      specs.push({ action: 'cloudtrail:StartLogging', resource: arn });
    specs.push(...passRole(str(props.CloudWatchLogsRoleArn), CLOUDTRAIL_SERVICE));
    return specs;
  },
  rules(phase, props, ref, view) {
    if (phase === 'delete') return undefined;
    const arn = trailArn(ref.region, ref.accountId, ref.physicalId);
    const cloudtrail = servicePrincipal(CLOUDTRAIL_SERVICE);
    const facts = { region: ref.region, now: ref.now };
    const source = { 'aws:SourceArn': arn, 'aws:SourceAccount': ref.accountId };
    const allowed = (spec: AuthorizationSpec) =>
      decide(ref.world, cloudtrail, spec, facts).decision.effect === 'Allow';
    const bucketName = str(props.S3BucketName) ?? '';
    const bucket = view.bucket(bucketName);
    if (!bucket) return invalid(`S3 bucket ${bucketName} does not exist.`);
    const prefix = str(props.S3KeyPrefix);
    const onBucket = {
      resourceAccountId: bucket.owner,
      ...(bucket.policy !== undefined ? { resourcePolicy: bucket.policy } : {}),
      resourcePolicyMode: 'standard' as const,
    };
    const bucketOk =
      allowed({
        action: 's3:GetBucketAcl',
        resource: `arn:aws:s3:::${bucketName}`,
        ...onBucket,
        context: source,
      }) &&
      allowed({
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${bucketName}/${prefix ? `${prefix}/` : ''}AWSLogs/${ref.accountId}/CloudTrail/${ref.region}/`,
        ...onBucket,
        context: { ...source, 's3:x-amz-acl': 'bucket-owner-full-control' },
      });
    if (!bucketOk) return invalid(`Incorrect S3 bucket policy is detected for bucket: ${bucketName}`);
    const keyRef = str(props.KMSKeyId);
    if (keyRef) {
      const key = view.key(keyRef);
      const onKey = key
        ? {
            resource: key.arn,
            resourceAccountId: key.accountId,
            resourcePolicy: key.policy,
            resourcePolicyMode: 'kms' as const,
          }
        : undefined;
      const keyOk =
        onKey !== undefined &&
        allowed({
          action: 'kms:GenerateDataKey',
          ...onKey,
          context: {
            ...source,
            'kms:EncryptionContext:aws:cloudtrail:arn': arn,
            'kms:EncryptionContextKeys': ['aws:cloudtrail:arn'],
          },
        }) &&
        allowed({ action: 'kms:DescribeKey', ...onKey, context: source });
      if (!keyOk)
        return invalid(
          `Insufficient permissions to access S3 bucket ${bucketName} or KMS key ${key?.arn ?? keyRef}.`,
        );
    }
    const roleArn = str(props.CloudWatchLogsRoleArn);
    const groupArn = str(props.CloudWatchLogsLogGroupArn);
    if (roleArn && groupArn) {
      const role = view.role(roleArn);
      // No aws:SourceArn / aws:SourceAccount here: the CloudWatch Logs role does not support them.
      const trusted =
        role !== undefined &&
        decide(
          ref.world,
          cloudtrail,
          {
            action: 'sts:AssumeRole',
            resource: roleArn,
            resourceAccountId: role.accountId,
            resourcePolicy: role.trustPolicy,
            resourcePolicyMode: 'role-trust',
          },
          facts,
        ).decision.effect === 'Allow';
      if (!trusted || !role) return invalid('Access denied. Check the trust relationships for your role.');
      const stream = `${groupArn.replace(/:\*$/, '')}:log-stream:${ref.accountId}_CloudTrail_${ref.region}`;
      const writes = ['logs:CreateLogStream', 'logs:PutLogEvents'].every(
        (action) =>
          decide(ref.world, role.session, { action, resource: stream }, facts).decision.effect === 'Allow',
      );
      if (!writes) return invalid('Access denied. Check the permissions for your role.');
    }
    return undefined;
  },
  apply(props, ref) {
    const arn = trailArn(ref.region, ref.accountId, ref.physicalId);
    const trails = cloudTrailSection(ref.world).trails;
    const previous = trails[arn];
    const flag = (v: unknown, fallback: boolean) => (v === undefined ? fallback : v === true || v === 'true');
    const isLogging = flag(props.IsLogging, false);
    const trail: TrailRecord = {
      name: ref.physicalId,
      arn,
      accountId: ref.accountId,
      homeRegion: ref.region,
      isMultiRegion: flag(props.IsMultiRegionTrail, false),
      includeGlobalServiceEvents: flag(props.IncludeGlobalServiceEvents, true),
      logFileValidation: flag(props.EnableLogFileValidation, false),
      s3BucketName: str(props.S3BucketName) ?? '',
      isLogging,
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
    };
    for (const [field, prop] of [
      ['s3KeyPrefix', 'S3KeyPrefix'],
      ['kmsKeyId', 'KMSKeyId'],
      ['cloudWatchLogsLogGroupArn', 'CloudWatchLogsLogGroupArn'],
      ['cloudWatchLogsRoleArn', 'CloudWatchLogsRoleArn'],
    ] as const) {
      const value = str(props[prop]);
      if (value) trail[field] = value;
    }
    if (props.EventSelectors !== undefined) trail.eventSelectors = JSON.stringify(props.EventSelectors);
    // IsLogging is applied with StartLogging/StopLogging: the time stays when it does not change.
    if (isLogging) trail.startLoggingTime = previous?.isLogging ? previous.startLoggingTime : ref.now;
    else if (previous?.isLogging) trail.stopLoggingTime = ref.now;
    trails[arn] = trail;
  },
  remove(_props, ref) {
    delete cloudTrailSection(ref.world).trails[trailArn(ref.region, ref.accountId, ref.physicalId)];
  },
  reads(_props, ref) {
    const arn = trailArn(ref.region, ref.accountId, ref.physicalId);
    return [
      { action: 'cloudtrail:GetTrail', resource: arn },
      { action: 'cloudtrail:GetTrailStatus', resource: arn },
      { action: 'cloudtrail:GetEventSelectors', resource: arn },
    ];
  },
};
