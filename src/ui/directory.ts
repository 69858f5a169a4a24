/**
 * Account names and OU paths for the matrix, read from Organizations as the UI's caller (the
 * management account or a delegated administrator may list the organisation; anyone else is
 * refused, and the matrix then shows account ids only, saying why).
 */
import {
  ListRootsCommand,
  type OrganizationsClient,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';

/** What the matrix shows beside an account id. */
export interface AccountInfo {
  name: string;
  /** OU path from the root, e.g. `Root/Workloads/Prod`. */
  ou: string;
}

export interface AccountDirectory {
  accounts: ReadonlyMap<string, AccountInfo>;
  /** Why names and OUs are missing (Organizations refused, no client given). */
  unavailable?: string;
}

/** Walks the organisation from its root: one ListOrganizationalUnitsForParent and ListAccountsForParent per OU. */
export async function readAccountDirectory(org: OrganizationsClient): Promise<Map<string, AccountInfo>> {
  const accounts = new Map<string, AccountInfo>();
  const roots = (await org.send(new ListRootsCommand({}))).Roots ?? [];
  const queue = roots.flatMap((r) => (r.Id ? [{ id: r.Id, path: r.Name || 'Root' }] : []));
  while (queue.length > 0) {
    const { id, path } = queue.shift()!;
    for await (const page of paginateListAccountsForParent({ client: org }, { ParentId: id })) {
      for (const a of page.Accounts ?? []) if (a.Id) accounts.set(a.Id, { name: a.Name ?? '', ou: path });
    }
    for await (const page of paginateListOrganizationalUnitsForParent({ client: org }, { ParentId: id })) {
      for (const ou of page.OrganizationalUnits ?? []) {
        if (ou.Id) queue.push({ id: ou.Id, path: `${path}/${ou.Name ?? ou.Id}` });
      }
    }
  }
  return accounts;
}

/**
 * The directory, read once and again after `ttlMs` (accounts move between OUs rarely); a failed
 * read answers an empty directory with the reason and is retried after the same interval.
 */
export class AccountDirectoryCache {
  private current: Promise<AccountDirectory> | undefined;
  private readAt = 0;

  constructor(
    private readonly org: OrganizationsClient | undefined,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  get(): Promise<AccountDirectory> {
    if (!this.org) {
      return Promise.resolve({
        accounts: new Map(),
        unavailable: 'the UI server was started without an Organizations client',
      });
    }
    if (!this.current || Date.now() - this.readAt > this.ttlMs) {
      this.readAt = Date.now();
      const org = this.org;
      this.current = readAccountDirectory(org).then(
        (accounts): AccountDirectory => ({ accounts }),
        (error: Error): AccountDirectory => ({
          accounts: new Map(),
          unavailable: `Organizations refused to list the organisation (${error.name}: ${error.message})`,
        }),
      );
    }
    return this.current;
  }
}
