/**
 * templates/baseline.yaml through the real rollout on the in-process sandbox (no sockets), to
 * every account and default region of the demo organisation with its faults removed: every
 * target is created, and each region got exactly the resources its Conditions promise.
 */
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { RolloutSummary } from '../../src/core/summary';
import { cfnSection, finalResources } from '../../src/sandbox/cfn/state';
import { demoScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';
import { openSandboxHarness, type RunResult, type SandboxHarness } from '../helpers/sandbox-harness';

const STACK = 'stackfleet-baseline';
const HOME = 'us-east-1';

/** The demo organisation as a clean slate: every role present, no injected failures or leftovers. */
function cleanDemo(): Scenario {
  const demo = demoScenario();
  return {
    ...demo,
    organization: {
      ...demo.organization,
      accounts: demo.organization.accounts.map(({ executionRole: _role, ...account }) => account),
    },
    faults: {},
  };
}

describe('baseline.yaml on every demo target', () => {
  let h: SandboxHarness;
  let run: RunResult;
  let scenario: Scenario;

  beforeAll(async () => {
    clearCredentialCache();
    scenario = cleanDemo();
    h = await openSandboxHarness({ scenario });
    run = await h.runRollout({
      rolloutId: 'baseline-all',
      mode: 'deploy',
      template: h.template,
      stackName: STACK,
      parameters: { HomeRegion: HOME, AdminAccountId: h.accountId, AdminRegion: h.region },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      executionRoleName: scenario.executionRoleName,
      ...(scenario.externalId ? { externalId: scenario.externalId } : {}),
      targets: { organizationalUnits: [scenario.organization.rootId], regions: scenario.regions },
      maxConcurrency: 100,
    });
  }, 300_000);

  const members = () =>
    scenario.organization.accounts.filter((a) => a.id !== scenario.organization.managementAccountId);
  const stackOf = (account: string, region: string) => {
    const target = cfnSection(h.sandbox.world).targets[`${account}/${region}`];
    const id = target?.byName[STACK];
    return id ? target?.stacks[id] : undefined;
  };

  it('creates the stack in every member account and region', () => {
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.output as RolloutSummary;
    expect(summary.counts.FAILED).toBe(0);
    expect(summary.counts.CREATED).toBe(members().length * scenario.regions.length);
    for (const account of members()) {
      for (const region of scenario.regions) {
        expect({ account, region, status: stackOf(account.id, region)?.status }).toEqual({
          account,
          region,
          status: 'CREATE_COMPLETE',
        });
      }
    }
  });

  it('puts the trail, its role, the containment policy and the IAM-change rule in the home region only', () => {
    const account = members()[0]!.id;
    const home = Object.keys(finalResources(stackOf(account, HOME)!));
    expect(home).toEqual(
      expect.arrayContaining([
        'Trail',
        'TrailBucket',
        'TrailToLogsRole',
        'ConfigRecorderRole',
        'ContainmentPolicy',
        'IamChangesRule',
      ]),
    );
    for (const region of scenario.regions.filter((r) => r !== HOME)) {
      const other = Object.keys(finalResources(stackOf(account, region)!));
      expect(other).toEqual(
        expect.arrayContaining(['ConfigRecorder', 'AlertsTopic', 'CloudTrailTamperingRule']),
      );
      expect(
        other.filter((id) => ['Trail', 'TrailBucket', 'ContainmentPolicy', 'IamChangesRule'].includes(id)),
      ).toEqual([]);
      // Each region owns the roles its recorder and forwarding use: no region waits for another.
      expect(other.filter((id) => id.endsWith('Role')).sort()).toEqual([
        'ConfigRecorderRole',
        'EventForwarderRole',
      ]);
    }
  });
});
