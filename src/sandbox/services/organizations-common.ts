/**
 * What the Organizations operations share: the persisted delegation state, who may call what
 * (the management account; a delegated administrator for the read-only calls), ARNs and paging.
 *
 * Access rules are the API Reference's: DescribeOrganization "can be called from any account in
 * the organization"; the List and Describe calls "only from the management account or a member
 * account that is a delegated administrator"; Register/DeregisterDelegatedAdministrator,
 * Enable/DisableAWSServiceAccess and Put/DeleteResourcePolicy "only from the management account".
 * A member account is a delegated administrator when it is registered for any service, or when
 * the organisation's resource-based delegation policy allows it the action (AWS Organizations User
 * Guide, "Delegated administrator for AWS Organizations").
 */
import type { PolicyDocument, PolicyStatement } from '../iam/types';
import type { ScenarioAccount } from '../scenario-types';
import { AwsError, type Caller, type OperationContext, type SandboxWorld } from '../types';
import type { World } from '../world';

/** AWS Organizations' answer to a caller that may not call an operation (the API's own wording). */
export const ACCESS_DENIED = "You don't have permissions to access this resource.";

/**
 * Service principals that can have a delegated administrator (AWS Organizations User Guide, "AWS
 * services that you can use with AWS Organizations", column "Supports Delegated Administrator").
 * A name outside this list is refused as UNRECOGNIZED_SERVICE_PRINCIPAL, as AWS refuses names it
 * does not know; the list is not exhaustive, so a real but unlisted service is refused too.
 */
export const DELEGATABLE_SERVICE_PRINCIPALS: readonly string[] = [
  'access-analyzer.amazonaws.com',
  'account.amazonaws.com',
  'auditmanager.amazonaws.com',
  'backup.amazonaws.com',
  'cloudtrail.amazonaws.com',
  'compute-optimizer.amazonaws.com',
  'config.amazonaws.com',
  'config-multiaccountsetup.amazonaws.com',
  'detective.amazonaws.com',
  'devops-guru.amazonaws.com',
  'fms.amazonaws.com',
  'guardduty.amazonaws.com',
  'health.amazonaws.com',
  'inspector2.amazonaws.com',
  'ipam.amazonaws.com',
  'license-manager.amazonaws.com',
  'macie.amazonaws.com',
  'member.org.stacksets.cloudformation.amazonaws.com',
  'reachabilityanalyzer.networkinsights.amazonaws.com',
  'securityhub.amazonaws.com',
  'securitylake.amazonaws.com',
  'servicecatalog.amazonaws.com',
  'ssm.amazonaws.com',
  'sso.amazonaws.com',
  'storage-lens.s3.amazonaws.com',
];

/** When the scenario's registrations and service access took effect (before any rollout). */
export const SEEDED_AT = Date.UTC(2021, 0, 4, 9, 30, 0);

export interface DelegatedAdministratorRecord {
  accountId: string;
  servicePrincipal: string;
  /** Epoch ms. */
  delegationEnabledDate: number;
}

/** The Organizations state that changes through the API (persisted; seeded from the scenario). */
export interface OrganizationsState {
  delegatedAdministrators: DelegatedAdministratorRecord[];
  /** Service principal -> epoch ms it was enabled (EnableAWSServiceAccess). */
  enabledServices: Record<string, number>;
  /** The resource-based delegation policy (PutResourcePolicy), as JSON text. */
  resourcePolicy?: { id: string; content: string };
}

/** The persisted Organizations section, created from the scenario's registrations the first time. */
export function organizationsState(world: SandboxWorld): OrganizationsState {
  return world.section<OrganizationsState>('organizations', () => {
    const org = world.scenario.organization;
    const enabledServices: Record<string, number> = {};
    for (const principal of org.enabledServicePrincipals ?? []) enabledServices[principal] = SEEDED_AT;
    return {
      delegatedAdministrators: (org.delegatedAdministrators ?? []).map((d) => ({
        accountId: d.accountId,
        servicePrincipal: d.servicePrincipal,
        delegationEnabledDate: SEEDED_AT,
      })),
      enabledServices,
    };
  });
}

/** The world of an Organizations call whose caller belongs to the organisation. */
export function memberWorld(ctx: OperationContext): World {
  const world = ctx.world as World;
  if (!world.isMember(ctx.caller.accountId)) {
    throw new AwsError(
      'AWSOrganizationsNotInUseException',
      'Your account is not a member of an organization.',
    );
  }
  return world;
}

/** For the calls only the management account may make. */
export function managementWorld(ctx: OperationContext): World {
  const world = memberWorld(ctx);
  if (ctx.caller.accountId !== world.managementAccountId)
    throw new AwsError('AccessDeniedException', ACCESS_DENIED);
  return world;
}

/** Whether a member account is registered as a delegated administrator for any service. */
export function isDelegatedAdministrator(world: SandboxWorld, accountId: string): boolean {
  return organizationsState(world).delegatedAdministrators.some((d) => d.accountId === accountId);
}

/** For the read-only calls: the management account, or a delegated administrator for `operation`. */
export function readerWorld(ctx: OperationContext, operation: string): World {
  const world = memberWorld(ctx);
  const caller = ctx.caller;
  if (caller.accountId === world.managementAccountId) return world;
  if (isDelegatedAdministrator(world, caller.accountId)) return world;
  const policy = organizationsState(world).resourcePolicy;
  if (policy && delegationPolicyAllows(policy.content, caller, `organizations:${operation}`)) return world;
  throw new AwsError('AccessDeniedException', ACCESS_DENIED);
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(value);
}

function namesCaller(statement: PolicyStatement, caller: Caller): boolean {
  const principal = statement.Principal;
  if (principal === undefined) return false;
  if (principal === '*') return true;
  const roleArn = caller.roleName ? `arn:aws:iam::${caller.accountId}:role/${caller.roleName}` : undefined;
  return list(principal.AWS).some(
    (p) =>
      p === '*' ||
      p === caller.accountId ||
      p === `arn:aws:iam::${caller.accountId}:root` ||
      p === caller.arn ||
      (roleArn !== undefined && p === roleArn),
  );
}

/**
 * Whether the delegation policy lets `caller` call `action`. Deliberately narrow until the
 * sandbox's IAM evaluator can take this over: an explicit Deny naming the caller wins; an Allow
 * counts only when it names the caller's account or principal, matches the action, applies to
 * `Resource: "*"` and has no Condition (a conditional grant is not honoured, so the sandbox
 * refuses rather than allows what it cannot evaluate).
 */
export function delegationPolicyAllows(content: string, caller: Caller, action: string): boolean {
  let doc: PolicyDocument;
  try {
    doc = JSON.parse(content) as PolicyDocument;
  } catch {
    return false;
  }
  const statements = list(doc.Statement);
  const matchesAction = (s: PolicyStatement) =>
    s.Action !== undefined && list(s.Action).some((a) => wildcard(a, action));
  if (statements.some((s) => s.Effect === 'Deny' && namesCaller(s, caller) && matchesAction(s))) return false;
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      s.Condition === undefined &&
      namesCaller(s, caller) &&
      matchesAction(s) &&
      list(s.Resource).includes('*'),
  );
}

/** ARNs of the organisation's entities (Organizations API Reference, "ARN formats"). */
export const orgArns = {
  organization: (w: World) =>
    `arn:aws:organizations::${w.managementAccountId}:organization/${w.scenario.organization.id}`,
  account: (w: World, id: string) =>
    `arn:aws:organizations::${w.managementAccountId}:account/${w.scenario.organization.id}/${id}`,
  ou: (w: World, id: string) =>
    `arn:aws:organizations::${w.managementAccountId}:ou/${w.scenario.organization.id}/${id}`,
  root: (w: World, id: string) =>
    `arn:aws:organizations::${w.managementAccountId}:root/${w.scenario.organization.id}/${id}`,
};

/** The Account shape of DescribeAccount, ListAccounts and the delegated-administrator lists. */
export function accountShape(world: World, a: ScenarioAccount) {
  const org = world.scenario.organization;
  return {
    Id: a.id,
    Arn: orgArns.account(world, a.id),
    Email: a.email ?? `${a.name}@example.com`,
    Name: a.name,
    Status: a.status ?? 'ACTIVE',
    State: a.status === 'SUSPENDED' ? 'SUSPENDED' : 'ACTIVE',
    JoinedMethod: a.id === org.managementAccountId ? 'CREATED' : 'INVITED',
    JoinedTimestamp: new Date(SEEDED_AT),
  };
}

/** Slices a list the way AWS pages it; the token is opaque but carries the operation and offset. */
export function page<T>(
  items: T[],
  params: Record<string, unknown>,
  scope: string,
): { page: T[]; NextToken?: string } {
  let max = 20;
  if (params.MaxResults !== undefined) {
    max = Number(params.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > 20) {
      throw new AwsError(
        'InvalidInputException',
        `1 validation error detected: Value '${String(params.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 20`,
      );
    }
  }
  let offset = 0;
  if (params.NextToken !== undefined && params.NextToken !== null) {
    try {
      const token = JSON.parse(Buffer.from(String(params.NextToken), 'base64').toString('utf8')) as {
        s: string;
        o: number;
      };
      if (token.s !== scope || !Number.isInteger(token.o) || token.o < 0) throw new Error('scope');
      offset = token.o;
    } catch {
      throw new AwsError(
        'InvalidInputException',
        'You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.',
      );
    }
  }
  const slice = items.slice(offset, offset + max);
  const next =
    offset + max < items.length
      ? Buffer.from(JSON.stringify({ s: scope, o: offset + max })).toString('base64')
      : undefined;
  return next ? { page: slice, NextToken: next } : { page: slice };
}

/** A required string parameter matching `pattern`, refused the way the API's validation refuses it. */
export function requiredParam(params: Record<string, unknown>, name: string, pattern: RegExp): string {
  const value = params[name];
  const member = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  if (typeof value !== 'string' || value === '') {
    throw new AwsError(
      'InvalidInputException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (!pattern.test(value)) {
    throw new AwsError(
      'InvalidInputException',
      `1 validation error detected: Value '${value.slice(0, 100)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}
