/**
 * How long resources take in the simulation: seconds (or a [min, max] range the world's seed
 * picks from) per resource type to create, update or delete, with defaults a scenario may
 * override type by type.
 */
import type { Checker } from './scenario-checker';

/** Seconds a resource takes to create/update/delete in the simulation, per type. */
export const DEFAULT_DURATIONS: Record<string, number | [number, number]> = {
  default: [10, 40],
  'AWS::IAM::Role': [15, 35],
  'AWS::IAM::ManagedPolicy': [10, 20],
  'AWS::KMS::Key': [60, 120],
  'AWS::KMS::Alias': [3, 8],
  'AWS::S3::Bucket': [20, 45],
  'AWS::S3::BucketPolicy': [3, 8],
  'AWS::SNS::Topic': [8, 15],
  'AWS::SNS::TopicPolicy': [5, 10],
  'AWS::SNS::Subscription': [5, 10],
  'AWS::Events::Rule': [20, 40],
  'AWS::Config::ConfigurationRecorder': [20, 40],
  'AWS::Config::DeliveryChannel': [10, 20],
  'AWS::CloudTrail::Trail': [20, 60],
  'AWS::Logs::LogGroup': [3, 8],
  'AWS::GuardDuty::Detector': [10, 20],
};

/** The scenario's `durations` over the defaults; keys are resource types (or `default`). */
export function validateDurations(c: Checker, raw: unknown): Record<string, number | [number, number]> {
  const durations: Record<string, number | [number, number]> = { ...DEFAULT_DURATIONS };
  if (raw !== undefined) {
    const d = c.object(['durations'], raw, Object.keys(raw ?? {}));
    for (const [type, value] of Object.entries(d)) {
      if (type !== 'default' && !/^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(type)) {
        c.fail(
          ['durations', type],
          'must be keyed by a resource type like AWS::S3::Bucket (or default)',
          type,
        );
      }
      if (Array.isArray(value)) {
        const min = c.number(['durations', type, 0], value[0], 0, 86_400);
        const max = c.number(['durations', type, 1], value[1], 0, 86_400);
        if (value.length !== 2 || max < min)
          c.fail(['durations', type], 'must be seconds or [min, max] with min <= max', value);
        durations[type] = [min, max];
      } else {
        durations[type] = c.number(['durations', type], value, 0, 86_400);
      }
    }
  }
  return durations;
}
