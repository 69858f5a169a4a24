/**
 * The UI server's tracker polling a sandbox rollout while it runs (issue 18: "updates counts and
 * cells within 2 s of a change"): every target that ended before a poll shows its final outcome
 * after that poll, including targets that started and ended between two polls (never seen
 * running). Polls are one virtual second apart; nothing here depends on wall-clock time.
 */
import * as path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadScenarioFile } from '../../../src/sandbox/scenario';
import type { Scenario } from '../../../src/sandbox/scenario-types';
import { DefinitionCache } from '../../../src/ui/definitions';
import { RolloutTracker } from '../../../src/ui/rollout-data';
import { Outcomes } from '../../../src/ui/wire';
import { openSandboxHarness, type SandboxHarness } from '../../helpers/sandbox-harness';

describe('UI tracker of a running sandbox rollout', () => {
  let harness: SandboxHarness;
  let scenario: Scenario;
  const input = (rolloutId: string) => ({
    rolloutId,
    mode: 'deploy',
    template: harness.template,
    stackName: 'stackfleet-baseline',
    executionRoleName: scenario.executionRoleName,
    externalId: scenario.externalId,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    targets: { organizationalUnits: [scenario.organization.rootId], regions: 'ALL_ENABLED' },
    // One target at a time: up-to-date and refused targets start and end between two polls.
    maxConcurrency: 1,
    failureTolerance: { percent: 100 },
  });

  beforeAll(async () => {
    scenario = loadScenarioFile(path.join(__dirname, '../../../src/sandbox/scenarios/small.yaml'));
    harness = await openSandboxHarness({ scenario });
    // The first rollout creates the stacks: in the second most targets are no-ops.
    await harness.runRollout(input('ui-live-1'), 'ui-live-1');
  }, 300_000);

  it('shows every target that ended before a poll, even one never seen running, on that poll', async () => {
    const deployTarget = harness.admin!.deployTargetStateMachineArn;
    const rolloutId = 'ui-live-2';
    const targetsOfRollout = () =>
      Object.values(harness.engine.store.executions).filter(
        (e) => e?.stateMachineArn === deployTarget && e.name.endsWith(rolloutId),
      );
    const polls: Array<{ endedBefore: string[]; missing: string[] }> = [];
    /** Targets that existed when an earlier poll began (by the engine's own record). */
    const seenBefore = new Set<string>();
    let shortLived = 0;

    await harness.virtual(async () => {
      const started = await harness.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: harness.admin!.rolloutStateMachineArn,
          name: rolloutId,
          input: JSON.stringify(input(rolloutId)),
        }),
      );
      const arn = started.executionArn!;
      const tracker = new RolloutTracker(harness.sfn, arn, new DefinitionCache(harness.sfn), {
        s3: harness.s3,
        minIntervalMs: 0,
      });
      let done = false;
      harness.engine.waitForExecution(arn).then(() => {
        done = true;
      });
      while (!done) {
        const endedBefore = targetsOfRollout()
          .filter((e) => e.status !== 'RUNNING')
          .map((e) => e.name);
        const runningBefore = targetsOfRollout().filter((e) => e.status === 'RUNNING');
        await tracker.refresh(true);
        const t = tracker.snapshot(0).targets;
        const outcomeOf = new Map(t.rows.map((r) => [r[3], t.outcomes[r[2]]]));
        const missing = endedBefore.filter((name) => {
          const o = outcomeOf.get(name);
          return o === undefined || o === Outcomes.InProgress || o === Outcomes.Pending;
        });
        // Started and ended since the last poll: no earlier poll could have seen it running.
        for (const name of endedBefore) if (!seenBefore.has(name)) shortLived++;
        for (const e of runningBefore) seenBefore.add(e.name);
        for (const name of endedBefore) seenBefore.add(name);
        polls.push({ endedBefore, missing });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    });

    expect(polls.length).toBeGreaterThan(3);
    expect(polls.filter((p) => p.missing.length > 0)).toEqual([]);
    // The case this test is about happened: targets started and ended between two polls.
    expect(shortLived).toBeGreaterThan(0);
  }, 300_000);
});
