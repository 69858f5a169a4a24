/**
 * The CloudTrail API of the sandbox (awsJson 1.1; CloudTrail API Reference): GetTrailStatus,
 * StartLogging, StopLogging, DeleteTrail, DescribeTrails, GetTrail, UpdateTrail,
 * PutEventSelectors, GetEventSelectors, PutInsightSelectors and GetInsightSelectors
 * (insight-selectors.ts). Trails are created by CloudFormation
 * (src/sandbox/cfn/providers/cloudtrail.ts). Calls that change a trail are recorded
 * (record.ts) and so reach EventBridge. StartLogging, StopLogging, UpdateTrail, DeleteTrail and
 * PutEventSelectors "must be called from the Region in which the trail was created"
 * (InvalidHomeRegionException), as the API Reference says of each.
 */
import { markDrifted } from '../../cfn/faults';
import { AwsError, type ServiceEmulator } from '../../types';
import { insightSelectorOperations } from './insight-selectors';
import { recordApiCall } from './record';
import { cloudTrailSection, type TrailRecord } from './state';
import { inHomeRegion, nameOf, trailOf } from './trail-lookup';

export const CLOUDTRAIL_TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101';
/**
 * The botocore model's targetPrefix is the long one above (the AWS CLI sends it); the SDK for
 * JavaScript v3 sends the service shape's name, `CloudTrail_20131101.<Operation>`
 * (@aws-sdk/client-cloudtrail `serviceTarget`). CloudTrail answers both.
 */
export const CLOUDTRAIL_TARGET_ALIASES = ['CloudTrail_20131101'] as const;

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

function describeTrail(trail: TrailRecord) {
  return {
    Name: trail.name,
    TrailARN: trail.arn,
    S3BucketName: trail.s3BucketName,
    S3KeyPrefix: trail.s3KeyPrefix,
    IncludeGlobalServiceEvents: trail.includeGlobalServiceEvents,
    IsMultiRegionTrail: trail.isMultiRegion,
    HomeRegion: trail.homeRegion,
    LogFileValidationEnabled: trail.logFileValidation,
    CloudWatchLogsLogGroupArn: trail.cloudWatchLogsLogGroupArn,
    CloudWatchLogsRoleArn: trail.cloudWatchLogsRoleArn,
    KmsKeyId: trail.kmsKeyId,
    HasCustomEventSelectors: trail.eventSelectors !== undefined,
    HasInsightSelectors: (trail.insightSelectors ?? []).length > 0,
    IsOrganizationTrail: false,
  };
}

const SOURCE = 'cloudtrail.amazonaws.com';

export function createCloudTrailService(): ServiceEmulator {
  return {
    signingName: 'cloudtrail',
    protocol: 'json',
    targetPrefix: CLOUDTRAIL_TARGET_PREFIX,
    targetPrefixAliases: CLOUDTRAIL_TARGET_ALIASES,
    operations: {
      ...insightSelectorOperations,
      GetTrailStatus(params, ctx) {
        const trail = trailOf(ctx, params);
        return {
          IsLogging: trail.isLogging,
          StartLoggingTime: date(trail.startLoggingTime),
          StopLoggingTime: date(trail.stopLoggingTime),
          TimeLoggingStarted: trail.startLoggingTime
            ? new Date(trail.startLoggingTime).toISOString()
            : undefined,
          TimeLoggingStopped: trail.stopLoggingTime
            ? new Date(trail.stopLoggingTime).toISOString()
            : undefined,
        };
      },
      StartLogging(params, ctx) {
        const trail = trailOf(ctx, params);
        inHomeRegion(ctx, trail, 'StartLogging');
        trail.isLogging = true;
        trail.startLoggingTime = ctx.now();
        // Recorded once logging is on again (no trail was logging the call otherwise).
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'StartLogging',
          requestParameters: { name: nameOf(params) },
        });
        return {};
      },
      StopLogging(params, ctx) {
        const trail = trailOf(ctx, params);
        inHomeRegion(ctx, trail, 'StopLogging');
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'StopLogging',
          requestParameters: { name: nameOf(params) },
        });
        trail.isLogging = false;
        trail.stopLoggingTime = ctx.now();
        return {};
      },
      DeleteTrail(params, ctx) {
        const trail = trailOf(ctx, params);
        inHomeRegion(ctx, trail, 'DeleteTrail');
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'DeleteTrail',
          requestParameters: { name: nameOf(params) },
        });
        delete cloudTrailSection(ctx.world).trails[trail.arn];
        // A trail a stack made is now missing from it: drift detection reports it DELETED
        // (CloudFormation User Guide, using-cfn-stack-drift: "DELETED: the resource has been
        // deleted"), and a REVERT_DRIFT change set brings it back.
        if (trail.managedBy) {
          try {
            markDrifted(
              ctx.world,
              trail.accountId,
              trail.homeRegion,
              trail.managedBy.stackId,
              trail.managedBy.logicalId,
              {
                deleted: true,
                actual: 'null',
              },
            );
          } catch {
            // The stack itself is gone: nothing to mark.
          }
        }
        return {};
      },
      DescribeTrails(params, ctx) {
        const names = Array.isArray(params.trailNameList) ? params.trailNameList.map(String) : undefined;
        const shadows = params.includeShadowTrails !== false;
        const trails = Object.values(cloudTrailSection(ctx.world).trails).filter(
          (t) =>
            t.accountId === ctx.caller.accountId &&
            (t.homeRegion === ctx.region || (shadows && t.isMultiRegion)) &&
            (names === undefined || names.includes(t.name) || names.includes(t.arn)),
        );
        return { trailList: trails.map(describeTrail) };
      },
      GetTrail(params, ctx) {
        return { Trail: describeTrail(trailOf(ctx, params)) };
      },
      UpdateTrail(params, ctx) {
        const trail = trailOf(ctx, params);
        inHomeRegion(ctx, trail, 'UpdateTrail');
        const { Name: _n, ...changes } = params;
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'UpdateTrail',
          requestParameters: { name: nameOf(params), ...changes },
        });
        if (typeof params.S3BucketName === 'string') trail.s3BucketName = params.S3BucketName;
        if (typeof params.S3KeyPrefix === 'string') trail.s3KeyPrefix = params.S3KeyPrefix;
        if (typeof params.IsMultiRegionTrail === 'boolean') trail.isMultiRegion = params.IsMultiRegionTrail;
        if (typeof params.IncludeGlobalServiceEvents === 'boolean')
          trail.includeGlobalServiceEvents = params.IncludeGlobalServiceEvents;
        if (typeof params.EnableLogFileValidation === 'boolean')
          trail.logFileValidation = params.EnableLogFileValidation;
        if (typeof params.KmsKeyId === 'string') {
          if (params.KmsKeyId === '') delete trail.kmsKeyId;
          else trail.kmsKeyId = params.KmsKeyId;
        }
        if (typeof params.CloudWatchLogsLogGroupArn === 'string')
          trail.cloudWatchLogsLogGroupArn = params.CloudWatchLogsLogGroupArn;
        if (typeof params.CloudWatchLogsRoleArn === 'string')
          trail.cloudWatchLogsRoleArn = params.CloudWatchLogsRoleArn;
        return describeTrail(trail);
      },
      PutEventSelectors(params, ctx) {
        const trail = trailOf(ctx, params, 'TrailName');
        inHomeRegion(ctx, trail, 'PutEventSelectors');
        if (params.EventSelectors === undefined && params.AdvancedEventSelectors === undefined)
          throw new AwsError(
            'InvalidEventSelectorsException',
            'EventSelectors or AdvancedEventSelectors must be given.',
          );
        if (params.EventSelectors !== undefined && params.AdvancedEventSelectors !== undefined)
          throw new AwsError(
            'InvalidEventSelectorsException',
            'EventSelectors and AdvancedEventSelectors cannot both be given.',
          );
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'PutEventSelectors',
          requestParameters: {
            trailName: nameOf(params, 'TrailName'),
            ...(params.EventSelectors !== undefined ? { eventSelectors: params.EventSelectors } : {}),
            ...(params.AdvancedEventSelectors !== undefined
              ? { advancedEventSelectors: params.AdvancedEventSelectors }
              : {}),
          },
        });
        trail.eventSelectors = JSON.stringify(params.EventSelectors ?? params.AdvancedEventSelectors);
        return {
          TrailARN: trail.arn,
          EventSelectors: params.EventSelectors,
          AdvancedEventSelectors: params.AdvancedEventSelectors,
        };
      },
      GetEventSelectors(params, ctx) {
        const trail = trailOf(ctx, params, 'TrailName');
        const selectors = trail.eventSelectors
          ? (JSON.parse(trail.eventSelectors) as unknown)
          : [
              {
                ReadWriteType: 'All',
                IncludeManagementEvents: true,
                DataResources: [],
                ExcludeManagementEventSources: [],
              },
            ];
        return { TrailARN: trail.arn, EventSelectors: selectors };
      },
    },
  };
}
