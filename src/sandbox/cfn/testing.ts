/**
 * A minimal in-memory `SandboxWorld` and a direct caller for the CloudFormation emulator, so
 * its behaviour can be tested (and scripted) without the protocol layer: a settable clock,
 * seeded randomness, S3 objects put by hand, and enabled regions per account.
 */
import { createHash } from 'node:crypto';
import { DENIAL_SHAPES, operationIam } from '../iam/authorize';
import { resolvePrincipal } from '../iam/principal';
import type { Scenario } from '../scenario-types';
import { createCloudFormationService } from '../services/cloudformation';
import type { OperationContext, SandboxMetrics, SandboxWorld } from '../types';

export interface TestWorld extends SandboxWorld {
  /** Moves the clock forward. */
  advance(ms: number): void;
  /** Puts an S3 object version (returns its versionId). */
  putObject(bucket: string, key: string, body: string): string;
  /** Disables a region for an account. */
  disableRegion(accountId: string, region: string): void;
}

/** A scenario with one management and two member accounts in two regions. */
export function testScenario(overrides: Partial<Scenario> = {}): Scenario {
  return {
    seed: 42,
    organization: {
      id: 'o-abcdefghij',
      managementAccountId: '111111111111',
      rootId: 'r-abcd',
      ous: [],
      accounts: [
        { id: '111111111111', name: 'management' },
        { id: '222222222222', name: 'member-a' },
        { id: '333333333333', name: 'member-b' },
      ],
    },
    regions: ['eu-west-1', 'us-east-1'],
    optInRegions: ['af-south-1'],
    executionRoleName: 'StackFleetExecution',
    durations: { default: 10 },
    faults: {},
    ...overrides,
  };
}

/**
 * A world for tests. Pass `state` (a JSON round-trip of another world's `state`) to continue a
 * world the way the sandbox does after saving it to disk.
 */
export function createTestWorld(
  scenario: Scenario = testScenario(),
  start = Date.UTC(2026, 0, 1),
  state: Record<string, unknown> = {},
): TestWorld {
  let clock = start;
  const objects = new Map<string, Array<{ versionId: string; body: Buffer }>>();
  const disabled = new Set<string>();
  const metrics: SandboxMetrics = { calls: {}, cloudFormationCallsByTarget: {} };
  let versions = 0;
  return {
    scenario,
    state,
    metrics,
    extensions: {},
    section<T extends object>(service: string, init: () => T): T {
      if (!(service in state)) state[service] = init();
      return state[service] as T;
    },
    now: () => clock,
    advance(ms: number) {
      clock += ms;
    },
    random(key: string) {
      const digest = createHash('sha256').update(`${scenario.seed}/${key}`).digest();
      return digest.readUInt32BE(0) / 0x1_0000_0000;
    },
    isRegionEnabled(accountId: string, region: string) {
      if (disabled.has(`${accountId}/${region}`)) return false;
      if (scenario.regions.includes(region)) return true;
      const account = scenario.organization.accounts.find((a) => a.id === accountId);
      return account?.optInRegionsEnabled?.includes(region) ?? false;
    },
    readObject(bucket: string, key: string, versionId?: string) {
      const list = objects.get(`${bucket}/${key}`);
      if (!list || list.length === 0) return undefined;
      if (versionId === undefined) return list[list.length - 1];
      return list.find((v) => v.versionId === versionId);
    },
    putObject(bucket: string, key: string, body: string) {
      versions += 1;
      const versionId = `v${versions}`;
      const list = objects.get(`${bucket}/${key}`) ?? [];
      list.push({ versionId, body: Buffer.from(body) });
      objects.set(`${bucket}/${key}`, list);
      return versionId;
    },
    disableRegion(accountId: string, region: string) {
      disabled.add(`${accountId}/${region}`);
    },
  };
}

/** Calls a CloudFormation operation as `accountId` in `region`, as the protocol layer would. */
export function cfnCaller(world: SandboxWorld, defaults: { accountId?: string; region?: string } = {}) {
  const service = createCloudFormationService();
  let requests = 0;
  return async function call<T = Record<string, unknown>>(
    operation: string,
    params: Record<string, unknown> = {},
    where: { accountId?: string; region?: string } = {},
  ): Promise<T> {
    const accountId = where.accountId ?? defaults.accountId ?? '222222222222';
    const caller = { accountId, accessKeyId: 'AKIATEST', arn: `arn:aws:iam::${accountId}:root` };
    const region = where.region ?? defaults.region ?? 'eu-west-1';
    const ctx: OperationContext = {
      caller,
      region,
      now: () => world.now(),
      world,
      requestId: `req-${++requests}`,
      iam: operationIam(
        world,
        resolvePrincipal(world, caller),
        { region, now: world.now() },
        DENIAL_SHAPES.cloudformation as { code: string; status: number },
      ),
    };
    const op = service.operations[operation];
    if (!op) throw new Error(`not implemented in the sandbox: CloudFormation.${operation}`);
    // Round-trip through JSON like the wire does (Dates become strings), so tests see plain data.
    return JSON.parse(JSON.stringify(await op(params, ctx))) as T;
  };
}
