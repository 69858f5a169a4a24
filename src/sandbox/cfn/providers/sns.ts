/**
 * AWS::SNS::Topic, AWS::SNS::TopicPolicy, AWS::SNS::Subscription. A topic made by a stack is a
 * topic of the SNS emulator (src/sandbox/services/sns.ts) with its attributes; a topic policy is
 * its `Policy` attribute (what sns:Publish from another principal is authorized against).
 */
import { snsState } from '../../services/sns';
import { own, setOwn } from '../../world';
import { list, policyText, type ResourceProvider, str, tagContext } from './types';

export const topicProvider: ResourceProvider = {
  type: 'AWS::SNS::Topic',
  service: 'Sns',
  deniedStatus: 403,
  priority: 0,
  calls(phase, props, ref) {
    const arn = ref.physicalId;
    if (phase === 'delete') return [{ action: 'sns:DeleteTopic', resource: arn }];
    const tags = tagContext(props.Tags);
    const specs = [
      phase === 'create'
        ? { action: 'sns:CreateTopic', resource: arn, context: tags }
        : { action: 'sns:SetTopicAttributes', resource: arn },
    ];
    if (Object.keys(tags).length > 0) specs.push({ action: 'sns:TagResource', resource: arn, context: tags });
    return specs;
  },
  apply(props, ref) {
    const state = snsState(ref.world);
    const arn = ref.physicalId;
    const existing = own(state.topics, arn);
    const attributes: Record<string, string> = { ...(existing?.attributes ?? {}) };
    for (const name of ['DisplayName', 'KmsMasterKeyId', 'FifoTopic', 'ContentBasedDeduplication'] as const) {
      const value = props[name];
      if (value !== undefined) attributes[name] = String(value);
      else delete attributes[name];
    }
    setOwn(state.topics, arn, {
      name: arn.split(':').pop() ?? arn,
      owner: ref.accountId,
      region: ref.region,
      createdAt: existing?.createdAt ?? ref.now,
      attributes,
    });
  },
  remove(_props, ref) {
    delete snsState(ref.world).topics[ref.physicalId];
  },
  reads(_props, ref) {
    return [{ action: 'sns:GetTopicAttributes', resource: ref.physicalId }];
  },
};

export const topicPolicyProvider: ResourceProvider = {
  type: 'AWS::SNS::TopicPolicy',
  service: 'Sns',
  deniedStatus: 403,
  priority: 1,
  deleteNeedsProperties: true,
  calls(_phase, props) {
    return list<string>(props.Topics).map((arn) => ({ action: 'sns:SetTopicAttributes', resource: arn }));
  },
  apply(props, ref) {
    const text = policyText(props.PolicyDocument);
    for (const arn of list<string>(props.Topics)) {
      const topic = own(snsState(ref.world).topics, arn);
      if (topic && text) topic.attributes.Policy = text;
    }
  },
  remove(props, ref) {
    // Deleting the resource sets the topic's default policy back (the owner's account only).
    for (const arn of list<string>(props.Topics)) {
      const topic = own(snsState(ref.world).topics, arn);
      if (topic) delete topic.attributes.Policy;
    }
  },
  reads(props) {
    return list<string>(props.Topics).map((arn) => ({ action: 'sns:GetTopicAttributes', resource: arn }));
  },
};

export const subscriptionProvider: ResourceProvider = {
  type: 'AWS::SNS::Subscription',
  service: 'Sns',
  deniedStatus: 403,
  deleteNeedsProperties: true,
  calls(phase, props) {
    const topic = str(props.TopicArn) ?? '*';
    return [{ action: phase === 'delete' ? 'sns:Unsubscribe' : 'sns:Subscribe', resource: topic }];
  },
};
