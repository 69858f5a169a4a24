/**
 * A small organisation with the baseline rolled out and forwarding tampering events to the admin
 * account, for the tamper-response tests: the management account (also stackfleet's admin
 * account) and two members in one region, an IAM user `mallory` with long-term keys in the first
 * member who may manage its trail, and a role `Operator` there that anyone in the account may
 * assume. The baseline is deployed by the real rollout state machine, so the trail, the
 * forwarding rule and its role are the ones a rollout makes.
 */
import { callInternal } from '../../src/sandbox/internal-call';
import { validateScenario } from '../../src/sandbox/scenario';
import type { Scenario } from '../../src/sandbox/scenario-types';
import type { Caller } from '../../src/sandbox/types';
import { openSandboxHarness, type SandboxHarness } from './sandbox-harness';

export const ADMIN = '111111111111';
export const MEMBER = '222222222222';
export const OTHER_MEMBER = '333333333333';
export const REGION = 'eu-west-1';
export const TRAIL = 'StackFleet-baseline';

export function tamperScenario(extra: Partial<Scenario> = {}): Scenario {
  return validateScenario({
    seed: 16,
    organization: {
      id: 'o-tamper0001',
      rootId: 'r-tp01',
      managementAccountId: ADMIN,
      ous: [{ id: 'ou-tp01-members0', name: 'Members' }],
      accounts: [
        { id: ADMIN, name: 'management' },
        { id: MEMBER, name: 'workload', parent: 'ou-tp01-members0' },
        { id: OTHER_MEMBER, name: 'sandbox', parent: 'ou-tp01-members0' },
      ],
    },
    regions: [REGION, 'us-east-1'],
    optInRegions: [],
    executionRoleName: 'StackFleetExecution',
    durations: { default: 0 },
    faults: {},
    accessKeys: [
      {
        accessKeyId: 'AKIAMALLORY',
        secretAccessKey: 'mallory-secret',
        accountId: MEMBER,
        userName: 'mallory',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['cloudtrail:*', 'config:*', 's3:ListAllMyBuckets'], Resource: '*' },
          ],
        },
      },
    ],
    ...extra,
  } as unknown as Scenario);
}

/** Opens the harness and rolls the baseline out to the members, forwarding to the admin account. */
export async function openTamperWorld(extra: Partial<Scenario> = {}): Promise<SandboxHarness> {
  const h = await openSandboxHarness({ scenario: tamperScenario(extra), region: REGION });
  const rollout = await h.runRollout({
    mode: 'deploy',
    stackName: 'stackfleet-baseline',
    executionRoleName: 'StackFleetExecution',
    template: h.template,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    parameters: { HomeRegion: REGION, AdminAccountId: ADMIN, AdminRegion: REGION },
    targets: { organizationalUnits: ['ou-tp01-members0'], regions: [REGION] },
  });
  if (rollout.status !== 'SUCCEEDED')
    throw new Error(
      `the baseline rollout ended ${rollout.status}: ${rollout.cause ?? JSON.stringify(rollout.output)}`,
    );
  return h;
}

export const mallory: Caller = {
  accountId: MEMBER,
  accessKeyId: 'AKIAMALLORY',
  arn: `arn:aws:iam::${MEMBER}:user/mallory`,
  userName: 'mallory',
};

/** `caller` calls `operation` of `service` in the member's region, as through the wire (IAM applies). */
export function actAs(
  h: SandboxHarness,
  caller: Caller,
  service: string,
  operation: string,
  params: Record<string, unknown>,
): Promise<unknown> {
  return h.virtual(() =>
    callInternal(h.sandbox.world, {
      caller,
      service,
      operation,
      params,
      region: REGION,
      userAgent: 'aws-cli/2.x',
      sourceIp: '203.0.113.7',
    }),
  );
}

/** Waits under virtual time until every event and every execution it started has settled. */
export async function settle(h: SandboxHarness): Promise<void> {
  await h.virtual(async () => undefined);
}
