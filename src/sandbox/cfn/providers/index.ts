/**
 * The resource provider registry: one provider per CloudFormation resource type the sandbox models
 * (what its handler calls, the service's rules, its effect). A type without a provider deploys
 * with no checks and no effect (documented: the sandbox knows nothing of what it would need).
 */
import { trailProvider } from './cloudtrail';
import { functionProvider, permissionProvider, stateMachineProvider } from './compute';
import { tableProvider } from './dynamodb';
import { busPolicyProvider, ruleProvider } from './events';
import { managedPolicyProvider, policyProvider, roleProvider } from './iam';
import { aliasProvider, keyProvider } from './kms';
import {
  alarmProvider,
  configRecorderProvider,
  configRuleProvider,
  deliveryChannelProvider,
  detectorProvider,
  logGroupProvider,
  scheduleProvider,
} from './misc';
import { bucketPolicyProvider, bucketProvider } from './s3';
import { subscriptionProvider, topicPolicyProvider, topicProvider } from './sns';
import type { ResourceProvider } from './types';

const PROVIDERS: ReadonlyMap<string, ResourceProvider> = new Map(
  [
    roleProvider,
    policyProvider,
    managedPolicyProvider,
    bucketProvider,
    bucketPolicyProvider,
    keyProvider,
    aliasProvider,
    topicProvider,
    topicPolicyProvider,
    subscriptionProvider,
    ruleProvider,
    busPolicyProvider,
    trailProvider,
    logGroupProvider,
    configRecorderProvider,
    deliveryChannelProvider,
    configRuleProvider,
    functionProvider,
    permissionProvider,
    stateMachineProvider,
    scheduleProvider,
    alarmProvider,
    detectorProvider,
    tableProvider,
  ].map((p) => [p.type, p]),
);

/** The provider of a resource type, or undefined for types the sandbox does not model. */
export function providerFor(type: string): ResourceProvider | undefined {
  return PROVIDERS.get(type);
}

/** Every modelled type (for documentation and tests). */
export function providedTypes(): string[] {
  return [...PROVIDERS.keys()];
}

export type { HandlerFailure, HandlerPhase, ResourceProvider, ResourceRef } from './types';
