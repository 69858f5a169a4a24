/**
 * AWS::KMS::Key and AWS::KMS::Alias. CreateKey is authorized by IAM alone (no key exists yet);
 * later calls on the key (EnableKeyRotation, ScheduleKeyDeletion) by its key policy (mode 'kms').
 * KMS refuses a key policy that would lock its creator out: "the key policy must allow the
 * principal that is making the CreateKey request to make a subsequent PutKeyPolicy request"
 * (KMS API Reference, CreateKey, BypassPolicyLockoutSafetyCheck), MalformedPolicyDocumentException
 * "The new key policy will not allow you to update the key policy in the future."
 * CreateAlias needs kms:CreateAlias on both the alias and the key (KMS Developer Guide,
 * alias-access).
 */
import { decide } from '../../iam/authorize';
import {
  aliasArnOf,
  deleteAlias,
  keyArnOf,
  putAlias,
  putKey,
  scheduleKeyDeletion,
} from '../../services/kms-state';
import type { Acting } from '../iam-env';
import {
  type HandlerFailure,
  type HandlerPhase,
  policyText,
  type ResourceProvider,
  type ResourceRef,
  resourceTagContext,
  str,
  tagContext,
  tagMap,
} from './types';

/**
 * The key policy KMS gives a key created without one: the account may use and manage it through
 * IAM policies (KMS Developer Guide, key-policy-default; CloudFormation's AWS::KMS::Key KeyPolicy:
 * "If you don't specify a key policy, AWS KMS applies a default key policy").
 */
export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });
}

/** The key policy a key's properties give it. */
export function keyPolicyOfProps(props: Record<string, unknown>, accountId: string): string {
  return policyText(props.KeyPolicy) ?? defaultKeyPolicy(accountId);
}

export const LOCKOUT_MESSAGE =
  'The new key policy will not allow you to update the key policy in the future.';

export const keyProvider: ResourceProvider = {
  type: 'AWS::KMS::Key',
  service: 'Kms',
  deniedStatus: 400,
  priority: 0,
  calls(phase, props, ref) {
    const arn = keyArnOf(ref.accountId, ref.region, ref.physicalId);
    const policy = keyPolicyOfProps(props, ref.accountId);
    const onKey = (action: string) => ({
      action,
      resource: arn,
      resourceAccountId: ref.accountId,
      ...(policy ? { resourcePolicy: policy } : {}),
      resourcePolicyMode: 'kms' as const,
      // The key carries its tags from CreateKey on: later calls see them as aws:ResourceTag.
      context: resourceTagContext(props.Tags),
    });
    if (phase === 'delete') return [onKey('kms:ScheduleKeyDeletion')];
    const specs = [];
    if (phase === 'create') {
      const tags = tagContext(props.Tags);
      specs.push({ action: 'kms:CreateKey', resource: '*', context: tags });
      // "To use the Tags parameter, you need kms:TagResource permission" (KMS API Reference, CreateKey).
      if (Object.keys(tags).length > 0)
        specs.push({ action: 'kms:TagResource', resource: '*', context: tags });
    } else specs.push(onKey('kms:PutKeyPolicy'));
    if (props.EnableKeyRotation === true || props.EnableKeyRotation === 'true')
      specs.push(onKey('kms:EnableKeyRotation'));
    return specs;
  },
  rules(phase, props, ref, _view, actor) {
    return lockoutCheck(phase, props, ref, actor);
  },
  apply(props, ref) {
    putKey(ref.world, {
      accountId: ref.accountId,
      region: ref.region,
      keyId: ref.physicalId,
      policy: keyPolicyOfProps(props, ref.accountId),
      ...(str(props.Description) ? { description: str(props.Description) as string } : {}),
      enabled: props.Enabled !== false && props.Enabled !== 'false',
      rotation: props.EnableKeyRotation === true || props.EnableKeyRotation === 'true',
      ...(str(props.KeySpec) ? { keySpec: str(props.KeySpec) as string } : {}),
      ...(str(props.KeyUsage) ? { keyUsage: str(props.KeyUsage) as string } : {}),
      tags: tagMap(props.Tags),
      managedBy: { stackId: ref.stackId, logicalId: ref.logicalId },
      now: ref.now,
    });
  },
  remove(_props, ref) {
    scheduleKeyDeletion(ref.world, keyArnOf(ref.accountId, ref.region, ref.physicalId));
  },
  reads(props, ref) {
    const arn = keyArnOf(ref.accountId, ref.region, ref.physicalId);
    const policy = keyPolicyOfProps(props, ref.accountId);
    return ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus'].map((action) => ({
      action,
      resource: arn,
      resourceAccountId: ref.accountId,
      ...(policy ? { resourcePolicy: policy } : {}),
      resourcePolicyMode: 'kms' as const,
    }));
  },
};

/**
 * The lockout safety check, made with the principal that creates the key: is it allowed
 * kms:PutKeyPolicy by the new key policy (plus its IAM policies where the policy allows the
 * account)? Skipped with BypassPolicyLockoutSafetyCheck.
 */
function lockoutCheck(
  phase: HandlerPhase,
  props: Record<string, unknown>,
  ref: ResourceRef,
  actor: Acting,
): HandlerFailure | undefined {
  if (phase !== 'create' || props.BypassPolicyLockoutSafetyCheck === true) return undefined;
  const policy = keyPolicyOfProps(props, ref.accountId);
  const { decision } = decide(
    ref.world,
    actor.who,
    {
      action: 'kms:PutKeyPolicy',
      resource: keyArnOf(ref.accountId, ref.region, ref.physicalId),
      resourceAccountId: ref.accountId,
      ...(policy ? { resourcePolicy: policy } : {}),
      resourcePolicyMode: 'kms',
      // The key the request would create carries the request's tags.
      context: resourceTagContext(props.Tags),
    },
    actor.facts,
  );
  if (decision.effect === 'Allow') return undefined;
  return { message: LOCKOUT_MESSAGE, service: 'Kms', status: 400, handlerErrorCode: 'InvalidRequest' };
}

export const aliasProvider: ResourceProvider = {
  type: 'AWS::KMS::Alias',
  service: 'Kms',
  deniedStatus: 400,
  priority: 1,
  calls(phase, props, ref, _previous, view) {
    const aliasArn = aliasArnOf(ref.accountId, ref.region, ref.physicalId);
    const target = str(props.TargetKeyId) ?? '';
    const keyArn = target.startsWith('arn:') ? target : keyArnOf(ref.accountId, ref.region, target);
    const action =
      phase === 'delete' ? 'kms:DeleteAlias' : phase === 'create' ? 'kms:CreateAlias' : 'kms:UpdateAlias';
    const key = view?.key(target);
    return [
      { action, resource: aliasArn, resourceAccountId: ref.accountId },
      {
        action,
        resource: key?.arn ?? keyArn,
        resourceAccountId: key?.accountId ?? ref.accountId,
        resourcePolicyMode: 'kms',
        ...(key ? { resourcePolicy: key.policy, context: resourceTagContext(key.tags) } : {}),
      },
    ];
  },
  apply(props, ref) {
    const target = str(props.TargetKeyId);
    if (!target) return;
    putAlias(ref.world, {
      accountId: ref.accountId,
      region: ref.region,
      name: ref.physicalId,
      targetKeyId: target,
    });
  },
  remove(_props, ref) {
    deleteAlias(ref.world, aliasArnOf(ref.accountId, ref.region, ref.physicalId));
  },
  reads(_props, ref) {
    return [{ action: 'kms:ListAliases', resource: '*' }].map((s) => ({
      ...s,
      resourceAccountId: ref.accountId,
    }));
  },
};
