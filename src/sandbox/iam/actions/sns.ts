/**
 * SNS operations -> IAM (Service Authorization Reference for Amazon SNS). The topic's access policy
 * (its `Policy` attribute) is the resource policy. Publishing to a topic encrypted with a KMS key
 * also needs kms:GenerateDataKey* and kms:Decrypt on it (SNS Developer Guide, sns-key-management:
 * "publishers must have the kms:GenerateDataKey* and kms:Decrypt permissions").
 */
import type { AuthorizationSpec } from '../authorize';
import { topicFacts } from '../resources';
import { kmsViaServiceSpec } from './kms';
import type { ActionEnv, ServiceActions } from './types';

function onTopic(env: ActionEnv, action: string, arn: string): AuthorizationSpec[] {
  const facts = topicFacts(env.world, arn);
  const spec: AuthorizationSpec = { action, resource: arn, resourcePolicyMode: 'standard' };
  if (facts) {
    spec.resourceAccountId = facts.accountId;
    if (facts.policy !== undefined) spec.resourcePolicy = facts.policy;
  }
  return [spec];
}

export const snsActions: ServiceActions = {
  CreateTopic: (params, env) => [
    {
      action: 'sns:CreateTopic',
      resource: `arn:aws:sns:${env.region}:${env.caller.accountId}:${String(params.Name ?? '')}`,
    },
  ],
  DeleteTopic: (params, env) => onTopic(env, 'sns:DeleteTopic', String(params.TopicArn ?? '')),
  GetTopicAttributes: (params, env) => onTopic(env, 'sns:GetTopicAttributes', String(params.TopicArn ?? '')),
  SetTopicAttributes: (params, env) => onTopic(env, 'sns:SetTopicAttributes', String(params.TopicArn ?? '')),
  ListTopics: () => [{ action: 'sns:ListTopics', resource: '*' }],
  Subscribe: (params, env) => onTopic(env, 'sns:Subscribe', String(params.TopicArn ?? '')),
  Publish: (params, env) => {
    const arn = String(params.TopicArn ?? params.TargetArn ?? '');
    const specs = onTopic(env, 'sns:Publish', arn);
    const kms = topicFacts(env.world, arn)?.kmsKeyId;
    if (kms !== undefined) {
      specs.push(kmsViaServiceSpec(env, 'kms:GenerateDataKey', kms, 'sns'));
      specs.push(kmsViaServiceSpec(env, 'kms:Decrypt', kms, 'sns'));
    }
    return specs;
  },
};
