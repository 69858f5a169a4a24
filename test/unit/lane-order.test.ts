import { laneRanks, orderLanesLongestFirst, type PlannedLane } from '../../src/core/graph-plan';
import { type OrganizationView, type RegionView, resolveTargets } from '../../src/core/plan';
import type { StackGraphRollout } from '../../src/core/rollout-input';
import { parseRolloutInput } from '../../src/core/rollout-validation';

/**
 * The order of the stacks form's fan-out items. A Distributed Map starts items in manifest order,
 * so with fewer slots than lanes the order decides which chains start late: longest expected
 * first, lane by lane (every target's long chain before any target's short one), and never a lane
 * before a lane it waits for.
 */

const org: OrganizationView = {
  managementAccountId: '000000000001',
  accounts: [
    { id: '000000000001', status: 'ACTIVE' },
    { id: '100000000001', status: 'ACTIVE' },
    { id: '100000000002', status: 'ACTIVE' },
  ],
  children: {
    'r-root': { organizationalUnits: ['ou-root-apps0000'], accounts: ['000000000001'] },
    'ou-root-apps0000': { organizationalUnits: [], accounts: ['100000000001', '100000000002'] },
  },
};
const regions: RegionView = {
  allRegions: ['eu-west-1', 'us-east-1'],
  defaultRegions: ['eu-west-1', 'us-east-1'],
  enabledByAccount: {},
  unreachableAccounts: {},
};
const t = (name: string) => ({
  bucket: 'stackfleet-artifacts',
  key: `templates/${name}.yaml`,
  versionId: 'v1',
});
const stack = (name: string, dependsOn: string[] = []) => ({
  name,
  stackName: `stackfleet-${name}`,
  template: t(name),
  dependsOn,
});

function lanesOf(stacks: unknown[]): PlannedLane[][] {
  const input = parseRolloutInput({
    rolloutId: 'order',
    mode: 'deploy',
    executionRoleName: 'StackFleetExecution',
    stacks,
    targets: { organizationalUnits: ['r-root'], regions: ['eu-west-1', 'us-east-1'] },
  }) as StackGraphRollout;
  return resolveTargets(input, org, regions).plan.graph?.targets ?? [];
}

const names = (lanes: PlannedLane[]) =>
  lanes.map((l) => `${l.accountId.slice(-1)} ${l.region} ${l.lane.stacks.map((s) => s.name).join('>')}`);

describe('orderLanesLongestFirst', () => {
  const twoChains = [
    stack('logging'),
    stack('network'),
    stack('config', ['logging']),
    stack('guard', ['network']),
    stack('detection', ['config']),
  ];

  it("starts every target's long chain before any target's short one, in plan order among equals", () => {
    const ordered = orderLanesLongestFirst(lanesOf(twoChains), () => 10);
    expect(names(ordered)).toEqual([
      '1 eu-west-1 logging>config>detection',
      '1 us-east-1 logging>config>detection',
      '2 eu-west-1 logging>config>detection',
      '2 us-east-1 logging>config>detection',
      '1 eu-west-1 network>guard',
      '1 us-east-1 network>guard',
      '2 eu-west-1 network>guard',
      '2 us-east-1 network>guard',
    ]);
  });

  it("ranks a lane by the stacks' estimates in its own target, so a chain expected slow somewhere starts first", () => {
    const chains = [
      stack('logging'),
      stack('network'),
      stack('config', ['logging']),
      stack('detection', ['config']),
    ];
    // network alone; logging > config > detection: 3 stacks. In account 2 us-east-1, network is expected to take 100 s.
    const ordered = orderLanesLongestFirst(lanesOf(chains), (name, lane) =>
      name === 'network' && lane.accountId === '100000000002' && lane.region === 'us-east-1' ? 100 : 10,
    );
    expect(names(ordered)).toEqual([
      '2 us-east-1 network',
      '1 eu-west-1 logging>config>detection',
      '1 us-east-1 logging>config>detection',
      '2 eu-west-1 logging>config>detection',
      '2 us-east-1 logging>config>detection',
      '1 eu-west-1 network',
      '1 us-east-1 network',
      '2 eu-west-1 network',
    ]);
  });
});

describe('laneRanks', () => {
  const lane = (
    index: number,
    stacks: Array<{ name: string; waitFor?: string[] }>,
    accountId = '100000000001',
  ): PlannedLane => ({
    accountId,
    region: 'eu-west-1',
    executionName: `${accountId}-eu-west-1-lane${index + 1}-order`,
    lane: {
      index,
      count: 2,
      stacks: stacks.map((s) => ({
        name: s.name,
        parameters: {},
        waitFor: s.waitFor ?? [],
        announce: false,
        executionName: `${accountId}-eu-west-1-${s.name}-order`,
      })),
    },
  });

  it('counts, after a stack, the longest chain of its dependants in other lanes', () => {
    // lane 0: a (5 s), then d (5 s); lane 1: b (1 s), then c (40 s), which waits for a.
    const lanes = [
      lane(0, [{ name: 'a' }, { name: 'd' }]),
      lane(1, [{ name: 'b' }, { name: 'c', waitFor: ['a'] }]),
    ];
    const seconds: Record<string, number> = { a: 5, d: 5, b: 1, c: 40 };
    expect(laneRanks(lanes, (n) => seconds[n] ?? 0)).toEqual([45, 41]);
  });

  it('never ranks a lane below a lane that waits for it, so it is never started after its waiter', () => {
    // lane 0: a (1 s); lane 1: b (50 s), then c (1 s), which waits for a. Another target's lane of 30 s.
    const waited = [lane(0, [{ name: 'a' }]), lane(1, [{ name: 'b' }, { name: 'c', waitFor: ['a'] }])];
    const seconds: Record<string, number> = { a: 1, b: 50, c: 1, x: 30 };
    expect(laneRanks(waited, (n) => seconds[n] ?? 0)).toEqual([51, 51]);
    const other = [lane(0, [{ name: 'x' }], '100000000002')];
    const ordered = orderLanesLongestFirst([other, waited], (n) => seconds[n] ?? 0);
    expect(ordered.map((l) => `${l.accountId.slice(-1)} ${l.lane.index}`)).toEqual(['1 0', '1 1', '2 0']);
  });
});
