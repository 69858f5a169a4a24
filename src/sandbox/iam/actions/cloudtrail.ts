/**
 * CloudTrail and AWS Config operations -> IAM (Service Authorization Reference for AWS CloudTrail
 * and AWS Config). CloudTrail trail actions are on the trail's ARN (a name means the trail of the
 * caller's account in the call's region); Config recorder actions are on the recorder's ARN.
 */
import { recorderId } from '../../cfn/providers/misc';
import { findTrail, trailArnOf } from '../../services/cloudtrail/state';
import type { AuthorizationSpec } from '../authorize';
import type { ActionEnv, ServiceActions } from './types';

function trailResource(params: Record<string, unknown>, env: ActionEnv, field: string): string {
  const ref = String(params[field] ?? '');
  if (ref.startsWith('arn:')) return ref;
  return (
    findTrail(env.world, ref, env.caller.accountId, env.region)?.arn ??
    trailArnOf(env.region, env.caller.accountId, ref)
  );
}

function onTrail(action: string, field = 'Name') {
  return (params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] => [
    { action, resource: trailResource(params, env, field) },
  ];
}

/** The ConfigurationRecorder ARN (`configuration-recorder/<name>/<id>`), with the id the provider gave it. */
function recorderResource(env: ActionEnv, name: string): string {
  const id = recorderId({ accountId: env.caller.accountId, region: env.region, physicalId: name });
  return `arn:aws:config:${env.region}:${env.caller.accountId}:configuration-recorder/${name}/${id}`;
}

function onRecorder(action: string) {
  return (params: Record<string, unknown>, env: ActionEnv): AuthorizationSpec[] => [
    { action, resource: recorderResource(env, String(params.ConfigurationRecorderName ?? '')) },
  ];
}

export const cloudTrailActions: ServiceActions = {
  GetTrailStatus: onTrail('cloudtrail:GetTrailStatus'),
  StartLogging: onTrail('cloudtrail:StartLogging'),
  StopLogging: onTrail('cloudtrail:StopLogging'),
  DeleteTrail: onTrail('cloudtrail:DeleteTrail'),
  GetTrail: onTrail('cloudtrail:GetTrail'),
  UpdateTrail: onTrail('cloudtrail:UpdateTrail'),
  PutEventSelectors: onTrail('cloudtrail:PutEventSelectors', 'TrailName'),
  GetEventSelectors: onTrail('cloudtrail:GetEventSelectors', 'TrailName'),
  PutInsightSelectors: onTrail('cloudtrail:PutInsightSelectors', 'TrailName'),
  GetInsightSelectors: onTrail('cloudtrail:GetInsightSelectors', 'TrailName'),
  // DescribeTrails has no resource type in the reference.
  DescribeTrails: () => [{ action: 'cloudtrail:DescribeTrails', resource: '*' }],
};

export const configActions: ServiceActions = {
  PutConfigurationRecorder: (params, env) => {
    const input = (params.ConfigurationRecorder ?? {}) as Record<string, unknown>;
    const name = typeof input.name === 'string' && input.name !== '' ? input.name : 'default';
    const specs: AuthorizationSpec[] = [
      { action: 'config:PutConfigurationRecorder', resource: recorderResource(env, name) },
    ];
    if (typeof input.roleARN === 'string')
      specs.push({
        action: 'iam:PassRole',
        resource: input.roleARN,
        context: { 'iam:PassedToService': 'config.amazonaws.com' },
      });
    return specs;
  },
  StartConfigurationRecorder: onRecorder('config:StartConfigurationRecorder'),
  StopConfigurationRecorder: onRecorder('config:StopConfigurationRecorder'),
  DeleteConfigurationRecorder: onRecorder('config:DeleteConfigurationRecorder'),
  // Delivery channels have no resource type in the reference.
  DeleteDeliveryChannel: () => [{ action: 'config:DeleteDeliveryChannel', resource: '*' }],
  DescribeConfigurationRecorders: () => [{ action: 'config:DescribeConfigurationRecorders', resource: '*' }],
  DescribeDeliveryChannels: () => [{ action: 'config:DescribeDeliveryChannels', resource: '*' }],
  DescribeConfigurationRecorderStatus: () => [
    { action: 'config:DescribeConfigurationRecorderStatus', resource: '*' },
  ],
};
