/**
 * What a resource handler sees when it runs: the sandbox's service state as it is, plus the
 * resources of the same stack that completed before it started (a trail sees the key, bucket
 * policy and logs role the same stack made a moment earlier). Effects reach the service state
 * only when the stack settles, so plan-time checks read both through this view.
 */

import { awsManagedPolicy } from '../iam/managed-policies';
import { parsePolicy } from '../iam/policy';
import type { ResolvedPrincipal } from '../iam/principal';
import { resolvePrincipal } from '../iam/principal';
import { findRole, findRoleByArn, iamSection } from '../iam/state';
import type { PolicyDocument } from '../iam/types';
import { findKey, keyArnOf } from '../services/kms-state';
import { bucketOf } from '../services/s3-resources';
import { bucketPolicyOf } from '../services/s3-state';
import type { SandboxWorld } from '../types';
import { keyPolicyOfProps } from './providers/kms';
import { list, policyText, str, tagMap } from './providers/types';

/** A resource of the stack that completed before the checked one started. */
export interface CompletedResource {
  logicalId: string;
  type: string;
  physicalId: string;
  props: Record<string, unknown>;
}

export interface PlanView {
  readonly world: SandboxWorld;
  readonly accountId: string;
  readonly region: string;
  /** A role by ARN: its trust policy and a session of it (with its identity policies). */
  role(arn: string): { trustPolicy: string; session: ResolvedPrincipal; accountId: string } | undefined;
  /** A KMS key by id, ARN or alias: its ARN, key policy and tags. */
  key(
    ref: string,
  ): { arn: string; accountId: string; policy: string; tags: Record<string, string> } | undefined;
  /** A bucket by name: its owner and policy. */
  bucket(name: string): { owner: string; region: string; policy?: string } | undefined;
  /** The permissions boundary (policy ARN) of a role of this account, by name. */
  roleBoundary(name: string): string | undefined;
}

function roleArnFrom(accountId: string, props: Record<string, unknown>, physicalId: string): string {
  const path = str(props.Path) ?? '/';
  return `arn:aws:iam::${accountId}:role${path}${physicalId}`;
}

/** The view for one check: `completed` are the same stack's resources done before it started. */
export function planView(
  world: SandboxWorld,
  accountId: string,
  region: string,
  completed: CompletedResource[],
): PlanView {
  const ofType = (type: string) => completed.filter((r) => r.type === type);
  return {
    world,
    accountId,
    region,
    roleBoundary(name) {
      const own = ofType('AWS::IAM::Role').find((r) => r.physicalId.toLowerCase() === name.toLowerCase());
      if (own) return str(own.props.PermissionsBoundary);
      return findRole(iamSection(world), accountId, name)?.permissionsBoundary;
    },
    role(arn) {
      const own = ofType('AWS::IAM::Role').find((r) => roleArnFrom(accountId, r.props, r.physicalId) === arn);
      if (own) {
        const name = own.physicalId;
        const policies: PolicyDocument[] = [];
        for (const p of list<{ PolicyDocument?: unknown }>(own.props.Policies)) {
          const text = policyText(p.PolicyDocument);
          if (text) policies.push(parsePolicy(text, `inline policy of ${arn}`));
        }
        for (const m of list<string>(own.props.ManagedPolicyArns)) {
          const doc = m.includes(':iam::aws:policy/') ? awsManagedPolicy(m) : undefined;
          if (doc) policies.push(doc);
        }
        for (const p of ofType('AWS::IAM::Policy')) {
          if (!list<string>(p.props.Roles).includes(name)) continue;
          const text = policyText(p.props.PolicyDocument);
          if (text) policies.push(parsePolicy(text, `policy ${p.logicalId}`));
        }
        const sessionArn = `arn:aws:sts::${accountId}:assumed-role/${name}/check`;
        return {
          trustPolicy: policyText(own.props.AssumeRolePolicyDocument) ?? '{"Statement":[]}',
          accountId,
          session: {
            principal: { kind: 'role-session', arn: sessionArn, accountId, roleArn: arn },
            identityPolicies: policies,
            context: {
              'aws:PrincipalArn': arn,
              'aws:PrincipalAccount': accountId,
              'aws:PrincipalType': 'AssumedRole',
            },
          },
        };
      }
      const role = findRoleByArn(iamSection(world), arn);
      if (!role) return undefined;
      return {
        trustPolicy: role.trustPolicy,
        accountId: role.accountId,
        session: resolvePrincipal(world, {
          accountId: role.accountId,
          accessKeyId: `check/${arn}`,
          arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/check`,
          roleName: role.name,
          sessionName: 'check',
        }),
      };
    },
    key(ref) {
      const own = ofType('AWS::KMS::Key').find((r) => {
        const arn = keyArnOf(accountId, region, r.physicalId);
        return ref === r.physicalId || ref === arn;
      });
      if (own) {
        return {
          arn: keyArnOf(accountId, region, own.physicalId),
          accountId,
          policy: keyPolicyOfProps(own.props, accountId),
          tags: tagMap(own.props.Tags),
        };
      }
      const alias = ofType('AWS::KMS::Alias').find(
        (r) => ref === r.physicalId || ref.endsWith(`:${r.physicalId}`),
      );
      if (alias) {
        const target = str(alias.props.TargetKeyId);
        if (target && target !== ref) return this.key(target);
      }
      const key = findKey(world, ref, accountId, region);
      return key ? { arn: key.arn, accountId: key.accountId, policy: key.policy, tags: key.tags } : undefined;
    },
    bucket(name) {
      const own = ofType('AWS::S3::Bucket').find((r) => r.physicalId === name);
      const ownPolicy = ofType('AWS::S3::BucketPolicy').find((r) => str(r.props.Bucket) === name);
      if (own) {
        const policy = policyText(ownPolicy?.props.PolicyDocument);
        return policy === undefined ? { owner: accountId, region } : { owner: accountId, region, policy };
      }
      const bucket = bucketOf(world, name);
      if (!bucket) return undefined;
      const policy = policyText(ownPolicy?.props.PolicyDocument) ?? bucketPolicyOf(world, name);
      return policy === undefined
        ? { owner: bucket.owner, region: bucket.region }
        : { owner: bucket.owner, region: bucket.region, policy };
    },
  };
}
