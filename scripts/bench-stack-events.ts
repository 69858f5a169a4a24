/**
 * Stack events vs polling (issue 19), side by side in the IAM-strict sandbox: the real baseline
 * is created in the tamper world's members (forwarding to the admin bus), then updated once with
 * polling and once waiting for stack events, each in a fresh world with the same seed. Prints, per
 * policy: the update's makespan (simulated seconds), state transitions and CloudFormation calls
 * per target. `--lose <0..1>` loses that share of the Stack Status Change events.
 * Run: npx tsx scripts/bench-stack-events.ts [--lose 0.1]
 *
 * A small world (2 targets): the figures per target are what the table compares; the
 * 1,000/10,000-target policy `stackfleet-events` of scripts/bench.ts is not built yet.
 */
import type { Scenario } from '../src/sandbox/scenario-types';
import { openSandboxHarness } from '../test/helpers/sandbox-harness';
import { ADMIN, REGION, tamperScenario } from '../test/helpers/tamper-world';

const loseAt = process.argv.indexOf('--lose');
const lose = loseAt > 0 ? Number(process.argv[loseAt + 1]) : 0;
if (!(lose >= 0 && lose <= 1))
  throw new Error(`--lose must be a share between 0 and 1. Received: ${process.argv[loseAt + 1]}`);

async function measure(stackEvents: boolean) {
  const faults = lose > 0 ? { stackEvents: [{ lose }] } : {};
  const h = await openSandboxHarness({
    scenario: tamperScenario({ durations: { default: 20 }, faults } as Partial<Scenario>),
    region: REGION,
  });
  const request = (rolloutId: string, alertEmail: string) => ({
    rolloutId,
    mode: 'deploy',
    stackName: 'stackfleet-baseline',
    executionRoleName: 'StackFleetExecution',
    template: h.template,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    parameters: { HomeRegion: REGION, AdminAccountId: ADMIN, AdminRegion: REGION, AlertEmail: alertEmail },
    targets: { organizationalUnits: ['ou-tp01-members0'], regions: [REGION] },
    stackEvents,
  });
  await h.runRollout(request('bench-create', ''));
  const update = await h.runRollout(request('bench-update', 'ops@example.com'));
  if (update.status !== 'SUCCEEDED') throw new Error(`the update ended ${update.status}: ${update.cause}`);
  return update.metrics;
}

async function main() {
  console.log(`policy              makespan_s  transitions/target  cfn_calls/target  (events lost: ${lose})`);
  for (const [name, events] of [
    ['stackfleet (poll)', false],
    ['stackfleet-events', true],
  ] as const) {
    const m = await measure(events);
    console.log(
      `${name.padEnd(20)}${m.simulatedSeconds.toFixed(1).padStart(10)}  ${m.transitionsPerTarget.toFixed(1).padStart(18)}  ${m.cloudFormationCallsPerTarget.toFixed(1).padStart(16)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
