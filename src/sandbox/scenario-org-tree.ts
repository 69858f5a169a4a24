/**
 * The organisation's tree in a scenario: its id and root, the OUs below it (each parent known, no
 * cycle) and the accounts in them, and the management account, which must be one of them. The
 * fields Organizations enforces on top of the tree are in scenario-organization.ts.
 */
import type { Checker, Path } from './scenario-checker';
import type { ScenarioAccount, ScenarioOu } from './scenario-types';

export const ACCOUNT_ID = /^\d{12}$/;
/** An STS ExternalId: 2-1224 of [A-Za-z0-9+=,.@:/_-]. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;

/** Fields of the `organization` mapping (the tree's, and scenario-organization.ts's). */
export const ORGANIZATION_FIELDS = [
  'id',
  'managementAccountId',
  'rootId',
  'ous',
  'accounts',
  'enabledServicePrincipals',
  'delegatedAdministrators',
  'policies',
] as const;

/** An account id, which YAML reads as a number when it is written without quotes. */
export function accountIdAt(c: Checker, path: Path, value: unknown): string {
  return c.string(path, typeof value === 'number' ? String(value) : value, ACCOUNT_ID, '12 digits');
}

/** The tree as validated, with the id sets the other scenario fields are checked against. */
export interface OrganizationTree {
  id: string;
  rootId: string;
  ous: ScenarioOu[];
  ouIds: Set<string>;
  accounts: ScenarioAccount[];
  accountIds: Set<string>;
  managementAccountId: string;
}

/**
 * Validates the tree of the raw `organization` mapping and fills its defaults; `optInRegions` are
 * the regions an account may list in `optInRegionsEnabled`.
 */
export function validateOrganizationTree(
  c: Checker,
  orgRaw: Record<string, unknown>,
  optInRegions: readonly string[],
): OrganizationTree {
  const rootId =
    orgRaw.rootId === undefined
      ? 'r-sf01'
      : c.string(['organization', 'rootId'], orgRaw.rootId, ROOT_ID, 'a root id like r-ab12');
  const orgId =
    orgRaw.id === undefined
      ? 'o-stackfleet1'
      : c.string(['organization', 'id'], orgRaw.id, ORG_ID, 'an organization id like o-a1b2c3d4e5');

  const ous: ScenarioOu[] = [];
  const ouIds = new Set<string>();
  const ouList = orgRaw.ous === undefined ? [] : c.array(['organization', 'ous'], orgRaw.ous);
  ouList.forEach((o, i) => {
    const p: Path = ['organization', 'ous', i];
    const ou = c.object(p, o, ['id', 'name', 'parent']);
    const id = c.string([...p, 'id'], ou.id, OU_ID, 'an OU id like ou-ab12-cd34ef56');
    if (ouIds.has(id)) c.fail([...p, 'id'], 'is listed twice', id);
    ouIds.add(id);
    const name = c.string([...p, 'name'], ou.name, /^.{1,128}$/, 'a name of 1-128 characters');
    const parent = ou.parent === undefined ? rootId : c.string([...p, 'parent'], ou.parent);
    ous.push({ id, name, parent });
  });
  ous.forEach((ou, i) => {
    if (ou.parent !== rootId && !ouIds.has(ou.parent ?? '')) {
      c.fail(
        ['organization', 'ous', i, 'parent'],
        `must be the root (${rootId}) or a listed OU id`,
        ou.parent,
      );
    }
  });
  // Cycles in the OU tree would make parent walks loop forever.
  ous.forEach((ou, i) => {
    const seen = new Set<string>();
    let at: string | undefined = ou.id;
    while (at && at !== rootId) {
      if (seen.has(at))
        c.fail(['organization', 'ous', i, 'parent'], 'makes a cycle in the OU tree', ou.parent);
      seen.add(at);
      at = ous.find((o) => o.id === at)?.parent;
    }
  });

  const accounts: ScenarioAccount[] = [];
  const accountIds = new Set<string>();
  const accountList = c.array(['organization', 'accounts'], orgRaw.accounts);
  if (accountList.length === 0)
    c.fail(['organization', 'accounts'], 'must list at least the management account', orgRaw.accounts);
  accountList.forEach((a, i) => {
    const p: Path = ['organization', 'accounts', i];
    const acc = c.object(p, a, [
      'id',
      'name',
      'email',
      'parent',
      'executionRole',
      'tamperResponder',
      'optInRegionsEnabled',
      'status',
      'externalId',
    ]);
    const id = accountIdAt(c, [...p, 'id'], acc.id);
    if (accountIds.has(id)) c.fail([...p, 'id'], 'is listed twice', id);
    accountIds.add(id);
    const name = c.string([...p, 'name'], acc.name, /^.{1,50}$/, 'a name of 1-50 characters');
    const account: ScenarioAccount = { id, name };
    if (acc.email !== undefined)
      account.email = c.string([...p, 'email'], acc.email, /^[^@\s]+@[^@\s]+$/, 'an email address');
    account.parent = acc.parent === undefined ? rootId : c.string([...p, 'parent'], acc.parent);
    if (account.parent !== rootId && !ouIds.has(account.parent)) {
      c.fail([...p, 'parent'], `must be the root (${rootId}) or a listed OU id`, acc.parent);
    }
    account.executionRole =
      acc.executionRole === undefined
        ? 'present'
        : c.oneOf([...p, 'executionRole'], acc.executionRole, ['present', 'missing', 'deny'] as const);
    if (acc.tamperResponder !== undefined)
      account.tamperResponder = c.oneOf([...p, 'tamperResponder'], acc.tamperResponder, [
        'present',
        'missing',
      ] as const);
    account.status =
      acc.status === undefined
        ? 'ACTIVE'
        : c.oneOf([...p, 'status'], acc.status, ['ACTIVE', 'SUSPENDED'] as const);
    if (acc.optInRegionsEnabled !== undefined) {
      account.optInRegionsEnabled = c
        .array([...p, 'optInRegionsEnabled'], acc.optInRegionsEnabled)
        .map((r, j) => {
          const region = c.string([...p, 'optInRegionsEnabled', j], r);
          if (!optInRegions.includes(region))
            c.fail(
              [...p, 'optInRegionsEnabled', j],
              `must be one of optInRegions (${optInRegions.join(', ') || 'none'})`,
              region,
            );
          return region;
        });
    }
    if (acc.externalId !== undefined)
      account.externalId = c.string(
        [...p, 'externalId'],
        acc.externalId,
        EXTERNAL_ID,
        'an ExternalId: 2-1224 of [A-Za-z0-9+=,.@:/_-]',
      );
    accounts.push(account);
  });
  const managementAccountId = accountIdAt(
    c,
    ['organization', 'managementAccountId'],
    orgRaw.managementAccountId === undefined ? accounts[0]?.id : orgRaw.managementAccountId,
  );
  if (!accountIds.has(managementAccountId)) {
    c.fail(
      ['organization', 'managementAccountId'],
      'must be one of the listed accounts',
      managementAccountId,
    );
  }
  return { id: orgId, rootId, ous, ouIds, accounts, accountIds, managementAccountId };
}
