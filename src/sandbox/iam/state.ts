/**
 * The sandbox's IAM entities: roles, users and customer managed policies per account, persisted in
 * the world's `iam` section. They are written by the IAM API (src/sandbox/services/iam.ts), by
 * CloudFormation when a stack's IAM resources settle, and by scenario set-up; every request's
 * authorization reads them (src/sandbox/iam/authorize.ts). IAM is global: one set per account,
 * whatever the region. Names of roles, users and policies are unique per account ignoring case,
 * as IAM documents ("Names are not distinguished by case").
 */
import { createHmac } from 'node:crypto';
import type { SandboxWorld } from '../types';

export const IAM_SECTION = 'iam';

/** What created an entity: a stack's resource (CloudFormation reconciles these) or a direct call. */
export interface ManagedBy {
  stackId: string;
  logicalId: string;
}

/** Policies attached to a role or user. Documents are kept as JSON text, as IAM returns them. */
export interface PolicyHolder {
  /** Inline policies by name. */
  inlinePolicies: Record<string, string>;
  /** ARNs of attached managed policies (customer or `arn:aws:iam::aws:policy/...`). */
  managedPolicyArns: string[];
  /** ARN of the permissions boundary policy, if any. */
  permissionsBoundary?: string;
  tags: Record<string, string>;
}

export interface IamRole extends PolicyHolder {
  accountId: string;
  name: string;
  /** `/` or `/a/b/`. */
  path: string;
  arn: string;
  /** `AROA...`: the unique id role sessions carry (`aws:userid` is `AROA...:session`). */
  roleId: string;
  trustPolicy: string;
  maxSessionDuration: number;
  description?: string;
  createdAt: number;
  managedBy?: ManagedBy;
}

export interface IamUser extends PolicyHolder {
  accountId: string;
  name: string;
  path: string;
  arn: string;
  /** `AIDA...`. */
  userId: string;
  createdAt: number;
  managedBy?: ManagedBy;
}

export interface IamManagedPolicy {
  accountId: string;
  name: string;
  path: string;
  arn: string;
  document: string;
  description?: string;
  createdAt: number;
  managedBy?: ManagedBy;
}

export interface AccountIam {
  /** By lower-cased name. */
  roles: Record<string, IamRole>;
  users: Record<string, IamUser>;
  /** Customer managed policies by ARN. */
  policies: Record<string, IamManagedPolicy>;
}

export interface IamSection {
  version: 1;
  accounts: Record<string, AccountIam>;
  /** Bumped on changes not tied to one account; see `revisionOf`. */
  revision: number;
  /** Bumped on every change of an account's entities. */
  accountRevisions?: Record<string, number>;
}

function emptySection(): IamSection {
  return { version: 1, accounts: {}, revision: 0, accountRevisions: {} };
}

/**
 * What caches of an account's principals key on: it changes when anything of that account's IAM
 * changes (or anything unscoped), and not when another account's does, so a rollout that creates
 * roles in 2,500 accounts does not make every cached principal of every other account stale.
 */
export function revisionOf(section: IamSection, accountId: string): string {
  return `${section.revision}:${section.accountRevisions?.[accountId] ?? 0}`;
}

function bump(section: IamSection, accountId: string): void {
  section.accountRevisions ??= {};
  section.accountRevisions[accountId] = (section.accountRevisions[accountId] ?? 0) + 1;
}

export function iamSection(world: Pick<SandboxWorld, 'section'>): IamSection {
  return world.section<IamSection>(IAM_SECTION, emptySection);
}

/** The account's IAM (created empty on first write). */
export function accountIam(section: IamSection, accountId: string): AccountIam {
  let account = section.accounts[accountId];
  if (!account) {
    account = { roles: {}, users: {}, policies: {} };
    section.accounts[accountId] = account;
  }
  return account;
}

function uniqueId(prefix: string, accountId: string, kind: string, name: string, createdAt: number): string {
  const digest = createHmac('sha256', 'iam-unique-id')
    .update(`${accountId}/${kind}/${name.toLowerCase()}/${createdAt}`)
    .digest('hex');
  return `${prefix}${digest.slice(0, 17).toUpperCase()}`;
}

/** `arn:aws:iam::A:role/path/Name`. */
export function roleArn(accountId: string, name: string, path = '/'): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

export function findRole(section: IamSection, accountId: string, name: string): IamRole | undefined {
  return section.accounts[accountId]?.roles[name.toLowerCase()];
}

/** A role by its ARN (the path must match, as IAM resolves ARNs). */
export function findRoleByArn(section: IamSection, arn: string): IamRole | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role(\/(?:[^/]+\/)*)?([^/]+)$/.exec(arn);
  if (!m) return undefined;
  const role = findRole(section, m[1] as string, m[3] as string);
  if (!role) return undefined;
  return role.path === (m[2] ?? '/') ? role : undefined;
}

export function findUser(section: IamSection, accountId: string, name: string): IamUser | undefined {
  return section.accounts[accountId]?.users[name.toLowerCase()];
}

export function findManagedPolicy(section: IamSection, arn: string): IamManagedPolicy | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):policy\//.exec(arn);
  if (!m) return undefined;
  return section.accounts[m[1] as string]?.policies[arn];
}

export interface PutRoleInput {
  accountId: string;
  name: string;
  path?: string;
  trustPolicy: string;
  inlinePolicies?: Record<string, string>;
  managedPolicyArns?: string[];
  permissionsBoundary?: string;
  maxSessionDuration?: number;
  description?: string;
  tags?: Record<string, string>;
  managedBy?: ManagedBy;
  now: number;
}

/**
 * Creates or replaces a role. A replaced role keeps its unique id only when it is the same entity
 * (same creator); a role deleted and created again gets a new id, as in IAM.
 */
export function putRole(section: IamSection, input: PutRoleInput): IamRole {
  const account = accountIam(section, input.accountId);
  const key = input.name.toLowerCase();
  const existing = account.roles[key];
  const path = input.path ?? '/';
  const sameEntity =
    existing !== undefined &&
    existing.managedBy?.stackId === input.managedBy?.stackId &&
    existing.managedBy?.logicalId === input.managedBy?.logicalId;
  const createdAt = sameEntity && existing ? existing.createdAt : input.now;
  const role: IamRole = {
    accountId: input.accountId,
    name: input.name,
    path,
    arn: roleArn(input.accountId, input.name, path),
    roleId:
      sameEntity && existing
        ? existing.roleId
        : uniqueId('AROA', input.accountId, 'role', input.name, createdAt),
    trustPolicy: input.trustPolicy,
    inlinePolicies: { ...(input.inlinePolicies ?? {}) },
    managedPolicyArns: [...(input.managedPolicyArns ?? [])],
    maxSessionDuration: input.maxSessionDuration ?? 3600,
    tags: { ...(input.tags ?? {}) },
    createdAt,
  };
  if (input.permissionsBoundary !== undefined) role.permissionsBoundary = input.permissionsBoundary;
  if (input.description !== undefined) role.description = input.description;
  if (input.managedBy !== undefined) role.managedBy = input.managedBy;
  account.roles[key] = role;
  bump(section, input.accountId);
  return role;
}

export function deleteRole(section: IamSection, accountId: string, name: string): boolean {
  const account = section.accounts[accountId];
  const key = name.toLowerCase();
  if (!account?.roles[key]) return false;
  delete account.roles[key];
  bump(section, accountId);
  return true;
}

export interface PutUserInput {
  accountId: string;
  name: string;
  path?: string;
  inlinePolicies?: Record<string, string>;
  managedPolicyArns?: string[];
  permissionsBoundary?: string;
  tags?: Record<string, string>;
  managedBy?: ManagedBy;
  now: number;
}

export function putUser(section: IamSection, input: PutUserInput): IamUser {
  const account = accountIam(section, input.accountId);
  const key = input.name.toLowerCase();
  const existing = account.users[key];
  const path = input.path ?? '/';
  const createdAt = existing?.createdAt ?? input.now;
  const user: IamUser = {
    accountId: input.accountId,
    name: input.name,
    path,
    arn: `arn:aws:iam::${input.accountId}:user${path}${input.name}`,
    userId: existing?.userId ?? uniqueId('AIDA', input.accountId, 'user', input.name, createdAt),
    inlinePolicies: { ...(existing?.inlinePolicies ?? {}), ...(input.inlinePolicies ?? {}) },
    managedPolicyArns: [...(input.managedPolicyArns ?? existing?.managedPolicyArns ?? [])],
    tags: { ...(input.tags ?? existing?.tags ?? {}) },
    createdAt,
  };
  const boundary = input.permissionsBoundary ?? existing?.permissionsBoundary;
  if (boundary !== undefined) user.permissionsBoundary = boundary;
  const managedBy = input.managedBy ?? existing?.managedBy;
  if (managedBy !== undefined) user.managedBy = managedBy;
  account.users[key] = user;
  bump(section, input.accountId);
  return user;
}

export function deleteUser(section: IamSection, accountId: string, name: string): boolean {
  const account = section.accounts[accountId];
  const key = name.toLowerCase();
  if (!account?.users[key]) return false;
  delete account.users[key];
  bump(section, accountId);
  return true;
}

export interface PutManagedPolicyInput {
  accountId: string;
  name: string;
  path?: string;
  document: string;
  description?: string;
  managedBy?: ManagedBy;
  now: number;
}

export function putManagedPolicy(section: IamSection, input: PutManagedPolicyInput): IamManagedPolicy {
  const account = accountIam(section, input.accountId);
  const path = input.path ?? '/';
  const arn = `arn:aws:iam::${input.accountId}:policy${path}${input.name}`;
  const existing = account.policies[arn];
  const policy: IamManagedPolicy = {
    accountId: input.accountId,
    name: input.name,
    path,
    arn,
    document: input.document,
    createdAt: existing?.createdAt ?? input.now,
  };
  if (input.description !== undefined) policy.description = input.description;
  if (input.managedBy !== undefined) policy.managedBy = input.managedBy;
  account.policies[arn] = policy;
  bump(section, input.accountId);
  return policy;
}

export function deleteManagedPolicy(section: IamSection, arn: string): boolean {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):policy\//.exec(arn);
  const account = m ? section.accounts[m[1] as string] : undefined;
  if (!account?.policies[arn]) return false;
  delete account.policies[arn];
  bump(section, m?.[1] as string);
  return true;
}

/**
 * Marks an account's IAM changed after an in-place edit of one of its entities (an inline policy,
 * a trust policy, tags); without an account, every account's cached principals go stale.
 */
export function touch(section: IamSection, accountId?: string): void {
  if (accountId === undefined) section.revision += 1;
  else bump(section, accountId);
}
