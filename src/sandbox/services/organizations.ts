/**
 * Organizations (JSON 1.1): the accounts and OU tree of the scenario, read-only and paginated
 * like AWS (MaxResults 1-20, opaque NextToken), callable only from the management account.
 */
import type { ScenarioAccount } from '../scenario-types';
import { AwsError, type OperationContext, type ServiceEmulator } from '../types';
import type { World } from '../world';

const JOINED = Date.UTC(2021, 0, 4, 9, 30, 0);

function worldOf(ctx: OperationContext): World {
  const world = ctx.world as World;
  if (!world.isMember(ctx.caller.accountId)) {
    throw new AwsError(
      'AWSOrganizationsNotInUseException',
      'Your account is not a member of an organization.',
    );
  }
  if (ctx.caller.accountId !== world.managementAccountId) {
    throw new AwsError(
      'AccessDeniedException',
      "You don't have permissions to access this resource. Only the management account can call this operation.",
    );
  }
  return world;
}

/** Slices a list the way AWS pages it; the token is opaque but carries the operation and offset. */
function page<T>(
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

function accountShape(world: World, a: ScenarioAccount) {
  const org = world.scenario.organization;
  return {
    Id: a.id,
    Arn: `arn:aws:organizations::${org.managementAccountId}:account/${org.id}/${a.id}`,
    Email: a.email ?? `${a.name}@example.com`,
    Name: a.name,
    Status: a.status ?? 'ACTIVE',
    State: a.status === 'SUSPENDED' ? 'SUSPENDED' : 'ACTIVE',
    JoinedMethod: a.id === org.managementAccountId ? 'CREATED' : 'INVITED',
    JoinedTimestamp: new Date(JOINED),
  };
}

function checkParent(world: World, parentId: unknown): string {
  const org = world.scenario.organization;
  const id = String(parentId ?? '');
  if (id !== org.rootId && !org.ous.some((o) => o.id === id)) {
    throw new AwsError(
      'ParentNotFoundException',
      "We can't find a root or OU with the ParentId that you specified.",
    );
  }
  return id;
}

function parentOf(world: World, a: ScenarioAccount): string {
  return a.parent ?? world.scenario.organization.rootId;
}

export function createOrganizationsService(): ServiceEmulator {
  return {
    signingName: 'organizations',
    protocol: 'json',
    targetPrefix: 'AWSOrganizationsV20161128',
    operations: {
      DescribeOrganization(_p, ctx) {
        const world = worldOf(ctx);
        const org = world.scenario.organization;
        const management = world.accounts.get(org.managementAccountId);
        return {
          Organization: {
            Id: org.id,
            Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${org.id}`,
            FeatureSet: 'ALL',
            MasterAccountArn: `arn:aws:organizations::${org.managementAccountId}:account/${org.id}/${org.managementAccountId}`,
            MasterAccountId: org.managementAccountId,
            MasterAccountEmail: management?.email ?? `${management?.name ?? 'management'}@example.com`,
            AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
          },
        };
      },
      DescribeAccount(p, ctx) {
        const world = worldOf(ctx);
        const account = world.accounts.get(String(p.AccountId ?? ''));
        if (!account)
          throw new AwsError('AccountNotFoundException', "You specified an account that doesn't exist.");
        return { Account: accountShape(world, account) };
      },
      ListAccounts(p, ctx) {
        const world = worldOf(ctx);
        const all = world.scenario.organization.accounts.map((a) => accountShape(world, a));
        const { page: accounts, NextToken } = page(all, p, 'ListAccounts');
        return { Accounts: accounts, NextToken };
      },
      ListRoots(p, ctx) {
        const world = worldOf(ctx);
        const org = world.scenario.organization;
        const roots = [
          {
            Id: org.rootId,
            Arn: `arn:aws:organizations::${org.managementAccountId}:root/${org.id}/${org.rootId}`,
            Name: 'Root',
            PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
          },
        ];
        const { page: items, NextToken } = page(roots, p, 'ListRoots');
        return { Roots: items, NextToken };
      },
      ListOrganizationalUnitsForParent(p, ctx) {
        const world = worldOf(ctx);
        const org = world.scenario.organization;
        const parent = checkParent(world, p.ParentId);
        const ous = org.ous
          .filter((o) => (o.parent ?? org.rootId) === parent)
          .map((o) => ({
            Id: o.id,
            Arn: `arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${o.id}`,
            Name: o.name,
          }));
        const { page: items, NextToken } = page(ous, p, `ListOUs:${parent}`);
        return { OrganizationalUnits: items, NextToken };
      },
      ListAccountsForParent(p, ctx) {
        const world = worldOf(ctx);
        const parent = checkParent(world, p.ParentId);
        const accounts = world.scenario.organization.accounts
          .filter((a) => parentOf(world, a) === parent)
          .map((a) => accountShape(world, a));
        const { page: items, NextToken } = page(accounts, p, `ListAccountsForParent:${parent}`);
        return { Accounts: items, NextToken };
      },
      ListParents(p, ctx) {
        const world = worldOf(ctx);
        const org = world.scenario.organization;
        const child = String(p.ChildId ?? '');
        const account = world.accounts.get(child);
        const ou = org.ous.find((o) => o.id === child);
        if (!account && !ou)
          throw new AwsError(
            'ChildNotFoundException',
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
          );
        const parentId = account ? parentOf(world, account) : (ou?.parent ?? org.rootId);
        return {
          Parents: [{ Id: parentId, Type: parentId === org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }],
        };
      },
    },
  };
}
