/**
 * The AWS Config recorder calls of the sandbox (awsJson 1.1, `StarlingDoveService.*`; AWS Config
 * API Reference): PutConfigurationRecorder, Start/StopConfigurationRecorder,
 * DeleteConfigurationRecorder, DeleteDeliveryChannel, DescribeConfigurationRecorders,
 * DescribeConfigurationRecorderStatus and DescribeDeliveryChannels, on the recorders CloudFormation creates (state.ts). One
 * recorder per account and region (MaxNumberOfConfigurationRecordersExceededException); starting
 * needs a delivery channel (NoAvailableDeliveryChannelException); a channel cannot be deleted while
 * the recorder runs (LastDeliveryChannelDeleteFailedException). Changes are recorded (record.ts).
 */
import { markDrifted } from '../../cfn/faults';
import { AwsError, type OperationContext, type SandboxWorld, type ServiceEmulator } from '../../types';
import { recordApiCall } from './record';
import { cloudTrailSection, type RecorderRecord, recorderKey } from './state';

const SOURCE = 'config.amazonaws.com';

/**
 * A recorder or channel a stack made is now missing from it: drift detection reports it DELETED
 * (CloudFormation User Guide, using-cfn-stack-drift: "DELETED: the resource has been deleted"),
 * and a REVERT_DRIFT change set brings it back, as for a deleted trail.
 */
function markDeleted(
  world: SandboxWorld,
  record: { accountId: string; region: string; managedBy?: { stackId: string; logicalId: string } },
): void {
  if (!record.managedBy) return;
  try {
    markDrifted(
      world,
      record.accountId,
      record.region,
      record.managedBy.stackId,
      record.managedBy.logicalId,
      {
        deleted: true,
        actual: 'null',
      },
    );
  } catch {
    // The stack itself is gone: nothing to mark.
  }
}

function recordersOf(ctx: OperationContext): RecorderRecord[] {
  return Object.values(cloudTrailSection(ctx.world).recorders).filter(
    (r) => r.accountId === ctx.caller.accountId && r.region === ctx.region,
  );
}

function recorderOf(ctx: OperationContext, params: Record<string, unknown>): RecorderRecord {
  const name = params.ConfigurationRecorderName;
  if (typeof name !== 'string' || name === '')
    throw new AwsError(
      'ValidationException',
      `ConfigurationRecorderName is required. Received: ${String(name)}`,
    );
  const recorder = cloudTrailSection(ctx.world).recorders[
    recorderKey(ctx.caller.accountId, ctx.region, name)
  ];
  if (!recorder) throw missingRecorder(name);
  return recorder;
}

function channelsOf(ctx: OperationContext) {
  return Object.values(cloudTrailSection(ctx.world).channels).filter(
    (c) => c.accountId === ctx.caller.accountId && c.region === ctx.region,
  );
}

const missingRecorder = (name: string) =>
  new AwsError(
    'NoSuchConfigurationRecorderException',
    `Cannot find configuration recorder with the specified name '${name}'.`,
  );
const missingChannel = (name: string) =>
  new AwsError(
    'NoSuchDeliveryChannelException',
    `Cannot find delivery channel with specified name '${name}'.`,
  );

/**
 * What a Describe* call of Config returns: every record of the region without names, else the
 * named ones, and the first name that matches none is refused with the service's NoSuch* error
 * (DescribeConfigurationRecorders, DescribeConfigurationRecorderStatus, DescribeDeliveryChannels).
 */
function named<T extends { name: string }>(
  records: T[],
  names: unknown,
  missing: (name: string) => AwsError,
): T[] {
  if (!Array.isArray(names)) return records;
  const wanted = names.map(String);
  const unknown = wanted.find((n) => !records.some((r) => r.name === n));
  if (unknown !== undefined) throw missing(unknown);
  return records.filter((r) => wanted.includes(r.name));
}

export function createConfigService(): ServiceEmulator {
  return {
    signingName: 'config',
    protocol: 'json',
    targetPrefix: 'StarlingDoveService',
    operations: {
      PutConfigurationRecorder(params, ctx) {
        const input = (params.ConfigurationRecorder ?? {}) as Record<string, unknown>;
        const name = typeof input.name === 'string' && input.name !== '' ? input.name : 'default';
        const roleArn = input.roleARN;
        if (typeof roleArn !== 'string' || !roleArn.startsWith('arn:'))
          throw new AwsError(
            'InvalidRoleException',
            `roleARN must be an IAM role ARN. Received: ${String(roleArn)}`,
          );
        const existing = recordersOf(ctx);
        if (existing.length > 0 && !existing.some((r) => r.name === name))
          throw new AwsError(
            'MaxNumberOfConfigurationRecordersExceededException',
            `Failed to put configuration recorder '${name}' because the maximum number of configuration recorders: 1 is reached.`,
          );
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'PutConfigurationRecorder',
          requestParameters: { configurationRecorder: input },
        });
        const key = recorderKey(ctx.caller.accountId, ctx.region, name);
        const section = cloudTrailSection(ctx.world);
        const previous = section.recorders[key];
        section.recorders[key] = {
          name,
          accountId: ctx.caller.accountId,
          region: ctx.region,
          roleArn,
          recording: previous?.recording ?? false,
        };
        return {};
      },
      StartConfigurationRecorder(params, ctx) {
        const recorder = recorderOf(ctx, params);
        if (channelsOf(ctx).length === 0)
          throw new AwsError(
            'NoAvailableDeliveryChannelException',
            'Delivery channel is not available to start configuration recorder.',
          );
        recorder.recording = true;
        recorder.lastStartTime = ctx.now();
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'StartConfigurationRecorder',
          requestParameters: { configurationRecorderName: recorder.name },
        });
        return {};
      },
      StopConfigurationRecorder(params, ctx) {
        const recorder = recorderOf(ctx, params);
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'StopConfigurationRecorder',
          requestParameters: { configurationRecorderName: recorder.name },
        });
        recorder.recording = false;
        recorder.lastStopTime = ctx.now();
        return {};
      },
      DeleteConfigurationRecorder(params, ctx) {
        const recorder = recorderOf(ctx, params);
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'DeleteConfigurationRecorder',
          requestParameters: { configurationRecorderName: recorder.name },
        });
        delete cloudTrailSection(ctx.world).recorders[
          recorderKey(recorder.accountId, recorder.region, recorder.name)
        ];
        markDeleted(ctx.world, recorder);
        return {};
      },
      DeleteDeliveryChannel(params, ctx) {
        const name = String(params.DeliveryChannelName ?? '');
        const channel = channelsOf(ctx).find((c) => c.name === name);
        if (!channel) throw missingChannel(name);
        if (recordersOf(ctx).some((r) => r.recording))
          throw new AwsError(
            'LastDeliveryChannelDeleteFailedException',
            // AWS's own wording, repeated words included.
            `Failed to delete last specified delivery channel with name '${name}', because there, because there is a running configuration recorder.`,
          );
        recordApiCall(ctx, {
          eventSource: SOURCE,
          eventName: 'DeleteDeliveryChannel',
          requestParameters: { deliveryChannelName: name },
        });
        delete cloudTrailSection(ctx.world).channels[
          recorderKey(channel.accountId, channel.region, channel.name)
        ];
        markDeleted(ctx.world, channel);
        return {};
      },
      DescribeConfigurationRecorders(params, ctx) {
        const recorders = named(recordersOf(ctx), params.ConfigurationRecorderNames, missingRecorder);
        return { ConfigurationRecorders: recorders.map((r) => ({ name: r.name, roleARN: r.roleArn })) };
      },
      DescribeConfigurationRecorderStatus(params, ctx) {
        const recorders = named(recordersOf(ctx), params.ConfigurationRecorderNames, missingRecorder);
        return {
          ConfigurationRecordersStatus: recorders.map((r) => ({
            name: r.name,
            recording: r.recording,
            lastStatus: r.recording ? 'SUCCESS' : 'PENDING',
            lastStartTime: r.lastStartTime === undefined ? undefined : new Date(r.lastStartTime),
            lastStopTime: r.lastStopTime === undefined ? undefined : new Date(r.lastStopTime),
          })),
        };
      },
      /** DescribeDeliveryChannels (AWS Config API Reference): all of the region's, or those named. */
      DescribeDeliveryChannels(params, ctx) {
        const channels = named(channelsOf(ctx), params.DeliveryChannelNames, missingChannel);
        return {
          DeliveryChannels: channels.map((c) => ({ name: c.name, s3BucketName: c.s3BucketName })),
        };
      },
    },
  };
}
