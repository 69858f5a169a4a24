/**
 * `npm run bench -- --graph` (issue 17): a 5-stack graph in two independent chains on 1,000
 * targets, deployed through the real state machines on an in-memory sandbox under virtual time,
 * in stackfleet's order (each target walks its own graph) and, side by side on the same engine,
 * CfCT's "one stack set after another" and org-formation's "task by task" (scripts/bench/graph.ts).
 * Per order and concurrency: the simulated makespan against the lower bound (max of the longest
 * per-target critical path and total stack time / concurrency), and stackfleet's makespan over the
 * better of the two others. Figures, not pass/fail: docs/benchmarks.md keeps them.
 *
 *   npm run bench -- --graph                                  # 1,000 targets, concurrency = targets and a tenth
 *   npm run bench -- --graph --targets 200 --concurrency 200,20 --orders stackfleet,cfct --json
 */
import { cfnSection } from '../../src/sandbox/cfn/state';
import { openSandboxHarness, type SandboxHarness } from '../../test/helpers/sandbox-harness';
import {
  BENCH_GRAPH,
  BENCH_ORDERS,
  type BenchOrder,
  GRAPH_DURATIONS,
  GRAPH_TEMPLATE,
  graphLowerBound,
  slowAccountsFor,
  stagesOf,
} from './graph';
import { BENCH_OU, BENCH_SEED, benchWorld } from './scenario';

export interface GraphBenchOptions {
  targets: number;
  /** Stacks in flight across the rollout; default: the targets and a tenth of them. */
  concurrency: number[];
  orders: BenchOrder[];
  /** Share of accounts where each stack is slow (chosen per stack). */
  slowShare: number;
  json: boolean;
}

export interface GraphBenchRun {
  scenario: string;
  targets: number;
  order: BenchOrder;
  concurrency: number;
  /** Rollouts run one after another (1 for stackfleet). */
  rollouts: number;
  makespanSeconds: number;
  lowerBoundSeconds: number;
  criticalPathSeconds: number;
  spreadSeconds: number;
  makespanRatio: number;
  stacks: number;
  /** History events of the largest rollout execution (must not grow with targets or stacks). */
  parentHistoryEvents: number;
  wallSeconds: number;
  cpuSeconds: number;
  status: string;
}

/** Reads argv (after `--graph`); refuses bad values naming the flag and the value received. */
export function parseGraphBenchArgs(argv: readonly string[]): GraphBenchOptions {
  const options: GraphBenchOptions = {
    targets: 1000,
    concurrency: [],
    orders: [...BENCH_ORDERS],
    slowShare: 0.05,
    json: false,
  };
  const whole = (flag: string, text: string | undefined): number[] => {
    const values = (text ?? '').split(',').map((s) => s.trim());
    if (!text || values.some((v) => !/^[1-9]\d*$/.test(v)))
      throw new Error(
        `${flag} must be whole numbers of at least 1, comma-separated. Received: ${text ?? '(nothing)'}`,
      );
    return values.map(Number);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--json') options.json = true;
    else if (flag === '--targets') options.targets = whole('--targets', value())[0] as number;
    else if (flag === '--concurrency') options.concurrency = whole('--concurrency', value());
    else if (flag === '--orders') {
      const text = value() ?? '';
      const orders = text.split(',').map((o) => o.trim());
      const bad = orders.find((o) => !(BENCH_ORDERS as readonly string[]).includes(o));
      if (!text || bad !== undefined)
        throw new Error(
          `--orders must be some of ${BENCH_ORDERS.join(',')}. Received: ${text || '(nothing)'}`,
        );
      options.orders = orders as BenchOrder[];
    } else if (flag === '--slow-share') {
      const text = value() ?? '';
      const share = Number(text);
      if (text === '' || !(share >= 0 && share <= 1))
        throw new Error(`--slow-share must be a number between 0 and 1. Received: ${text || '(nothing)'}`);
      options.slowShare = share;
    } else
      throw new Error(
        `unknown option ${arg} for --graph: use --targets N, --concurrency N[,N], --orders ${BENCH_ORDERS.join(',')}, --slow-share F, --json`,
      );
  }
  if (options.concurrency.length === 0)
    options.concurrency = [options.targets, Math.max(1, Math.round(options.targets / 10))];
  return options;
}

// The execution role manages only stacks under its StackNamePrefix (templates/execution-role.yaml).
const stackNameOf = (name: string) => `stackfleet-bench-${name}`;

/** Each target's seconds per stack, from the sandbox's CloudFormation state (every operation's time). */
function measuredSeconds(h: SandboxHarness): Map<string, Map<string, number>> {
  const byName = new Map(BENCH_GRAPH.map((s) => [stackNameOf(s.name), s.name]));
  const out = new Map<string, Map<string, number>>();
  for (const [key, target] of Object.entries(cfnSection(h.sandbox.world).targets)) {
    for (const stack of Object.values(target.stacks)) {
      const name = byName.get(stack.stackName);
      if (name === undefined) continue;
      const ms = stack.ops.reduce((sum, op) => sum + (op.endAt - op.startedAt), 0);
      const mine = out.get(key) ?? new Map<string, number>();
      mine.set(name, (mine.get(name) ?? 0) + ms / 1000);
      out.set(key, mine);
    }
  }
  return out;
}

/** Runs one order at one concurrency on a fresh sandbox and measures it. */
export async function graphBenchRun(
  targets: number,
  order: BenchOrder,
  concurrency: number,
  slowShare: number,
): Promise<GraphBenchRun> {
  const world = benchWorld(targets, 0);
  const scenario = { ...world.scenario, durations: { ...world.scenario.durations, ...GRAPH_DURATIONS } };
  const h = await openSandboxHarness({ scenario });
  const template = await h.uploadTemplate(GRAPH_TEMPLATE, 'templates/bench-graph-stack.yaml');
  const stages = stagesOf(order);
  const inStage = (stage: readonly string[]) =>
    BENCH_GRAPH.filter((s) => stage.includes(s.name)).map((s) => {
      const slow = slowAccountsFor(s.name, world.accounts, slowShare, BENCH_SEED);
      // Only stackfleet's rollout holds both ends of a dependency; the others run it as an earlier rollout.
      const fed = s.after !== undefined && stage.includes(s.after);
      return {
        name: s.name,
        stackName: stackNameOf(s.name),
        template,
        ...(fed ? { parameters: { Upstream: { fromStack: s.after, output: 'TopicArn' } } } : {}),
        ...(slow.length > 0
          ? { parameterOverrides: [{ accounts: slow, parameters: { Slow: 'true' } }] }
          : {}),
      };
    });
  let makespan = 0;
  let wallMs = 0;
  let cpuMs = 0;
  let parentEvents = 0;
  const statuses = new Set<string>();
  for (const [i, stage] of stages.entries()) {
    const rolloutId = `bench-${order}-${i + 1}`;
    const run = await h.runRollout(
      {
        rolloutId,
        mode: 'deploy',
        executionRoleName: world.scenario.executionRoleName,
        stacks: inStage(stage),
        targets: { organizationalUnits: [BENCH_OU], regions: world.regions },
        maxConcurrency: concurrency,
        failureTolerance: { percent: 10 },
      },
      rolloutId,
    );
    makespan += run.metrics.simulatedSeconds;
    wallMs += run.metrics.wallMs;
    cpuMs += run.metrics.cpuMs;
    parentEvents = Math.max(parentEvents, run.metrics.parentHistoryEvents);
    statuses.add(run.status);
    if (run.status !== 'SUCCEEDED')
      process.stderr.write(
        `bench: ${order} rollout ${rolloutId} ended ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}\n`,
      );
  }
  const seconds = measuredSeconds(h);
  const bound = graphLowerBound(seconds, concurrency);
  const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    scenario: `graph-5-stacks-2-chains-seed${BENCH_SEED}`,
    targets: seconds.size,
    order,
    concurrency,
    rollouts: stages.length,
    makespanSeconds: round(makespan),
    lowerBoundSeconds: round(bound.boundSeconds),
    criticalPathSeconds: round(bound.criticalPathSeconds),
    spreadSeconds: round(bound.spreadSeconds),
    makespanRatio: round(makespan / bound.boundSeconds, 3),
    stacks: [...seconds.values()].reduce((n, m) => n + m.size, 0),
    parentHistoryEvents: parentEvents,
    wallSeconds: round(wallMs / 1000),
    cpuSeconds: round(cpuMs / 1000),
    status: [...statuses].join('+'),
  };
}

/** stackfleet's makespan over the better of the other orders, per concurrency (issue 17's figure). */
export function versusBetter(
  runs: readonly GraphBenchRun[],
): Array<{ concurrency: number; ratio: number; better: BenchOrder }> {
  const out: Array<{ concurrency: number; ratio: number; better: BenchOrder }> = [];
  for (const concurrency of [...new Set(runs.map((r) => r.concurrency))]) {
    const here = runs.filter((r) => r.concurrency === concurrency);
    const ours = here.find((r) => r.order === 'stackfleet');
    const others = here
      .filter((r) => r.order !== 'stackfleet')
      .sort((a, b) => a.makespanSeconds - b.makespanSeconds);
    const best = others[0];
    if (ours && best)
      out.push({
        concurrency,
        ratio: Math.round((ours.makespanSeconds / best.makespanSeconds) * 1000) / 1000,
        better: best.order,
      });
  }
  return out;
}

function table(runs: readonly GraphBenchRun[]): string {
  const header = [
    'targets',
    'order',
    'conc',
    'rollouts',
    'makespan s',
    'bound s',
    'critical s',
    'spread s',
    'ratio',
    'parent events',
    'wall s',
    'status',
  ];
  const lines = runs.map((r) => [
    String(r.targets),
    r.order,
    String(r.concurrency),
    String(r.rollouts),
    r.makespanSeconds.toFixed(0),
    r.lowerBoundSeconds.toFixed(0),
    r.criticalPathSeconds.toFixed(0),
    r.spreadSeconds.toFixed(0),
    r.makespanRatio.toFixed(3),
    String(r.parentHistoryEvents),
    r.wallSeconds.toFixed(1),
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  const versus = versusBetter(runs).map(
    (v) =>
      `concurrency ${v.concurrency}: stackfleet's makespan is ${v.ratio.toFixed(3)} of ${v.better}'s (the better of the others)`,
  );
  return `${fmt(header)}\n${lines.map(fmt).join('\n')}\n${versus.length ? `\n${versus.join('\n')}\n` : ''}`;
}

/** The `--graph` benchmark: every order at every concurrency, then the table (or `--json`). */
export async function graphBenchMain(argv: readonly string[]): Promise<void> {
  const options = parseGraphBenchArgs(argv);
  const runs: GraphBenchRun[] = [];
  for (const concurrency of options.concurrency) {
    for (const order of options.orders) {
      process.stderr.write(
        `bench: graph, ${options.targets} targets, order ${order}, concurrency ${concurrency}...\n`,
      );
      const run = await graphBenchRun(options.targets, order, concurrency, options.slowShare);
      process.stderr.write(
        `bench:   makespan ${run.makespanSeconds}s (bound ${run.lowerBoundSeconds}s) in ${run.rollouts} rollout(s), wall ${run.wallSeconds}s\n`,
      );
      runs.push(run);
    }
  }
  process.stdout.write(
    options.json ? `${JSON.stringify({ runs, versusBetter: versusBetter(runs) }, null, 2)}\n` : table(runs),
  );
}
