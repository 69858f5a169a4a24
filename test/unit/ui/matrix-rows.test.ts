import { layoutRows, UNKNOWN_OU } from '../../../src/ui/page/matrix-rows';

const cell = (account: string, region: string, outcome: string) =>
  [`${account}|${region}`, { account, region, outcome }] as const;
const cells = new Map([
  cell('111111111111', 'eu-west-1', 'CREATED'),
  cell('111111111111', 'us-east-1', 'CREATED'),
  cell('222222222222', 'eu-west-1', 'FAILED'),
  cell('222222222222', 'us-east-1', 'CREATED'),
  cell('333333333333', 'eu-west-1', 'UPDATED'),
  cell('333333333333', 'us-east-1', 'FAILED'),
  cell('444444444444', 'us-east-1', 'SKIPPED'),
]);
const labels = new Map([
  ['111111111111', { name: 'management', ou: 'Root' }],
  ['222222222222', { name: 'audit', ou: 'Root/Security' }],
  ['333333333333', { name: 'app-prod', ou: 'Root/Workloads/Prod' }],
]);
const none = new Set<string>();
const accountsOf = (rows: ReturnType<typeof layoutRows>['rows']) =>
  rows.flatMap((r) => (r.kind === 'account' ? [r.account] : []));

describe('layoutRows', () => {
  it('groups accounts under their OU path, named, unknown OU last', () => {
    const { rows, regions } = layoutRows(cells, labels, { outcomes: none, query: '' });
    expect(rows.map((r) => (r.kind === 'ou' ? `[${r.ou}: ${r.accounts}]` : r.label))).toEqual([
      '[Root: 1]',
      'management · 111111111111',
      '[Root/Security: 1]',
      'audit · 222222222222',
      '[Root/Workloads/Prod: 1]',
      'app-prod · 333333333333',
      `[${UNKNOWN_OU}: 1]`,
      '444444444444',
    ]);
    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('keeps only accounts with a failed target when filtered to FAILED', () => {
    const { rows } = layoutRows(cells, labels, { outcomes: new Set(['FAILED']), query: '' });
    expect(accountsOf(rows)).toEqual(['222222222222', '333333333333']);
  });

  it.each([
    ['an account id', '4444', ['444444444444'], ['us-east-1']],
    ['an account name, any case', 'AUDIT', ['222222222222'], ['eu-west-1', 'us-east-1']],
    ['an OU path', 'workloads', ['333333333333'], ['eu-west-1', 'us-east-1']],
    [
      'a region (its column only)',
      'eu-west',
      ['111111111111', '222222222222', '333333333333'],
      ['eu-west-1'],
    ],
  ])('searches by %s', (_, query, accounts, regions) => {
    const laid = layoutRows(cells, labels, { outcomes: none, query });
    expect([accountsOf(laid.rows), laid.regions]).toEqual([accounts, regions]);
  });

  it('combines search and outcome filter, and shows nothing when nothing matches', () => {
    const both = layoutRows(cells, labels, { outcomes: new Set(['FAILED']), query: 'us-east' });
    expect(accountsOf(both.rows)).toEqual(['333333333333']);
    expect(layoutRows(cells, labels, { outcomes: none, query: 'payroll' }).rows).toEqual([]);
  });
});
