/**
 * Fault injection (issue 9): stackfleet's own stack operation runs past the per-target timeout.
 * Every one of 240 creates takes 20 minutes (a slow resource) against a 5-minute timeout: each
 * target ends TargetTimedOut with a reason that says the operation goes on; a re-run with a
 * longer timeout waits for those operations instead of starting another one, and converges.
 */
import { clearCredentialCache } from '../../src/aws/assume-role';
import type { RolloutSummary } from '../../src/core/summary';
import {
  convergenceViolations,
  FLEET_EXTERNAL_ID,
  FLEET_REGIONS,
  FLEET_ROLE,
  fleetAccount,
  fleetScenario,
  fleetTemplate,
  rolloutViolations,
} from '../helpers/invariants';
import { openSandboxHarness, type SandboxHarness, type TemplateLocation } from '../helpers/sandbox-harness';

jest.setTimeout(300_000);

const ACCOUNTS = 80;
// Named with the bootstrap's StackNamePrefix: the execution role touches only stackfleet-* stacks.
const STACK = 'stackfleet-slow';
const ALL_TARGETS = Array.from({ length: ACCOUNTS }, (_, i) => fleetAccount(i + 1)).flatMap((a) =>
  FLEET_REGIONS.map((r) => `${a}/${r}`),
);
const SLOW_SECONDS = 1200;

function request(template: TemplateLocation, rolloutId: string, timeoutSeconds: number) {
  return {
    rolloutId,
    mode: 'deploy',
    template,
    stackName: STACK,
    executionRoleName: FLEET_ROLE,
    externalId: FLEET_EXTERNAL_ID,
    targets: { organizationalUnits: ['ou-flt1-members0'], regions: [...FLEET_REGIONS] },
    maxConcurrency: 240,
    failureTolerance: { percent: 100 },
    timeoutSeconds,
  };
}

describe('stack operations that outlast the per-target timeout', () => {
  let h: SandboxHarness;
  let template: TemplateLocation;

  beforeAll(async () => {
    clearCredentialCache();
    h = await openSandboxHarness({ scenario: fleetScenario({ accounts: ACCOUNTS, seed: 33 }) });
    template = await h.uploadTemplate(fleetTemplate('v1'), 'templates/fleet.yaml');
    // The topic takes 20 minutes to create everywhere (the emulator reads durations per operation).
    (h.sandbox.world.scenario.durations as Record<string, number | [number, number]>)['AWS::SNS::Topic'] =
      SLOW_SECONDS;
  });

  test('every target ends TargetTimedOut near the timeout, with a reason saying the operation goes on', async () => {
    const run = await h.runRollout(request(template, 'fi-slow-1', 300));
    const { document, problems } = await rolloutViolations(h, run, {
      rolloutId: 'fi-slow-1',
      stackName: STACK,
      expectedTargets: ALL_TARGETS,
    });
    expect(problems).toEqual([]);
    expect(document.counts.FAILED).toBe(ALL_TARGETS.length);
    for (const t of document.targets) {
      expect(t.error).toBe('TargetTimedOut');
      expect(t.reason).toContain('CREATE_IN_PROGRESS');
      expect(t.reason).toContain('per-target timeout is 300 s');
      expect(t.reason).toContain('goes on in CloudFormation');
      const took = (Date.parse(t.finishedAt ?? '') - Date.parse(t.startedAt ?? '')) / 1000;
      expect(took).toBeGreaterThanOrEqual(300);
      expect(took).toBeLessThan(300 + 180);
    }
    // The whole rollout gave up well before the creates finished.
    expect(run.metrics.simulatedSeconds).toBeLessThan(SLOW_SECONDS);
  });

  test('a re-run waits for the operations still running instead of starting others, and converges', async () => {
    const creates = h.sandbox.world.metrics.calls['cloudformation.CreateStack'] ?? 0;
    const run = await h.runRollout(request(template, 'fi-slow-2', 3600));
    const { document, problems } = await rolloutViolations(h, run, {
      rolloutId: 'fi-slow-2',
      stackName: STACK,
      expectedTargets: ALL_TARGETS,
    });
    expect(problems).toEqual([]);
    expect(convergenceViolations(document)).toEqual([]);
    // The creates the first run started were waited for and found up to date: none started again.
    expect((run.output as RolloutSummary).counts.NO_CHANGE).toBe(ALL_TARGETS.length);
    expect(h.sandbox.world.metrics.calls['cloudformation.CreateStack'] ?? 0).toBe(creates);
  });
});
