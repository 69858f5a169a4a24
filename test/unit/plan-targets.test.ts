import fc from 'fast-check';
import { InvalidInputError } from '../../src/core/errors';
import {
  EXECUTION_NAME_MAX_LENGTH,
  isValidExecutionName,
  shortRolloutId,
  targetExecutionName,
} from '../../src/core/execution-name';
import {
  buildPlan,
  fanOutFor,
  needsPerAccountRegions,
  type OrganizationView,
  parametersFor,
  parseJsonLines,
  type RegionView,
  resolveAccounts,
  resolveTargets,
  toJsonLines,
  toleranceFor,
} from '../../src/core/plan';
import type { SingleStackRollout, TargetSelection } from '../../src/core/rollout-input';
import { parseRolloutInput } from '../../src/core/rollout-validation';

const MGMT = '000000000001';
/**
 * r-root
 *  ├─ MGMT, 100000000001
 *  ├─ ou-root-security: 200000000001, 200000000002 (SUSPENDED)
 *  │    └─ ou-root-nested: 300000000001
 *  │         └─ ou-root-deeper: 400000000001
 *  └─ ou-root-workloads: 500000000001, 500000000002
 */
const org: OrganizationView = {
  managementAccountId: MGMT,
  accounts: [
    { id: MGMT, status: 'ACTIVE' },
    { id: '100000000001', status: 'ACTIVE' },
    { id: '200000000001', status: 'ACTIVE' },
    { id: '200000000002', status: 'SUSPENDED' },
    { id: '300000000001', status: 'ACTIVE' },
    { id: '400000000001', status: 'ACTIVE' },
    { id: '500000000001', status: 'ACTIVE' },
    { id: '500000000002', status: 'PENDING_CLOSURE' },
  ],
  children: {
    'r-root': {
      organizationalUnits: ['ou-root-security', 'ou-root-workloads'],
      accounts: [MGMT, '100000000001'],
    },
    'ou-root-security': {
      organizationalUnits: ['ou-root-nested'],
      accounts: ['200000000001', '200000000002'],
    },
    'ou-root-nested': { organizationalUnits: ['ou-root-deeper'], accounts: ['300000000001'] },
    'ou-root-deeper': { organizationalUnits: [], accounts: ['400000000001'] },
    'ou-root-workloads': { organizationalUnits: [], accounts: ['500000000001', '500000000002'] },
  },
};

function selection(partial: Partial<TargetSelection>): TargetSelection {
  return {
    accounts: [],
    organizationalUnits: [],
    excludeAccounts: [],
    includeManagementAccount: false,
    regions: ['eu-west-1'],
    excludeRegions: [],
    ...partial,
  };
}

describe('resolveAccounts', () => {
  const cases: Array<[string, Partial<TargetSelection>, string[], string[]]> = [
    [
      'explicit accounts',
      { accounts: ['500000000001', '100000000001'] },
      ['100000000001', '500000000001'],
      [],
    ],
    [
      'an OU includes its nested OUs at any depth',
      { organizationalUnits: ['ou-root-security'] },
      ['200000000001', '300000000001', '400000000001'],
      ['200000000002'],
    ],
    ['a nested OU alone', { organizationalUnits: ['ou-root-nested'] }, ['300000000001', '400000000001'], []],
    [
      'the root reaches everyone but the management account',
      { organizationalUnits: ['r-root'] },
      ['100000000001', '200000000001', '300000000001', '400000000001', '500000000001'],
      ['200000000002', '500000000002'],
    ],
    [
      'the management account when asked',
      { organizationalUnits: ['ou-root-deeper'], includeManagementAccount: true },
      [MGMT, '400000000001'],
      [],
    ],
    [
      'exclusions win over OUs and explicit ids',
      {
        accounts: ['300000000001'],
        organizationalUnits: ['ou-root-security'],
        excludeAccounts: ['300000000001', '400000000001'],
      },
      ['200000000001'],
      ['200000000002'],
    ],
    [
      'an account named twice (explicitly and by OU) is planned once',
      { accounts: ['400000000001'], organizationalUnits: ['ou-root-nested', 'ou-root-deeper'] },
      ['300000000001', '400000000001'],
      [],
    ],
    [
      'accounts that are not ACTIVE are reported, not targeted',
      { accounts: ['200000000002', '500000000002', '500000000001'] },
      ['500000000001'],
      ['200000000002', '500000000002'],
    ],
  ];
  test.each(cases)('%s', (_name, partial, expected, inactive) => {
    const resolved = resolveAccounts(selection(partial), org);
    expect(resolved.accountIds).toEqual(expected);
    expect(resolved.inactive.map((i) => i.accountId)).toEqual(inactive);
  });

  test('refuses the management account listed explicitly without includeManagementAccount', () => {
    expect(() => resolveAccounts(selection({ accounts: [MGMT] }), org)).toThrow(
      /targets\.accounts\[0\] is the management account; set targets.includeManagementAccount: true.*Received: 000000000001/,
    );
  });

  test('refuses an account that is not in the organisation, naming it', () => {
    let error: unknown;
    try {
      resolveAccounts(selection({ accounts: ['100000000001', '999999999999'] }), org);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('targets.accounts[1]');
    expect((error as Error).message).toContain('Received: 999999999999');
  });

  test('refuses an OU that is not in the organisation', () => {
    expect(() => resolveAccounts(selection({ organizationalUnits: ['ou-root-gone'] }), org)).toThrow(
      'targets.organizationalUnits[0] must be an OU or root of the organisation. Received: ou-root-gone',
    );
  });
});

function rollout(
  partial: Record<string, unknown> = {},
  targets: Record<string, unknown> = {},
): SingleStackRollout {
  return <SingleStackRollout>parseRolloutInput({
    rolloutId: 'r-2026-11-27',
    mode: 'deploy',
    template: { bucket: 'bucket1', key: 'baseline.yaml', versionId: 'v1' },
    stackName: 'baseline',
    executionRoleName: 'Role',
    parameters: { Retention: '365', Alarm: 'on' },
    targets: { accounts: ['100000000001', '200000000001'], regions: ['eu-west-1', 'us-east-1'], ...targets },
    ...partial,
  });
}

const regions: RegionView = {
  allRegions: ['ap-east-1', 'eu-south-2', 'eu-west-1', 'us-east-1', 'us-west-2'],
  defaultRegions: ['eu-west-1', 'us-east-1', 'us-west-2'],
  enabledByAccount: {},
  unreachableAccounts: {},
};

const accounts = { accountIds: ['100000000001', '200000000001'], inactive: [] };

describe('buildPlan', () => {
  test('crosses accounts with explicit regions, sorted, each with its execution name', () => {
    const plan = buildPlan(rollout(), accounts, regions);
    expect(plan.targets.map((t) => `${t.accountId}/${t.region}`)).toEqual([
      '100000000001/eu-west-1',
      '100000000001/us-east-1',
      '200000000001/eu-west-1',
      '200000000001/us-east-1',
    ]);
    expect(plan.targets[0]?.executionName).toBe('100000000001-eu-west-1-r-2026-11-27');
    expect(plan.skipped).toEqual([]);
    expect(plan.canaries).toEqual([]);
  });

  test('an explicit opt-in region not enabled for an account is SKIPPED with a reason, not failed', () => {
    const plan = buildPlan(rollout({}, { regions: ['eu-west-1', 'ap-east-1'] }), accounts, {
      ...regions,
      enabledByAccount: {
        '100000000001': ['ap-east-1', 'eu-west-1', 'us-east-1'],
        '200000000001': ['eu-west-1', 'us-east-1'],
      },
    });
    expect(plan.targets.map((t) => `${t.accountId}/${t.region}`)).toEqual([
      '100000000001/ap-east-1',
      '100000000001/eu-west-1',
      '200000000001/eu-west-1',
    ]);
    expect(plan.skipped).toEqual([
      {
        accountId: '200000000001',
        region: 'ap-east-1',
        outcome: 'SKIPPED',
        reason: 'Region ap-east-1 is not enabled for account 200000000001 (opt-in region).',
      },
    ]);
  });

  test('ALL_ENABLED uses each account its own enabled regions, minus exclusions', () => {
    const plan = buildPlan(rollout({}, { regions: 'ALL_ENABLED', excludeRegions: ['us-west-2'] }), accounts, {
      ...regions,
      enabledByAccount: {
        '100000000001': ['eu-south-2', 'eu-west-1', 'us-east-1', 'us-west-2'],
        '200000000001': ['eu-west-1', 'us-east-1', 'us-west-2'],
      },
    });
    expect(plan.targets.map((t) => `${t.accountId}/${t.region}`)).toEqual([
      '100000000001/eu-south-2',
      '100000000001/eu-west-1',
      '100000000001/us-east-1',
      '200000000001/eu-west-1',
      '200000000001/us-east-1',
    ]);
  });

  test('ALL_ENABLED for an account whose role could not be asked falls back to the regions enabled everywhere', () => {
    const plan = buildPlan(rollout({}, { regions: 'ALL_ENABLED' }), accounts, {
      ...regions,
      enabledByAccount: { '100000000001': ['eu-west-1'] },
      unreachableAccounts: { '200000000001': 'AccessDenied' },
    });
    expect(plan.targets.filter((t) => t.accountId === '200000000001').map((t) => t.region)).toEqual(
      regions.defaultRegions,
    );
  });

  test('inactive accounts become SKIPPED lines for the whole account', () => {
    const plan = buildPlan(
      rollout(),
      { accountIds: ['100000000001'], inactive: [{ accountId: '200000000002', status: 'SUSPENDED' }] },
      regions,
    );
    expect(plan.skipped).toEqual([
      {
        accountId: '200000000002',
        region: '*',
        outcome: 'SKIPPED',
        reason: 'Account 200000000002 is SUSPENDED; only ACTIVE accounts are deployed to.',
      },
    ]);
  });

  test('parameter overrides apply per account and region, later ones winning', () => {
    const input = rollout({
      parameterOverrides: [
        { regions: ['us-east-1'], parameters: { Retention: '30', Global: 'yes' } },
        { accounts: ['200000000001'], parameters: { Alarm: 'off' } },
        { accounts: ['200000000001'], regions: ['us-east-1'], parameters: { Retention: '7' } },
      ],
    });
    const plan = buildPlan(input, accounts, regions);
    const params = Object.fromEntries(plan.targets.map((t) => [`${t.accountId}/${t.region}`, t.parameters]));
    expect(params).toEqual({
      '100000000001/eu-west-1': { Retention: '365', Alarm: 'on' },
      '100000000001/us-east-1': { Retention: '30', Alarm: 'on', Global: 'yes' },
      '200000000001/eu-west-1': { Retention: '365', Alarm: 'off' },
      '200000000001/us-east-1': { Retention: '7', Alarm: 'off', Global: 'yes' },
    });
  });

  test('canaries are moved out of the main targets', () => {
    const plan = buildPlan(
      rollout({ canaries: [{ accountId: '200000000001', region: 'eu-west-1' }] }),
      accounts,
      regions,
    );
    expect(plan.canaries.map((t) => `${t.accountId}/${t.region}`)).toEqual(['200000000001/eu-west-1']);
    expect(plan.targets.map((t) => `${t.accountId}/${t.region}`)).not.toContain('200000000001/eu-west-1');
    expect(plan.targets).toHaveLength(3);
  });

  test('a canary that is not a planned target is refused, with the skip reason when there is one', () => {
    const input = rollout(
      { canaries: [{ accountId: '200000000001', region: 'ap-east-1' }] },
      { regions: ['eu-west-1', 'ap-east-1'] },
    );
    expect(() =>
      buildPlan(input, accounts, {
        ...regions,
        enabledByAccount: { '100000000001': ['eu-west-1'], '200000000001': ['eu-west-1'] },
      }),
    ).toThrow(
      /canaries\[0\] must be one of the rollout's targets \(Region ap-east-1 is not enabled.*Received: 200000000001 ap-east-1/,
    );
  });

  test('an explicit region the partition does not have is refused', () => {
    expect(() => buildPlan(rollout({}, { regions: ['eu-west-1', 'me-south-1'] }), accounts, regions)).toThrow(
      /targets\.regions\[1\] must be a region of this partition .*Received: me-south-1/,
    );
  });
});

describe('needsPerAccountRegions', () => {
  test.each([
    [['eu-west-1', 'us-east-1'], false],
    [['eu-west-1', 'ap-east-1'], true],
    ['ALL_ENABLED', true],
  ] as const)('%j -> %s', (r, expected) => {
    expect(needsPerAccountRegions(selection({ regions: r as string[] | 'ALL_ENABLED' }), regions)).toBe(
      expected,
    );
  });
});

describe('parametersFor', () => {
  test('returns a copy: changing it does not change the rollout', () => {
    const input = rollout();
    const p = parametersFor(input, '100000000001', 'eu-west-1');
    p.Retention = 'changed';
    expect(input.parameters.Retention).toBe('365');
  });
});

describe('toleranceFor', () => {
  test.each([
    [{ count: 3 }, 200, { toleratedFailureCount: 3, toleratedFailurePercentage: 100 }],
    [{ count: 0 }, 5, { toleratedFailureCount: 0, toleratedFailurePercentage: 100 }],
    [{ percent: 10 }, 200, { toleratedFailureCount: 200, toleratedFailurePercentage: 10 }],
  ])('%j of %d targets', (tolerance, count, expected) => {
    expect(toleranceFor(tolerance, count)).toEqual(expected);
  });
});

describe('fanOutFor', () => {
  const plan = {
    canaries: [{ accountId: '300000000001', region: 'eu-west-1', parameters: {}, executionName: 'c' }],
    targets: [
      { accountId: '100000000001', region: 'eu-west-1', parameters: {}, executionName: 'a' },
      { accountId: '500000000001', region: 'eu-west-1', parameters: {}, executionName: 'b' },
    ],
    skipped: [],
  };

  test('a deploy keeps its canaries and its tolerance', () => {
    expect(fanOutFor({ mode: 'deploy', failureTolerance: { count: 0 } }, plan)).toEqual({
      canaries: plan.canaries,
      targets: plan.targets,
      toleratedFailureCount: 0,
      toleratedFailurePercentage: 100,
    });
  });

  test('a preview covers every target: no canary phase, and no failure ever stops it', () => {
    const fanOut = fanOutFor({ mode: 'preview', failureTolerance: { count: 0 } }, plan);
    expect(fanOut.canaries).toEqual([]);
    expect(fanOut.targets.map((t) => t.accountId)).toEqual(['100000000001', '300000000001', '500000000001']);
    // Distributed Map fails only when failures exceed the count: all targets failing is within it.
    expect(fanOut.toleratedFailureCount).toBe(3);
    expect(fanOut.toleratedFailurePercentage).toBe(100);
  });
});

describe('resolveTargets refuses mistakes that would change what is deployed', () => {
  const regions: RegionView = {
    allRegions: ['eu-west-1', 'us-east-1'],
    defaultRegions: ['eu-west-1', 'us-east-1'],
    enabledByAccount: {},
    unreachableAccounts: {},
  };
  const input = (extra: Record<string, unknown>) =>
    parseRolloutInput({
      rolloutId: 'ro-1',
      mode: 'deploy',
      template: { bucket: 'artifacts-bucket', key: 't.yaml' },
      stackName: 'baseline',
      executionRoleName: 'StackFleetExecution',
      targets: { organizationalUnits: ['r-root'], regions: ['eu-west-1'] },
      ...extra,
    });
  test.each([
    [
      'an excluded account the organisation lacks (the one meant stays in)',
      {
        targets: {
          organizationalUnits: ['r-root'],
          excludeAccounts: ['100000000009'],
          regions: ['eu-west-1'],
        },
      },
      'targets.excludeAccounts[0]',
    ],
    [
      'an excluded region the partition lacks',
      { targets: { organizationalUnits: ['r-root'], excludeRegions: ['eu-west-2'], regions: ['eu-west-1'] } },
      'targets.excludeRegions[0]',
    ],
    [
      'an override for an account the organisation lacks (the one meant gets the defaults)',
      { parameterOverrides: [{ accounts: ['100000000009'], parameters: { A: '1' } }] },
      'parameterOverrides[0].accounts[0]',
    ],
    [
      'an override for a region the partition lacks',
      { parameterOverrides: [{ regions: ['eu-west-2'], parameters: { A: '1' } }] },
      'parameterOverrides[0].regions[0]',
    ],
  ])('%s', (_what, extra, field) => {
    let error: unknown;
    try {
      resolveTargets(input(extra), org, regions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
    expect((error as Error).message).toMatch(/Received: (100000000009|eu-west-2)$/);
  });
});

describe('JSON Lines', () => {
  test('round-trips and writes one line per item', () => {
    const items = [{ a: 1 }, { b: 'x\ny' }];
    const text = toJsonLines(items);
    expect(text.split('\n')).toHaveLength(3);
    expect(parseJsonLines(text)).toEqual(items);
    expect(toJsonLines([])).toBe('');
  });
});

describe('execution names', () => {
  test('short rollout ids are kept; long ones keep a prefix and a hash', () => {
    expect(shortRolloutId('r-2026-11-27')).toBe('r-2026-11-27');
    const long = shortRolloutId('baseline-rollout-for-the-whole-organisation-2026');
    expect(long).toHaveLength(24);
    expect(long).toMatch(/^baseline-rollou-[0-9a-f]{8}$/);
    expect(shortRolloutId('baseline-rollout-for-the-whole-organisation-2027')).not.toBe(long);
  });

  test('names from any account, region and rollout id are valid, at most 80 characters and deterministic', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.stringMatching(/^[a-z]{2}(-gov)?-[a-z]{2,12}-\d$/),
        fc.string({ minLength: 1, maxLength: 200 }),
        (account, region, rolloutId) => {
          const name = targetExecutionName(account, region, rolloutId);
          expect(name.length).toBeLessThanOrEqual(EXECUTION_NAME_MAX_LENGTH);
          expect(isValidExecutionName(name)).toBe(true);
          expect(name.startsWith(`${account}-${region}-`)).toBe(true);
          expect(targetExecutionName(account, region, rolloutId)).toBe(name);
        },
      ),
    );
  });

  test.each([
    ['has space', false],
    ['ok-name_1.2', true],
    ['a'.repeat(81), false],
    ['', false],
    ['semi;colon', false],
    ['tab\tname', false],
    ['back`tick', false],
  ])('%j valid: %s', (name, valid) => {
    expect(isValidExecutionName(name)).toBe(valid);
  });
});
