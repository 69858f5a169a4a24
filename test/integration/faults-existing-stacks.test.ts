/**
 * Fault injection on stacks that already exist (issue 9): 240 stacks are created cleanly, then
 * an update to a new template version meets stacks stuck in progress past the per-target
 * timeout, stacks in UPDATE_ROLLBACK_FAILED (one kind recovers with ContinueUpdateRollback, one
 * fails it again), and a rollout whose template version was deleted. Each run is checked against
 * test/helpers/invariants.ts; with the faults repaired a re-run converges.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { RolloutSummary } from '../../src/core/summary';
import { forceStackStatus, injectResourceFailure } from '../../src/sandbox/cfn/faults';
import { cfnSection } from '../../src/sandbox/cfn/state';
import {
  convergenceViolations,
  type FleetRollout,
  fleetAccount,
  fleetRequest,
  fleetRollout,
  fleetScenario,
  fleetTargets,
  fleetTemplate,
  outcomeOf,
} from '../helpers/invariants';
import { openSandboxHarness, type SandboxHarness, type TemplateLocation } from '../helpers/sandbox-harness';

jest.setTimeout(300_000);

const ACCOUNTS = 80;
// Named with the bootstrap's StackNamePrefix: the execution role touches only stackfleet-* stacks.
const STACK = 'stackfleet-fleet';
const TEMPLATE_KEY = 'templates/fleet.yaml';
const ALL_TARGETS = fleetTargets(ACCOUNTS);
const key = (account: number, region: string) => `${fleetAccount(account)}/${region}`;
const split = (k: string) => k.split('/') as [string, string];

type Rollout = FleetRollout;

function rollout(
  h: SandboxHarness,
  template: TemplateLocation,
  rolloutId: string,
  extra: Record<string, unknown> = {},
): Promise<Rollout> {
  return fleetRollout(h, template, rolloutId, { stackName: STACK, expectedTargets: ALL_TARGETS, extra });
}

function opsCount(h: SandboxHarness): number {
  let n = 0;
  for (const target of Object.values(cfnSection(h.sandbox.world).targets))
    for (const stack of Object.values(target.stacks)) n += stack.ops.length;
  return n;
}

describe('fault injection on 240 existing stacks', () => {
  const STUCK = [key(5, 'eu-west-1'), key(6, 'us-east-1'), key(7, 'af-south-1'), key(8, 'eu-west-1')];
  const ROLLBACK_RECOVERS = [key(30, 'eu-west-1'), key(31, 'us-east-1'), key(32, 'af-south-1')];
  const ROLLBACK_FAILS_AGAIN = [key(50, 'eu-west-1'), key(51, 'us-east-1')];
  const FAULTED = new Set([...STUCK, ...ROLLBACK_RECOVERS, ...ROLLBACK_FAILS_AGAIN]);
  let h: SandboxHarness;
  let v1: TemplateLocation;
  let v2: TemplateLocation;
  let base: Rollout;
  let update: Rollout;

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({ scenario: fleetScenario({ accounts: ACCOUNTS }) });
    v1 = await h.uploadTemplate(fleetTemplate('v1'), TEMPLATE_KEY);
    base = await rollout(h, v1, 'fi-base');
    const { world } = h.sandbox;
    // Someone else's update that never ends.
    for (const k of STUCK) forceStackStatus(world, ...split(k), STACK, 'UPDATE_IN_PROGRESS');
    for (const k of [...ROLLBACK_RECOVERS, ...ROLLBACK_FAILS_AGAIN])
      forceStackStatus(
        world,
        ...split(k),
        STACK,
        'UPDATE_ROLLBACK_FAILED',
        'The following resource(s) failed to update: [Topic]. ',
      );
    for (const k of ROLLBACK_FAILS_AGAIN) {
      const [account, region] = split(k);
      injectResourceFailure(world, {
        accounts: [account],
        regions: [region],
        on: 'rollback',
        reason: 'Resource handler returned message: "Topic policy locked by SCP"',
      });
    }
    v2 = await h.uploadTemplate(fleetTemplate('v2'), TEMPLATE_KEY);
    update = await rollout(h, v2, 'fi-update', { timeoutSeconds: 300 });
  });

  test('the clean rollout created all 240 stacks', () => {
    expect(base.problems).toEqual([]);
    expect((base.run.output as RolloutSummary).counts.CREATED).toBe(240);
  });

  test('the update keeps every invariant and updates every target without a fault', () => {
    expect(update.problems).toEqual([]);
    const others = ALL_TARGETS.filter((k) => !FAULTED.has(k)).map((k) => outcomeOf(update, k));
    expect(others.filter((t) => t.outcome !== 'UPDATED')).toEqual([]);
  });

  test('a stack stuck in progress past the per-target timeout: TargetTimedOut with a reason', () => {
    for (const k of STUCK) {
      const t = outcomeOf(update, k);
      expect(t).toMatchObject({ outcome: 'FAILED', error: 'TargetTimedOut' });
      expect(t.reason).toContain('UPDATE_IN_PROGRESS');
      expect(t.reason).toContain('per-target timeout is 300 s');
      // It gave up near the timeout, not long after.
      const took = (Date.parse(t.finishedAt ?? '') - Date.parse(t.startedAt ?? '')) / 1000;
      expect(took).toBeGreaterThanOrEqual(300);
      expect(took).toBeLessThan(300 + 120);
    }
  });

  test('UPDATE_ROLLBACK_FAILED: ContinueUpdateRollback, then the update', () => {
    for (const k of ROLLBACK_RECOVERS) expect(outcomeOf(update, k).outcome).toBe('UPDATED');
    expect(h.sandbox.world.metrics.calls['cloudformation.ContinueUpdateRollback']).toBeGreaterThanOrEqual(
      ROLLBACK_RECOVERS.length + ROLLBACK_FAILS_AGAIN.length,
    );
  });

  test('UPDATE_ROLLBACK_FAILED again after ContinueUpdateRollback: StackFailed saying so and naming the resource', () => {
    for (const k of ROLLBACK_FAILS_AGAIN) {
      const t = outcomeOf(update, k);
      expect(t).toMatchObject({ outcome: 'FAILED', error: 'StackFailed' });
      expect(t.reason).toContain('UPDATE_ROLLBACK_FAILED again after ContinueUpdateRollback');
      expect(t.reason).toMatch(/\w+ \(AWS::[\w:]+\) UPDATE_FAILED: .*locked by SCP/);
    }
  });

  // After a second UPDATE_ROLLBACK_FAILED the resource that could not roll back is named, with its
  // own reason, like every other failure.
  test('UPDATE_ROLLBACK_FAILED again: the failed resource and its own reason are reported', () => {
    for (const k of ROLLBACK_FAILS_AGAIN) {
      const t = outcomeOf(update, k);
      expect(t.failedResource?.logicalId).toBeTruthy();
      expect(`${t.reason} ${t.failedResource?.statusReason}`).toContain('locked by SCP');
    }
  });

  test('a template URL whose version no longer exists is refused before any stack is touched', async () => {
    const gone = await h.uploadTemplate(fleetTemplate('v3'), TEMPLATE_KEY);
    await h.virtual(() =>
      h.s3.send(new DeleteObjectCommand({ Bucket: gone.bucket, Key: gone.key, VersionId: gone.versionId })),
    );
    const opsBefore = opsCount(h);
    const run = await h.runRollout(fleetRequest(gone, 'fi-gone', STACK));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidInput');
    expect(run.cause).toContain('template.versionId');
    expect(run.cause).toContain(`Received: ${gone.versionId}`);
    expect(run.metrics.targets).toBe(0);
    expect(run.metrics.cloudFormationCalls).toBe(0);
    expect(opsCount(h)).toBe(opsBefore);
  });

  test('with the faults repaired a re-run converges: zero FAILED, faulted targets UPDATED, the rest NO_CHANGE', async () => {
    const { world } = h.sandbox;
    for (const k of STUCK) forceStackStatus(world, ...split(k), STACK, 'UPDATE_COMPLETE');
    cfnSection(world).injectedFailures.length = 0;
    const again = await rollout(h, v2, 'fi-update-again', { timeoutSeconds: 300 });
    expect(again.problems).toEqual([]);
    expect(convergenceViolations(again.document)).toEqual([]);
    for (const k of [...STUCK, ...ROLLBACK_FAILS_AGAIN]) expect(outcomeOf(again, k).outcome).toBe('UPDATED');
    expect(again.document.counts.NO_CHANGE).toBe(240 - STUCK.length - ROLLBACK_FAILS_AGAIN.length);
  });
});
