/**
 * CloudTrail trails and Config recorders of the sandbox, per account: what the CloudFormation
 * providers create (AWS::CloudTrail::Trail, AWS::Config::ConfigurationRecorder/DeliveryChannel)
 * and what the CloudTrail and Config APIs change (StopLogging, DeleteTrail, StopConfigurationRecorder
 * ...). A trail is created in one region (its home region); a multi-region trail shows in every
 * region as a shadow trail and records calls made in any of them.
 */
import type { SandboxWorld } from '../../types';

export const CLOUDTRAIL_SECTION = 'cloudtrail';

export interface TrailRecord {
  name: string;
  arn: string;
  accountId: string;
  homeRegion: string;
  isMultiRegion: boolean;
  includeGlobalServiceEvents: boolean;
  logFileValidation: boolean;
  s3BucketName: string;
  s3KeyPrefix?: string;
  kmsKeyId?: string;
  cloudWatchLogsLogGroupArn?: string;
  cloudWatchLogsRoleArn?: string;
  isLogging: boolean;
  /** Virtual ms of the last StartLogging / StopLogging. */
  startLoggingTime?: number;
  stopLoggingTime?: number;
  /** JSON text of the event selectors (PutEventSelectors), if set. */
  eventSelectors?: string;
  /** Insights types turned on (PutInsightSelectors); absent or empty: Insights off. */
  insightSelectors?: Array<{ InsightType: string }>;
  managedBy?: { stackId: string; logicalId: string };
}

export interface RecorderRecord {
  name: string;
  accountId: string;
  region: string;
  roleArn: string;
  recording: boolean;
  lastStartTime?: number;
  lastStopTime?: number;
  managedBy?: { stackId: string; logicalId: string };
}

export interface DeliveryChannelRecord {
  name: string;
  accountId: string;
  region: string;
  s3BucketName: string;
  managedBy?: { stackId: string; logicalId: string };
}

export interface CloudTrailSection {
  version: 1;
  /** By trail ARN. */
  trails: Record<string, TrailRecord>;
  /** By `account/region/name`. */
  recorders: Record<string, RecorderRecord>;
  channels: Record<string, DeliveryChannelRecord>;
}

export function cloudTrailSection(world: Pick<SandboxWorld, 'section'>): CloudTrailSection {
  return world.section<CloudTrailSection>(CLOUDTRAIL_SECTION, () => ({
    version: 1,
    trails: {},
    recorders: {},
    channels: {},
  }));
}

export function trailArnOf(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudtrail:${region}:${accountId}:trail/${name}`;
}

/**
 * The trail a `Name` parameter means in a region: an ARN, or a name of the account's trail created
 * in that region or shown there (a multi-region trail's shadow).
 */
export function findTrail(
  world: Pick<SandboxWorld, 'section'>,
  ref: string,
  accountId: string,
  region: string,
): TrailRecord | undefined {
  const trails = cloudTrailSection(world).trails;
  if (ref.startsWith('arn:')) return Object.hasOwn(trails, ref) ? trails[ref] : undefined;
  return Object.values(trails).find(
    (t) => t.accountId === accountId && t.name === ref && (t.homeRegion === region || t.isMultiRegion),
  );
}

/** Trails of an account that record calls made in `region` and are logging now. */
export function loggingTrailsFor(
  world: Pick<SandboxWorld, 'section'>,
  accountId: string,
  region: string,
): TrailRecord[] {
  return Object.values(cloudTrailSection(world).trails).filter(
    (t) => t.accountId === accountId && t.isLogging && (t.isMultiRegion || t.homeRegion === region),
  );
}

export function recorderKey(accountId: string, region: string, name: string): string {
  return `${accountId}/${region}/${name}`;
}
