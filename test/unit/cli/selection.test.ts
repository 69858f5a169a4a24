import { describeResolution, describeSelection } from '../../../src/cli/selection';
import { fanOutFor, resolveTargets } from '../../../src/core/plan';
import { parseRolloutInput } from '../../../src/core/rollout-validation';

/** The lines printed before anything starts: what was asked, and what it resolves to. */
const org = {
  managementAccountId: '100000000000',
  accounts: [
    { id: '100000000000', status: 'ACTIVE' },
    { id: '100000000001', status: 'ACTIVE' },
    { id: '100000000002', status: 'ACTIVE' },
    { id: '100000000003', status: 'SUSPENDED' },
  ],
  children: {
    'r-ab12': { organizationalUnits: ['ou-ab12-members1'], accounts: ['100000000000'] },
    'ou-ab12-members1': {
      organizationalUnits: [],
      accounts: ['100000000001', '100000000002', '100000000003'],
    },
  },
};
const regions = {
  allRegions: ['af-south-1', 'eu-west-1', 'us-east-1'],
  defaultRegions: ['eu-west-1', 'us-east-1'],
  enabledByAccount: {
    '100000000001': ['af-south-1', 'eu-west-1', 'us-east-1'],
    '100000000002': ['eu-west-1', 'us-east-1'],
  },
  unreachableAccounts: {},
};

function request(targets: Record<string, unknown>, mode = 'deploy') {
  return parseRolloutInput({
    rolloutId: 'ro-1',
    mode,
    template: { bucket: 'artifacts-bucket', key: 't.yaml' },
    stackName: 'baseline',
    executionRoleName: 'StackFleetExecution',
    targets,
  });
}

describe('the selection lines', () => {
  it('count accounts x regions = targets and say why each skipped target is skipped', () => {
    const input = request({
      organizationalUnits: ['r-ab12'],
      regions: ['us-east-1', 'eu-west-1', 'af-south-1'],
    });
    const { accounts, plan } = resolveTargets(input, org, regions);
    expect(describeResolution(accounts, plan, fanOutFor(input, plan), {})).toEqual([
      'Resolved: 2 accounts in 3 regions = 5 targets, 2 skipped',
      '  skipped: af-south-1 is not enabled in 1 account (100000000002)',
      '  skipped: 1 account SUSPENDED (100000000003)',
    ]);
  });

  it('use "x" when every account gets every region, and name what the flags replaced', () => {
    const input = request({
      accounts: ['100000000001', '100000000002'],
      regions: ['us-east-1', 'eu-west-1'],
    });
    const { accounts, plan } = resolveTargets(input, org, regions);
    expect(
      describeResolution(accounts, plan, fanOutFor(input, plan), { '100000000002': 'AccessDenied' }),
    ).toEqual([
      'Resolved: 2 accounts x 2 regions = 4 targets, 0 skipped',
      '  note: enabled regions could not be read in 1 account (100000000002); planned on the regions enabled everywhere',
    ]);
    expect(
      describeSelection(input.targets, { 'targets.accounts': '--accounts', 'targets.regions': '--regions' }),
    ).toBe(
      'Targets: accounts 100000000001, 100000000002 (from --accounts); regions us-east-1, eu-west-1 (from --regions)',
    );
  });
});
