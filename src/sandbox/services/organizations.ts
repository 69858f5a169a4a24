/**
 * Organizations (JSON 1.1): the accounts and OU tree of the scenario, paginated like AWS
 * (MaxResults 1-20, opaque NextToken). DescribeOrganization answers any member account; the other
 * reads answer the management account and delegated administrators only, as AWS does (rules in
 * organizations-common.ts); delegation and SCPs live in their own modules.
 */
import type { ScenarioAccount } from '../scenario-types';
import { AwsError, type ServiceEmulator } from '../types';
import type { World } from '../world';
import { accountShape, memberWorld, orgArns, page, readerWorld, requiredParam } from './organizations-common';
import { delegationOperations } from './organizations-delegation';
import { policyOperations } from './organizations-policies';

export { organizationIdOf, serviceControlPoliciesFor } from './organizations-policies';

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

function ouShape(world: World, ou: { id: string; name: string }) {
  return { Id: ou.id, Arn: orgArns.ou(world, ou.id), Name: ou.name };
}

export function createOrganizationsService(): ServiceEmulator {
  return {
    signingName: 'organizations',
    protocol: 'json',
    targetPrefix: 'AWSOrganizationsV20161128',
    operations: {
      DescribeOrganization(_p, ctx) {
        // "This operation can be called from any account in the organization." (API Reference)
        const world = memberWorld(ctx);
        const org = world.scenario.organization;
        const management = world.accounts.get(org.managementAccountId);
        return {
          Organization: {
            Id: org.id,
            Arn: orgArns.organization(world),
            FeatureSet: 'ALL',
            MasterAccountArn: orgArns.account(world, org.managementAccountId),
            MasterAccountId: org.managementAccountId,
            MasterAccountEmail: management?.email ?? `${management?.name ?? 'management'}@example.com`,
            AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
          },
        };
      },
      DescribeAccount(p, ctx) {
        const world = readerWorld(ctx, 'DescribeAccount');
        const account = world.accounts.get(requiredParam(p, 'AccountId', /^\d{12}$/));
        if (!account)
          throw new AwsError('AccountNotFoundException', "You specified an account that doesn't exist.");
        return { Account: accountShape(world, account) };
      },
      DescribeOrganizationalUnit(p, ctx) {
        const world = readerWorld(ctx, 'DescribeOrganizationalUnit');
        const id = requiredParam(p, 'OrganizationalUnitId', /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/);
        const ou = world.scenario.organization.ous.find((o) => o.id === id);
        if (!ou) {
          throw new AwsError(
            'OrganizationalUnitNotFoundException',
            "We can't find an OU with the OrganizationalUnitId that you specified.",
          );
        }
        return { OrganizationalUnit: ouShape(world, ou) };
      },
      ListAccounts(p, ctx) {
        const world = readerWorld(ctx, 'ListAccounts');
        const all = world.scenario.organization.accounts.map((a) => accountShape(world, a));
        const { page: accounts, NextToken } = page(all, p, 'ListAccounts');
        return { Accounts: accounts, NextToken };
      },
      ListRoots(p, ctx) {
        const world = readerWorld(ctx, 'ListRoots');
        const org = world.scenario.organization;
        const roots = [
          {
            Id: org.rootId,
            Arn: orgArns.root(world, org.rootId),
            Name: 'Root',
            PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
          },
        ];
        const { page: items, NextToken } = page(roots, p, 'ListRoots');
        return { Roots: items, NextToken };
      },
      ListOrganizationalUnitsForParent(p, ctx) {
        const world = readerWorld(ctx, 'ListOrganizationalUnitsForParent');
        const org = world.scenario.organization;
        const parent = checkParent(world, p.ParentId);
        const ous = org.ous.filter((o) => (o.parent ?? org.rootId) === parent).map((o) => ouShape(world, o));
        const { page: items, NextToken } = page(ous, p, `ListOUs:${parent}`);
        return { OrganizationalUnits: items, NextToken };
      },
      ListAccountsForParent(p, ctx) {
        const world = readerWorld(ctx, 'ListAccountsForParent');
        const parent = checkParent(world, p.ParentId);
        const accounts = world.scenario.organization.accounts
          .filter((a) => parentOf(world, a) === parent)
          .map((a) => accountShape(world, a));
        const { page: items, NextToken } = page(accounts, p, `ListAccountsForParent:${parent}`);
        return { Accounts: items, NextToken };
      },
      ListChildren(p, ctx) {
        const world = readerWorld(ctx, 'ListChildren');
        const org = world.scenario.organization;
        const parent = checkParent(world, p.ParentId);
        const type = p.ChildType;
        if (type !== 'ACCOUNT' && type !== 'ORGANIZATIONAL_UNIT') {
          throw new AwsError(
            'InvalidInputException',
            `1 validation error detected: Value '${String(type ?? 'null')}' at 'childType' failed to satisfy constraint: Member must satisfy enum value set: [ACCOUNT, ORGANIZATIONAL_UNIT]`,
          );
        }
        const children =
          type === 'ACCOUNT'
            ? org.accounts.filter((a) => parentOf(world, a) === parent).map((a) => ({ Id: a.id, Type: type }))
            : org.ous
                .filter((o) => (o.parent ?? org.rootId) === parent)
                .map((o) => ({ Id: o.id, Type: type }));
        const { page: items, NextToken } = page(children, p, `ListChildren:${parent}:${type}`);
        return { Children: items, NextToken };
      },
      ListParents(p, ctx) {
        const world = readerWorld(ctx, 'ListParents');
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
      ...delegationOperations,
      ...policyOperations,
    },
  };
}
