/**
 * `npm run bench`: rollouts of 1,000 and 10,000 targets on an in-memory sandbox through the
 * real state machines, side by side with reference polling policies run by the same engine
 * on the same scenario (issue 9). Per policy it reports the simulated makespan against the
 * lower bound max(longest stack, total stack time / concurrency), state transitions and
 * CloudFormation calls per target (medians), the parent's history events (which must not grow
 * with the target count) and wall time. Figures, not pass/fail: docs/benchmarks.md keeps them.
 *
 *   npm run bench                                             # 1,000 and 10,000 targets, every policy
 *   npm run bench -- --targets 1000 --policies stackfleet,fixed-30s
 *   npm run bench -- --targets 1000,10000 --concurrency 100 --json
 *   npm run bench -- --graph                                  # the 5-stack graph (issue 17)
 *
 * Progress goes to stderr, the table (or `--json`) to stdout. The script starts itself again with
 * `BENCH_NODE_FLAGS` (a larger V8 young generation) unless they are already given.
 */
import '../src/core/polyfills';
import { spawnSync } from 'node:child_process';
import { parseFlags, wholeNumbers } from './bench/flags';
import { graphBenchMain } from './bench/graph-run';
import { textTable } from './bench/measure';
import { type BenchRun, benchRun } from './bench/policy-run';
import { BENCH_POLICIES, type BenchPolicy, parsePolicies } from './bench/variants';

export type { BenchRun };

export interface BenchOptions {
  targets: number[];
  policies: BenchPolicy[];
  /** Fixed concurrency, or undefined for a tenth of the targets. */
  concurrency?: number;
  /** IAM evaluation on, off, or both side by side (issue 14: its cost must stay within 15% of wall time). */
  iam: Array<'on' | 'off'>;
  /** Shares of Stack Status Change events lost, each a run of its own (issue 19). @default [0] */
  loseEvents: number[];
  json: boolean;
}

/** Reads argv; refuses bad values naming the flag and the value received. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    targets: [1000, 10000],
    policies: [...BENCH_POLICIES],
    iam: ['on'],
    loseEvents: [0],
    json: false,
  };
  const bare: number[] = [];
  parseFlags(
    argv,
    (flag, value, arg) => {
      if (flag === '--json') options.json = true;
      else if (flag === '--targets') options.targets = wholeNumbers('--targets', value());
      else if (flag === '--policies') options.policies = parsePolicies(value() ?? '');
      else if (flag === '--concurrency') options.concurrency = wholeNumbers('--concurrency', value())[0];
      else if (flag === '--iam') {
        const text = value() ?? '';
        const modes = text.split(',').map((m) => m.trim());
        if (modes.length === 0 || modes.some((m) => m !== 'on' && m !== 'off'))
          throw new Error(`--iam must be on, off or on,off. Received: ${text || '(nothing)'}`);
        options.iam = modes as Array<'on' | 'off'>;
      } else if (flag === '--lose-events') {
        const text = value() ?? '';
        const shares = text.split(',').map((v) => Number(v.trim()));
        if (!text || shares.some((v) => !(v >= 0 && v <= 1)))
          throw new Error(
            `--lose-events must be shares between 0 and 1, comma-separated. Received: ${text || '(nothing)'}`,
          );
        options.loseEvents = shares;
      } else if (/^[1-9]\d*$/.test(arg))
        bare.push(Number(arg)); // the first version's `npm run bench -- 250 2000`
      else return false;
      return true;
    },
    `use --targets N[,N], --policies ${BENCH_POLICIES.join(',')}, --concurrency N, --iam on[,off], --lose-events S[,S], --json`,
  );
  if (bare.length) options.targets = bare;
  return options;
}

function table(runs: BenchRun[]): string {
  const header = [
    'targets',
    'policy',
    'iam',
    'lost',
    'conc',
    'makespan s',
    'bound s',
    'ratio',
    'trans/target',
    'CFN calls/target',
    'parent events',
    'no-lag s',
    'lag s',
    'wall s',
    'cpu s',
    'status',
  ];
  const lines = runs.map((r) => [
    String(r.targets),
    r.policy,
    r.iam,
    r.lostEventsShare.toString(),
    String(r.concurrency),
    r.makespanSeconds.toFixed(0),
    r.lowerBoundSeconds.toFixed(0),
    r.makespanRatio.toFixed(3),
    r.transitionsPerTargetMedian.toFixed(1),
    r.cfnCallsPerTargetMedian.toFixed(1),
    String(r.parentHistoryEvents),
    r.listScheduleSeconds.toFixed(0),
    r.noticeLagSecondsMedian.toFixed(0),
    r.wallSeconds.toFixed(1),
    r.cpuSeconds.toFixed(1),
    r.status,
  ]);
  return textTable(header, lines);
}

async function main(): Promise<void> {
  // The stacks form's scenario (issue 17) has its own orders and figures: scripts/bench/graph-run.ts.
  if (process.argv[2] === '--graph') return graphBenchMain(process.argv.slice(3));
  const options = parseBenchArgs(process.argv.slice(2));
  const runs: BenchRun[] = [];
  for (const targets of options.targets) {
    const concurrency = options.concurrency ?? Math.max(1, Math.round(targets / 10));
    for (const policy of options.policies) {
      for (const iam of options.iam) {
        for (const lose of options.loseEvents) {
          process.stderr.write(
            `bench: ${targets} targets, policy ${policy}, IAM ${iam}, events lost ${lose}, concurrency ${concurrency}...\n`,
          );
          const run = await benchRun(targets, policy, concurrency, iam, lose);
          process.stderr.write(
            `bench:   makespan ${run.makespanSeconds}s (bound ${run.lowerBoundSeconds}s), ${run.transitionsPerTargetMedian} transitions, ${run.cfnCallsPerTargetMedian} CFN calls per target, wall ${run.wallSeconds}s\n`,
          );
          runs.push(run);
        }
      }
    }
  }
  process.stdout.write(options.json ? `${JSON.stringify({ runs }, null, 2)}\n` : table(runs));
}

/**
 * V8 flags the benchmark runs with. A simulated rollout keeps thousands of targets' executions
 * and stacks alive while it allocates SDK responses at a high rate; with V8's default 16 MB
 * young generation most of that was copied by scavenges several times (a fifth of the run at
 * 10,000 targets). 64 MB cut the scavenges to a quarter (607, 7.6 s of pauses); 128 MB halves
 * them again (307, 6.7 s); 256 MB gains little more (175, 6.1 s) for twice the memory, because
 * each scavenge then copies more of the targets in flight. Flags given on the command line or in
 * NODE_OPTIONS win.
 */
export const BENCH_NODE_FLAGS = ['--max-semi-space-size=128'] as const;

/** Starts this script again with `BENCH_NODE_FLAGS` when they are missing; returns false when it may run here. */
function relaunchWithBenchFlags(): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const missing = BENCH_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0] as string;
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
  if (missing.length === 0) return false;
  const child = spawnSync(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  if (child.error)
    process.stderr.write(`bench: could not start node with ${missing.join(' ')}: ${child.error.message}\n`);
  process.exitCode = child.status ?? 1;
  return true;
}

if (require.main === module && !relaunchWithBenchFlags()) {
  main().catch((error) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
