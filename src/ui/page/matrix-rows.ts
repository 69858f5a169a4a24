/**
 * The matrix's rows and columns, pure: accounts grouped under their OU (sorted by OU path, then
 * account name), narrowed by the outcome filter and the search. Kept apart from the canvas so the
 * rules are tested without a browser.
 */

/** What the toolbar asks for. */
export interface FilterState {
  /** Outcomes to show; empty shows every outcome. */
  outcomes: ReadonlySet<string>;
  /** Case-insensitive text matched against account id, account name, OU path and region. */
  query: string;
}

export type MatrixRow =
  | { kind: 'ou'; ou: string; accounts: number }
  | { kind: 'account'; account: string; name: string; ou: string; label: string };

interface CellLike {
  account: string;
  region: string;
  outcome: string;
}

/** OU shown for accounts the directory does not know (names were not readable). */
export const UNKNOWN_OU = '(OU unknown)';

/**
 * Rows to draw and region columns. An account is listed when at least one of its cells passes
 * both filters; a region is a column when the search names it (or does not name any region) and
 * some listed account has a cell there.
 */
export function layoutRows(
  cells: ReadonlyMap<string, CellLike>,
  labels: ReadonlyMap<string, { name: string; ou: string }>,
  filter: FilterState,
): { rows: MatrixRow[]; regions: string[] } {
  const query = filter.query.trim().toLowerCase();
  const allRegions = new Set<string>();
  for (const c of cells.values()) allRegions.add(c.region);
  const regionHit = (region: string) => query !== '' && region.toLowerCase().includes(query);
  const queryNamesRegion = [...allRegions].some(regionHit);

  const accountText = new Map<string, string>();
  const textOf = (account: string) => {
    let text = accountText.get(account);
    if (text === undefined) {
      const l = labels.get(account);
      text = `${account} ${l?.name ?? ''} ${l?.ou ?? ''}`.toLowerCase();
      accountText.set(account, text);
    }
    return text;
  };

  const listed = new Set<string>();
  const columns = new Set<string>();
  for (const c of cells.values()) {
    if (filter.outcomes.size > 0 && !filter.outcomes.has(c.outcome)) continue;
    const byAccount = query === '' || textOf(c.account).includes(query);
    const byRegion = regionHit(c.region);
    if (!byAccount && !byRegion) continue;
    listed.add(c.account);
    // A search that names a region keeps only that region's columns, even for matching accounts.
    if (!queryNamesRegion || byRegion) columns.add(c.region);
  }

  const groups = new Map<string, Array<{ account: string; name: string }>>();
  for (const account of listed) {
    const l = labels.get(account);
    const ou = l?.ou || UNKNOWN_OU;
    let group = groups.get(ou);
    if (!group) {
      group = [];
      groups.set(ou, group);
    }
    group.push({ account, name: l?.name ?? '' });
  }
  const rows: MatrixRow[] = [];
  for (const ou of [...groups.keys()].sort(compareOu)) {
    const group = groups.get(ou)!;
    group.sort(
      (a, b) =>
        (a.name || a.account).localeCompare(b.name || b.account) || a.account.localeCompare(b.account),
    );
    rows.push({ kind: 'ou', ou, accounts: group.length });
    for (const { account, name } of group) {
      rows.push({ kind: 'account', account, name, ou, label: name ? `${name} · ${account}` : account });
    }
  }
  return { rows, regions: [...columns].sort() };
}

/** OU paths in tree order; accounts whose OU is unknown last. */
function compareOu(a: string, b: string): number {
  if (a === UNKNOWN_OU) return b === UNKNOWN_OU ? 0 : 1;
  if (b === UNKNOWN_OU) return -1;
  return a.localeCompare(b);
}
