/**
 * IAM resources: AWS::IAM::Role, AWS::IAM::Policy, AWS::IAM::ManagedPolicy. Their handlers call
 * CreateRole (with `iam:PermissionsBoundary` when a boundary is set, IAM User Guide,
 * reference_policies_iam-condition-keys), TagRole for tags ("To create a role with tags you must
 * have ... iam:TagRole", IAM User Guide, id_tags_roles), PutRolePolicy per inline policy and
 * AttachRolePolicy per managed policy (`iam:PolicyARN`). Once settled, the role, its policies and
 * the managed policies are IAM entities of the account (src/sandbox/iam/state.ts) that every later
 * request is authorized against.
 */
import type { AuthorizationSpec } from '../../iam/authorize';
import {
  deleteManagedPolicy,
  deleteRole,
  findManagedPolicy,
  findRole,
  iamSection,
  putManagedPolicy,
  putRole,
  touch,
} from '../../iam/state';
import type { PlanView } from '../plan-view';
import { list, policyText, type ResourceProvider, type ResourceRef, str, tagContext, tagMap } from './types';

function roleArnOf(ref: ResourceRef, props: Record<string, unknown>, name = ref.physicalId): string {
  return `arn:aws:iam::${ref.accountId}:role${str(props.Path) ?? '/'}${name}`;
}

function managedBy(ref: ResourceRef) {
  return { stackId: ref.stackId, logicalId: ref.logicalId };
}

function inlinePolicies(props: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list<{ PolicyName?: unknown; PolicyDocument?: unknown }>(props.Policies)) {
    const name = str(p.PolicyName);
    const text = policyText(p.PolicyDocument);
    if (name && text) out[name] = text;
  }
  return out;
}

export const roleProvider: ResourceProvider = {
  type: 'AWS::IAM::Role',
  service: 'Iam',
  deniedStatus: 403,
  priority: 0,
  calls(phase, props, ref, previous) {
    const arn = roleArnOf(ref, props);
    const boundary = str(props.PermissionsBoundary);
    // The role's boundary is in the context of every call on it that lists the key (Service
    // Authorization Reference, IAM: PutRolePolicy, AttachRolePolicy, UpdateAssumeRolePolicy,
    // DeleteRole ...).
    const bounded: Record<string, string> = boundary ? { 'iam:PermissionsBoundary': boundary } : {};
    if (phase === 'delete') return [{ action: 'iam:DeleteRole', resource: arn, context: bounded }];
    const specs: AuthorizationSpec[] = [];
    const tags = tagContext(props.Tags);
    if (phase === 'create') {
      specs.push({
        action: 'iam:CreateRole',
        resource: arn,
        context: { ...tags, ...(boundary ? { 'iam:PermissionsBoundary': boundary } : {}) },
      });
      if (Object.keys(tags).length > 0) specs.push({ action: 'iam:TagRole', resource: arn, context: tags });
    } else {
      if (policyText(props.AssumeRolePolicyDocument) !== policyText(previous?.AssumeRolePolicyDocument))
        specs.push({ action: 'iam:UpdateAssumeRolePolicy', resource: arn, context: bounded });
      if (boundary && boundary !== str(previous?.PermissionsBoundary))
        specs.push({
          action: 'iam:PutRolePermissionsBoundary',
          resource: arn,
          context: { 'iam:PermissionsBoundary': boundary },
        });
    }
    const before = previous ? inlinePolicies(previous) : {};
    for (const [name, text] of Object.entries(inlinePolicies(props))) {
      if (before[name] !== text) specs.push({ action: 'iam:PutRolePolicy', resource: arn, context: bounded });
    }
    const attached = new Set(list<string>(previous?.ManagedPolicyArns));
    for (const policyArn of list<string>(props.ManagedPolicyArns)) {
      if (attached.has(policyArn)) continue;
      specs.push({
        action: 'iam:AttachRolePolicy',
        resource: arn,
        context: { ...bounded, 'iam:PolicyARN': policyArn },
      });
    }
    return specs;
  },
  apply(props, ref, previous) {
    const section = iamSection(ref.world);
    const existing = findRole(section, ref.accountId, ref.physicalId);
    // The role also holds what other resources put on it (AWS::IAM::Policy, ManagedPolicy Roles):
    // keep those, drop only what this resource's previous properties put there.
    const own = inlinePolicies(props);
    const previousOwn = previous ? inlinePolicies(previous) : {};
    const inline: Record<string, string> = {};
    for (const [name, text] of Object.entries(existing?.inlinePolicies ?? {}))
      if (!(name in previousOwn)) inline[name] = text;
    Object.assign(inline, own);
    const previousArns = new Set(list<string>(previous?.ManagedPolicyArns));
    const arns = (existing?.managedPolicyArns ?? []).filter((a) => !previousArns.has(a));
    for (const a of list<string>(props.ManagedPolicyArns)) if (!arns.includes(a)) arns.push(a);
    const boundary = str(props.PermissionsBoundary);
    const description = str(props.Description);
    putRole(section, {
      accountId: ref.accountId,
      name: ref.physicalId,
      path: str(props.Path) ?? '/',
      trustPolicy: policyText(props.AssumeRolePolicyDocument) ?? '{"Version":"2012-10-17","Statement":[]}',
      inlinePolicies: inline,
      managedPolicyArns: arns,
      ...(boundary ? { permissionsBoundary: boundary } : {}),
      ...(props.MaxSessionDuration !== undefined
        ? { maxSessionDuration: Number(props.MaxSessionDuration) }
        : {}),
      ...(description ? { description } : {}),
      tags: tagMap(props.Tags),
      managedBy: managedBy(ref),
      now: ref.now,
    });
  },
  remove(_props, ref) {
    const section = iamSection(ref.world);
    const role = findRole(section, ref.accountId, ref.physicalId);
    if (role?.managedBy?.stackId === ref.stackId && role.managedBy.logicalId === ref.logicalId)
      deleteRole(section, ref.accountId, ref.physicalId);
  },
  reads(props, ref) {
    const arn = roleArnOf(ref, props);
    return [
      { action: 'iam:GetRole', resource: arn },
      { action: 'iam:ListRolePolicies', resource: arn },
      { action: 'iam:ListAttachedRolePolicies', resource: arn },
    ];
  },
};

/** `iam:PermissionsBoundary` of a role the call touches, when it has one. */
function boundedBy(view: PlanView | undefined, roleName: string): Record<string, string> {
  const boundary = view?.roleBoundary(roleName);
  return boundary ? { 'iam:PermissionsBoundary': boundary } : {};
}

function roleArnByName(ref: ResourceRef, name: string): string {
  const role = findRole(iamSection(ref.world), ref.accountId, name);
  return role?.arn ?? `arn:aws:iam::${ref.accountId}:role/${name}`;
}

export const policyProvider: ResourceProvider = {
  type: 'AWS::IAM::Policy',
  service: 'Iam',
  deniedStatus: 403,
  priority: 1,
  deleteNeedsProperties: true,
  calls(phase, props, ref, _previous, view) {
    const specs: AuthorizationSpec[] = [];
    const action = (kind: 'Role' | 'User' | 'Group') =>
      `iam:${phase === 'delete' ? 'Delete' : 'Put'}${kind}Policy`;
    for (const name of list<string>(props.Roles))
      specs.push({
        action: action('Role'),
        resource: roleArnByName(ref, name),
        context: boundedBy(view, name),
      });
    for (const name of list<string>(props.Users))
      specs.push({ action: action('User'), resource: `arn:aws:iam::${ref.accountId}:user/${name}` });
    for (const name of list<string>(props.Groups))
      specs.push({ action: action('Group'), resource: `arn:aws:iam::${ref.accountId}:group/${name}` });
    return specs;
  },
  apply(props, ref) {
    const section = iamSection(ref.world);
    const name = str(props.PolicyName);
    const text = policyText(props.PolicyDocument);
    if (!name || !text) return;
    for (const roleName of list<string>(props.Roles)) {
      const role = findRole(section, ref.accountId, roleName);
      if (role) role.inlinePolicies[name] = text;
    }
    touch(section, ref.accountId);
  },
  remove(props, ref) {
    const section = iamSection(ref.world);
    const name = str(props.PolicyName);
    if (!name) return;
    for (const roleName of list<string>(props.Roles)) {
      const role = findRole(section, ref.accountId, roleName);
      if (role) delete role.inlinePolicies[name];
    }
    touch(section, ref.accountId);
  },
  reads(props, ref) {
    return list<string>(props.Roles).map((name) => ({
      action: 'iam:GetRolePolicy',
      resource: roleArnByName(ref, name),
    }));
  },
};

export const managedPolicyProvider: ResourceProvider = {
  type: 'AWS::IAM::ManagedPolicy',
  service: 'Iam',
  deniedStatus: 403,
  priority: 1,
  deleteNeedsProperties: true,
  calls(phase, props, ref, _previous, view) {
    const arn = ref.physicalId;
    const roles = list<string>(props.Roles);
    if (phase === 'delete') {
      return [
        ...roles.map((r) => ({
          action: 'iam:DetachRolePolicy',
          resource: roleArnByName(ref, r),
          context: { ...boundedBy(view, r), 'iam:PolicyARN': arn },
        })),
        { action: 'iam:DeletePolicy', resource: arn },
      ];
    }
    const specs: AuthorizationSpec[] =
      phase === 'create'
        ? [{ action: 'iam:CreatePolicy', resource: arn }]
        : [{ action: 'iam:CreatePolicyVersion', resource: arn }];
    for (const r of roles)
      specs.push({
        action: 'iam:AttachRolePolicy',
        resource: roleArnByName(ref, r),
        context: { ...boundedBy(view, r), 'iam:PolicyARN': arn },
      });
    return specs;
  },
  apply(props, ref) {
    const section = iamSection(ref.world);
    const arn = ref.physicalId;
    const name = arn.split('/').pop() ?? arn;
    const path = str(props.Path) ?? '/';
    putManagedPolicy(section, {
      accountId: ref.accountId,
      name,
      path,
      document: policyText(props.PolicyDocument) ?? '{"Statement":[]}',
      ...(str(props.Description) ? { description: str(props.Description) as string } : {}),
      managedBy: managedBy(ref),
      now: ref.now,
    });
    const stored = findManagedPolicy(section, `arn:aws:iam::${ref.accountId}:policy${path}${name}`);
    for (const roleName of list<string>(props.Roles)) {
      const role = findRole(section, ref.accountId, roleName);
      if (role && stored && !role.managedPolicyArns.includes(stored.arn)) {
        role.managedPolicyArns.push(stored.arn);
      }
    }
    touch(section, ref.accountId);
  },
  remove(props, ref) {
    const section = iamSection(ref.world);
    const arn = ref.physicalId;
    for (const roleName of list<string>(props.Roles)) {
      const role = findRole(section, ref.accountId, roleName);
      if (role) role.managedPolicyArns = role.managedPolicyArns.filter((a) => a !== arn);
    }
    const policy = findManagedPolicy(section, arn);
    if (policy?.managedBy?.stackId === ref.stackId) deleteManagedPolicy(section, arn);
    touch(section, ref.accountId);
  },
  reads(_props, ref) {
    return [
      { action: 'iam:GetPolicy', resource: ref.physicalId },
      { action: 'iam:GetPolicyVersion', resource: ref.physicalId },
    ];
  },
};
