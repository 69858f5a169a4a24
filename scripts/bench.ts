/**
 * `npm run bench`: rollouts of 1,000 and 10,000 targets on an in-memory sandbox through the
 * real state machines, printing wall time, simulated time, state transitions per target,
 * CloudFormation calls per target and the parent's history events (which must not grow with
 * the target count). Figures, not pass/fail: the benchmarks issue compares them over time.
 *
 *   npm run bench                 # 1,000 and 10,000 targets
 *   npm run bench -- 250 2000     # other sizes
 *   npm run bench -- --json 1000  # machine-readable
 */
import '../src/core/polyfills';
import { DEFAULT_REGIONS, demoScenario } from '../src/sandbox/scenario';
import type { Scenario, ScenarioAccount } from '../src/sandbox/scenario-types';
import { openSandboxHarness } from '../test/helpers/sandbox-harness';

/** An organisation with enough member accounts for `targets` account x region targets (4 regions each). */
export function benchScenario(targets: number): { scenario: Scenario; regions: string[] } {
  const base = demoScenario();
  const regions = [...DEFAULT_REGIONS];
  const accountCount = Math.ceil(targets / regions.length);
  const root = base.organization.rootId;
  const ou = 'ou-bnch-members0';
  const accounts: ScenarioAccount[] = [
    { id: base.organization.managementAccountId, name: 'management', parent: root },
  ];
  for (let i = 1; i <= accountCount; i++) {
    accounts.push({
      id: String(300000000000 + i),
      name: `member-${i}`,
      parent: ou,
      email: `aws+member-${i}@example.com`,
    });
  }
  const scenario: Scenario = {
    ...base,
    seed: 4242,
    regions,
    optInRegions: [],
    organization: { ...base.organization, ous: [{ id: ou, name: 'Members', parent: root }], accounts },
    faults: {},
  };
  return { scenario, regions };
}

interface BenchRow {
  targets: number;
  status: string;
  wallSeconds: number;
  cpuSeconds: number;
  simulatedSeconds: number;
  transitionsPerTarget: number;
  cloudFormationCallsPerTarget: number;
  parentHistoryEvents: number;
  executions: number;
  heapMiB: number;
}

async function benchOnce(targets: number, maxConcurrency: number): Promise<BenchRow> {
  const { scenario, regions } = benchScenario(targets);
  const h = await openSandboxHarness({ scenario });
  const template = h.template as { bucket: string; key: string; versionId: string };
  const accountCount = Math.ceil(targets / regions.length);
  const run = await h.runRollout({
    mode: 'deploy',
    stackName: 'stackfleet-baseline',
    executionRoleName: scenario.executionRoleName,
    template,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    targets: { organizationalUnits: ['ou-bnch-members0'], regions },
    maxConcurrency,
    failureTolerance: { percent: 10 },
  });
  const planned = Math.min(targets, accountCount * regions.length);
  return {
    targets: planned,
    status: run.status,
    wallSeconds: run.metrics.wallMs / 1000,
    cpuSeconds: run.metrics.cpuMs / 1000,
    simulatedSeconds: run.metrics.simulatedSeconds,
    transitionsPerTarget: run.metrics.transitionsPerTarget,
    cloudFormationCallsPerTarget: run.metrics.cloudFormationCallsPerTarget,
    parentHistoryEvents: run.metrics.parentHistoryEvents,
    executions: run.metrics.executions,
    heapMiB: process.memoryUsage().heapUsed / 1048576,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const concurrencyArg = args.find((a) => a.startsWith('--concurrency='));
  const maxConcurrency = concurrencyArg ? Number(concurrencyArg.split('=')[1]) : 1000;
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const rows: BenchRow[] = [];
  for (const size of sizes.length ? sizes : [1000, 10000]) {
    process.stderr.write(`bench: rolling out to ${size} targets (max concurrency ${maxConcurrency})...\n`);
    rows.push(await benchOnce(size, maxConcurrency));
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const header = [
    'targets',
    'status',
    'wall s',
    'cpu s',
    'simulated s',
    'transitions/target',
    'CFN calls/target',
    'parent events',
    'executions',
    'heap MiB',
  ];
  const lines = rows.map((r) => [
    String(r.targets),
    r.status,
    r.wallSeconds.toFixed(1),
    r.cpuSeconds.toFixed(1),
    r.simulatedSeconds.toFixed(0),
    r.transitionsPerTarget.toFixed(1),
    r.cloudFormationCallsPerTarget.toFixed(1),
    String(r.parentHistoryEvents),
    String(r.executions),
    r.heapMiB.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  process.stdout.write(`${fmt(header)}\n${lines.map(fmt).join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
