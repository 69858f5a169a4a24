/**
 * Stack events vs polling (issue 19), side by side in the IAM-strict sandbox: the real baseline
 * is created in the tamper world's members (forwarding to the admin bus), then updated once with
 * polling and once waiting for stack events, each in a fresh world with the same seed. Prints, per
 * policy: the update's makespan (simulated seconds), state transitions and CloudFormation calls
 * per target. `--lose <0..1>` loses that share of the Stack Status Change events.
 * Run: npx tsx scripts/bench-stack-events.ts [--lose 0.1]
 *
 * A small world (2 targets): the figures per target are what the table compares; the
 * 1,000/10,000-target policy is `stackfleet-events` of scripts/bench.ts.
 *
 * `--calls N` instead runs scripts/bench.ts's rollout of N targets for both policies and prints
 * every API call the sandbox answered, per operation and per target, with CPU seconds: where the
 * events policy's calls go (docs/benchmarks.md, "Wall time and CPU").
 *   npx tsx scripts/bench-stack-events.ts --calls 1000
 */
import type { Scenario } from '../src/sandbox/scenario-types';
import { World } from '../src/sandbox/world';
import { openSandboxHarness } from '../test/helpers/sandbox-harness';
import { ADMIN, REGION, tamperScenario } from '../test/helpers/tamper-world';
import { benchRun } from './bench/policy-run';

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

/** Calls per operation of one bench.ts run, counted where the sandbox counts them (world.countCall). */
async function countCalls(targets: number): Promise<void> {
  const counts = new Map<string, number>();
  const countCall = World.prototype.countCall;
  World.prototype.countCall = function (this: World, service, operation, accountId, region) {
    counts.set(`${service}.${operation}`, (counts.get(`${service}.${operation}`) ?? 0) + 1);
    return countCall.call(this, service, operation, accountId, region);
  };
  for (const policy of ['stackfleet', 'stackfleet-events'] as const) {
    counts.clear();
    const run = await benchRun(targets, policy, Math.max(1, Math.round(targets / 10)));
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(
      `${policy}: ratio ${run.makespanRatio}, wall ${run.wallSeconds} s, cpu ${run.cpuSeconds} s, ${(total / targets).toFixed(1)} calls per target`,
    );
    for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1]))
      console.log(`  ${name.padEnd(48)}${String(n).padStart(8)}${(n / targets).toFixed(2).padStart(8)}`);
  }
}

async function main() {
  const callsAt = process.argv.indexOf('--calls');
  if (callsAt > 0) {
    const targets = Number(process.argv[callsAt + 1]);
    if (!Number.isInteger(targets) || targets < 1)
      throw new Error(`--calls must be a whole number of targets. Received: ${process.argv[callsAt + 1]}`);
    return countCalls(targets);
  }
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
