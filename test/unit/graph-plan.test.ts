import { InvalidInputError } from '../../src/core/errors';
import type { PlannedLane } from '../../src/core/graph-plan';
import {
  fanOutFor,
  fanOutItems,
  type OrganizationView,
  type RegionView,
  resolveTargets,
} from '../../src/core/plan';
import type { StackGraphRollout } from '../../src/core/rollout-input';
import { parseRolloutInput } from '../../src/core/rollout-validation';

/**
 * Planning the stacks form: which stacks each target runs (a stack's targets and regions narrow
 * the rollout's), the lanes the fan-out runs, and what the graph cannot do in some target. The
 * planner, Validate input and the CLI all call resolveTargets, so this is what each of them does.
 */

const MGMT = '000000000001';
const org: OrganizationView = {
  managementAccountId: MGMT,
  accounts: [
    { id: MGMT, status: 'ACTIVE' },
    { id: '100000000001', status: 'ACTIVE' },
    { id: '100000000002', status: 'ACTIVE' },
    { id: '200000000001', status: 'ACTIVE' },
  ],
  children: {
    'r-root': { organizationalUnits: ['ou-root-apps0000', 'ou-root-logs0000'], accounts: [MGMT] },
    'ou-root-apps0000': { organizationalUnits: [], accounts: ['100000000001', '100000000002'] },
    'ou-root-logs0000': { organizationalUnits: [], accounts: ['200000000001'] },
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

function rollout(stacks: unknown[], extra: Record<string, unknown> = {}): StackGraphRollout {
  return parseRolloutInput({
    rolloutId: 'plan-graph',
    mode: 'deploy',
    executionRoleName: 'StackFleetExecution',
    stacks,
    targets: { organizationalUnits: ['r-root'], regions: ['eu-west-1', 'us-east-1'] },
    ...extra,
  }) as StackGraphRollout;
}

const logging = { name: 'logging', stackName: 'stackfleet-logging', template: t('logging') };
const config = {
  name: 'config',
  stackName: 'stackfleet-config',
  template: t('config'),
  parameters: { Bucket: { fromStack: 'logging', output: 'BucketName' }, Days: 30 },
  parameterOverrides: [{ regions: ['us-east-1'], parameters: { Days: 90 } }],
};
const guard = { name: 'guard', stackName: 'stackfleet-guard', template: t('guard'), regions: ['us-east-1'] };

const lanesOf = (lanes: PlannedLane[][], account: string, region: string) =>
  lanes.find((l) => l[0]?.accountId === account && l[0]?.region === region) ?? [];

describe('resolveTargets in the stacks form', () => {
  it("plans each target's lanes with each stack's parameters for it, narrowed by the stack's regions", () => {
    const { plan } = resolveTargets(rollout([logging, config, guard]), org, regions);
    expect(plan.targets).toHaveLength(6);
    const east = lanesOf(plan.graph?.targets ?? [], '100000000001', 'us-east-1');
    expect(east.map((l) => l.lane.stacks.map((s) => s.name))).toEqual([['logging', 'config'], ['guard']]);
    expect(east.map((l) => l.executionName)).toEqual([
      '100000000001-us-east-1-lane1-plan-graph',
      '100000000001-us-east-1-lane2-plan-graph',
    ]);
    expect(east[0]?.lane.stacks[1]).toEqual({
      name: 'config',
      parameters: { Days: '90' },
      waitFor: [],
      announce: false,
      executionName: '100000000001-us-east-1-config-plan-graph',
    });
    const west = lanesOf(plan.graph?.targets ?? [], '100000000001', 'eu-west-1');
    expect(west.map((l) => l.lane.stacks.map((s) => s.name))).toEqual([['logging', 'config']]);
    expect(west[0]?.lane.stacks[1]?.parameters).toEqual({ Days: '30' });
  });

  it("narrows a stack to some accounts, and skips a target that runs none of the rollout's stacks", () => {
    const input = rollout([
      { ...logging, targets: { organizationalUnits: ['ou-root-logs0000'] } },
      { ...guard, targets: { accounts: ['100000000001'] } },
    ]);
    const { plan } = resolveTargets(input, org, regions);
    const run = (plan.graph?.targets ?? []).map((l) => `${l[0]?.accountId} ${l[0]?.region}`);
    expect(run.sort()).toEqual([
      '100000000001 us-east-1',
      '200000000001 eu-west-1',
      '200000000001 us-east-1',
    ]);
    expect(plan.skipped.map((s) => `${s.accountId} ${s.region}`)).toEqual([
      '100000000001 eu-west-1',
      '100000000002 eu-west-1',
      '100000000002 us-east-1',
    ]);
    expect(plan.skipped[0]?.reason).toContain('No stack of the rollout runs in 100000000001 eu-west-1');
  });

  it('marks a dependency in another lane: the dependant waits for it, the dependency announces itself', () => {
    const a = { name: 'a', stackName: 'stackfleet-a', template: t('a') };
    const b = { name: 'b', stackName: 'stackfleet-b', template: t('b'), dependsOn: ['a'] };
    const c = { name: 'c', stackName: 'stackfleet-c', template: t('c'), dependsOn: ['a'] };
    const d = { name: 'd', stackName: 'stackfleet-d', template: t('d'), dependsOn: ['b', 'c'] };
    const { plan } = resolveTargets(rollout([a, b, c, d]), org, regions);
    const lanes = lanesOf(plan.graph?.targets ?? [], '100000000001', 'eu-west-1');
    const stacks = lanes.flatMap((l) => l.lane.stacks.map((s) => [s.name, s.waitFor, s.announce]));
    expect(stacks).toEqual([
      ['a', [], true],
      ['b', [], true],
      ['c', ['a'], false],
      ['d', ['b'], false],
    ]);
  });

  it('refuses a stack that reads the outputs of a dependency its target does not run', () => {
    const input = rollout([{ ...logging, regions: ['eu-west-1'] }, config]);
    let error: unknown;
    try {
      resolveTargets(input, org, regions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('stacks[1].parameters.Bucket.fromStack');
    expect((error as Error).message).toContain(
      'config runs in 100000000001 us-east-1, where logging does not',
    );
  });

  it("runs a stack where its regions and the rollout's meet, so --regions may leave it out (issue 17)", () => {
    // As `--regions eu-west-1` on the demo, whose guard stack is us-east-1 only.
    const input = rollout([logging, { ...guard, regions: ['us-east-1', 'eu-west-1'] }], {
      targets: { organizationalUnits: ['r-root'], regions: ['eu-west-1'] },
    });
    const { plan } = resolveTargets(input, org, regions);
    const west = lanesOf(plan.graph?.targets ?? [], '100000000001', 'eu-west-1');
    expect(west.map((l) => l.lane.stacks.map((s) => s.name))).toEqual([['logging'], ['guard']]);
    const onlyEast = rollout([logging, guard], {
      targets: { organizationalUnits: ['r-root'], regions: ['eu-west-1'] },
    });
    const names = (resolveTargets(onlyEast, org, regions).plan.graph?.targets ?? []).flatMap((lanes) =>
      lanes.flatMap((l) => l.lane.stacks.map((s) => `${l.accountId} ${l.region} ${s.name}`)),
    );
    expect(names.filter((n) => n.endsWith(' guard'))).toEqual([]);
    expect(names.filter((n) => n.endsWith(' logging'))).toHaveLength(3);
  });

  it("refuses a stack's region the partition lacks, naming the field: it would silently run nowhere there", () => {
    const input = rollout([logging, { ...guard, regions: ['us-east-1', 'ap-southeast-2'] }]);
    expect(() => resolveTargets(input, org, regions)).toThrow(
      'stacks[1].regions[1] must be a region of this partition (eu-west-1, us-east-1). Received: ap-southeast-2',
    );
  });

  it("refuses a stack's account that the rollout does not reach: its targets only narrow", () => {
    const input = rollout([{ ...logging, targets: { accounts: [MGMT] } }]);
    expect(() => resolveTargets(input, org, regions)).toThrow(
      "stacks[0].targets.accounts[0] must be one of the rollout's accounts: a stack's targets only narrow the rollout's targets. Received: 000000000001",
    );
  });

  it("fans out lanes: the tolerance counts lanes, a preview runs the canaries' lanes with the rest", () => {
    const input = rollout([logging, config, guard], {
      canaries: [{ accountId: '100000000001', region: 'us-east-1' }],
      failureTolerance: { percent: 10 },
    });
    const { plan } = resolveTargets(input, org, regions);
    const deploy = fanOutFor(input, plan);
    expect(fanOutItems(deploy).canaries).toHaveLength(2);
    expect(fanOutItems(deploy).targets).toHaveLength(7);
    expect(deploy.toleratedFailureCount).toBe(7);
    const preview = fanOutFor({ ...input, mode: 'preview' }, plan);
    expect(fanOutItems(preview).canaries).toHaveLength(0);
    expect(fanOutItems(preview).targets).toHaveLength(9);
  });
});
