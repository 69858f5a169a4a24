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
 *   npm run bench -- --graph --concurrency 1000 --stack-events    # every order waits for stack events
 */
import { openSandboxHarness } from '../../test/helpers/sandbox-harness';
import { parseFlags, wholeNumbers } from './flags';
import {
  BENCH_GRAPH,
  BENCH_ORDERS,
  type BenchOrder,
  GRAPH_DURATIONS,
  GRAPH_FORWARDER_TEMPLATE,
  GRAPH_TEMPLATE,
  graphLowerBound,
  slowAccountsFor,
  stagesOf,
} from './graph';
import { noticeLagSeconds, round, runInSequence, stackTimesOf, textTable } from './measure';
import { BENCH_OU, BENCH_SEED, benchWorld } from './scenario';
import { median, quantile } from './stats';

export interface GraphBenchOptions {
  targets: number;
  /** Stacks in flight across the rollout; default: the targets and a tenth of them. */
  concurrency: number[];
  orders: BenchOrder[];
  /** Share of accounts where each stack is slow (chosen per stack). */
  slowShare: number;
  /** Every order waits for Stack Status Change events (issue 19) instead of polling alone. */
  stackEvents: boolean;
  /**
   * 1: the first rollout (creates). 2: then a second revision of every stack (updates of both its
   * resources), measured, which finds the first round's stack times in the history (issue 17).
   */
  rounds: 1 | 2;
  json: boolean;
}

export interface GraphBenchRun {
  scenario: string;
  targets: number;
  order: BenchOrder;
  concurrency: number;
  /** Rollouts run one after another in the measured round (1 for stackfleet). */
  rollouts: number;
  /** Which round the figures are of (2: updates after a first round that left its stack times). */
  round: number;
  /** With two rounds: the first round's makespan (the creates, no history yet). */
  firstRoundMakespanSeconds?: number;
  makespanSeconds: number;
  lowerBoundSeconds: number;
  criticalPathSeconds: number;
  spreadSeconds: number;
  makespanRatio: number;
  stacks: number;
  /** History events of the largest rollout execution (must not grow with targets or stacks). */
  parentHistoryEvents: number;
  /** Whether the rollouts waited for stack events (a forwarder deployed to every target first, not timed). */
  stackEvents: boolean;
  /** Seconds from a stack's end to the end of its per-stack execution (median, p95). */
  noticeLagSecondsMedian: number;
  noticeLagSecondsP95: number;
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
    stackEvents: false,
    rounds: 1,
    json: false,
  };
  parseFlags(
    argv,
    (flag, value) => {
      if (flag === '--json') options.json = true;
      else if (flag === '--stack-events') options.stackEvents = true;
      else if (flag === '--rounds') {
        const text = value() ?? '';
        if (text !== '1' && text !== '2')
          throw new Error(`--rounds must be 1 or 2. Received: ${text || '(nothing)'}`);
        options.rounds = Number(text) as 1 | 2;
      } else if (flag === '--targets') options.targets = wholeNumbers('--targets', value())[0] as number;
      else if (flag === '--concurrency') options.concurrency = wholeNumbers('--concurrency', value());
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
      } else return false;
      return true;
    },
    `use --targets N, --concurrency N[,N], --orders ${BENCH_ORDERS.join(',')}, --slow-share F, --stack-events, --rounds 1|2, --json`,
  );
  if (options.concurrency.length === 0)
    options.concurrency = [options.targets, Math.max(1, Math.round(options.targets / 10))];
  return options;
}

// The execution role manages only stacks under its StackNamePrefix (templates/execution-role.yaml).
const stackNameOf = (name: string) => `stackfleet-bench-${name}`;

/** Each target's seconds per stack (its graph name), from the stacks' times in the sandbox. */
function secondsByTarget(times: ReturnType<typeof stackTimesOf>): Map<string, Map<string, number>> {
  const byName = new Map(BENCH_GRAPH.map((s) => [stackNameOf(s.name), s.name]));
  const out = new Map<string, Map<string, number>>();
  for (const t of times) {
    const name = byName.get(t.stackName) as string;
    const key = `${t.accountId}/${t.region}`;
    const mine = out.get(key) ?? new Map<string, number>();
    mine.set(name, (mine.get(name) ?? 0) + t.seconds);
    out.set(key, mine);
  }
  return out;
}

/**
 * With `--stack-events`: deploys the forwarder (GRAPH_FORWARDER_TEMPLATE) to every target, untimed,
 * as an organisation does once with its bootstrap; its own events also mark each region as
 * flowing, so the timed rollouts wait for events from their first stack.
 */
async function deployForwarders(
  h: Awaited<ReturnType<typeof openSandboxHarness>>,
  world: ReturnType<typeof benchWorld>,
  concurrency: number,
): Promise<void> {
  const template = await h.uploadTemplate(GRAPH_FORWARDER_TEMPLATE, 'templates/bench-graph-forwarder.yaml');
  const run = await h.runRollout(
    {
      rolloutId: 'bench-forwarders',
      mode: 'deploy',
      executionRoleName: world.scenario.executionRoleName,
      stackName: stackNameOf('forwarder'),
      template,
      parameters: { AdminAccountId: h.accountId, AdminRegion: h.region },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      targets: { organizationalUnits: [BENCH_OU], regions: world.regions },
      maxConcurrency: concurrency,
      failureTolerance: { percent: 0 },
    },
    'bench-forwarders',
  );
  if (run.status !== 'SUCCEEDED')
    throw new Error(`the forwarder rollout ended ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}`);
}

/** Runs one order at one concurrency on a fresh sandbox and measures it. */
export async function graphBenchRun(
  targets: number,
  order: BenchOrder,
  concurrency: number,
  slowShare: number,
  stackEvents = false,
  rounds: 1 | 2 = 1,
): Promise<GraphBenchRun> {
  const world = benchWorld(targets, 0);
  const scenario = { ...world.scenario, durations: { ...world.scenario.durations, ...GRAPH_DURATIONS } };
  const h = await openSandboxHarness({ scenario });
  const admin = h.admin;
  if (!admin) throw new Error('the graph bench needs a provisioned admin account');
  if (stackEvents) await deployForwarders(h, world, concurrency);
  const template = await h.uploadTemplate(GRAPH_TEMPLATE, 'templates/bench-graph-stack.yaml');
  const stages = stagesOf(order);
  const inStage = (stage: readonly string[], revision: number) =>
    BENCH_GRAPH.filter((s) => stage.includes(s.name)).map((s) => {
      const slow = slowAccountsFor(s.name, world.accounts, slowShare, BENCH_SEED);
      // Only stackfleet's rollout holds both ends of a dependency; the others run it as an earlier rollout.
      const fed = s.after !== undefined && stage.includes(s.after);
      return {
        name: s.name,
        stackName: stackNameOf(s.name),
        template,
        parameters: {
          Revision: String(revision),
          ...(fed ? { Upstream: { fromStack: s.after, output: 'TopicArn' } } : {}),
        },
        ...(slow.length > 0
          ? { parameterOverrides: [{ accounts: slow, parameters: { Slow: 'true' } }] }
          : {}),
      };
    });
  const runRound = (round: number) =>
    runInSequence(
      h,
      admin.rolloutStateMachineArn,
      stages.map((stage, i) => {
        const rolloutId = round === 1 ? `bench-${order}-${i + 1}` : `bench-${order}-r${round}-${i + 1}`;
        return {
          name: rolloutId,
          label: `${order} rollout ${rolloutId}`,
          input: {
            rolloutId,
            mode: 'deploy',
            executionRoleName: world.scenario.executionRoleName,
            stacks: inStage(stage, round),
            targets: { organizationalUnits: [BENCH_OU], regions: world.regions },
            maxConcurrency: concurrency,
            failureTolerance: { percent: 10 },
            ...(stackEvents ? { stackEvents: true } : {}),
          },
        };
      }),
    );
  const names = new Set(BENCH_GRAPH.map((s) => stackNameOf(s.name)));
  let figures = await runRound(1);
  let sinceMs = Number.NEGATIVE_INFINITY;
  let firstRoundMakespanSeconds: number | undefined;
  if (rounds === 2) {
    // The second round's stack times only: every operation of it starts after the first ended.
    sinceMs = Math.max(...stackTimesOf(h, names).map((t) => t.endAt));
    firstRoundMakespanSeconds = round(figures.makespanSeconds);
    process.stderr.write(`bench:   round 1 makespan ${firstRoundMakespanSeconds}s; round 2 (updates)...\n`);
    figures = await runRound(2);
  }
  const times = stackTimesOf(h, names, sinceMs);
  const seconds = secondsByTarget(times);
  const lags = noticeLagSeconds(h, new Set(Object.values(admin.targetStateMachineArns)), times);
  const bound = graphLowerBound(seconds, concurrency);
  const makespan = figures.makespanSeconds;
  return {
    scenario: `graph-5-stacks-2-chains-seed${BENCH_SEED}`,
    targets: seconds.size,
    order,
    concurrency,
    rollouts: stages.length,
    round: rounds,
    ...(firstRoundMakespanSeconds === undefined ? {} : { firstRoundMakespanSeconds }),
    makespanSeconds: round(makespan),
    lowerBoundSeconds: round(bound.boundSeconds),
    criticalPathSeconds: round(bound.criticalPathSeconds),
    spreadSeconds: round(bound.spreadSeconds),
    makespanRatio: round(makespan / bound.boundSeconds, 3),
    stacks: times.length,
    parentHistoryEvents: figures.parentHistoryEvents,
    stackEvents,
    noticeLagSecondsMedian: round(median(lags)),
    noticeLagSecondsP95: round(quantile(lags, 0.95)),
    wallSeconds: round(figures.wallMs / 1000),
    cpuSeconds: round(figures.cpuMs / 1000),
    status: figures.status,
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
    'waits',
    'conc',
    'rollouts',
    'round',
    'round 1 s',
    'makespan s',
    'bound s',
    'critical s',
    'spread s',
    'ratio',
    'lag s',
    'lag p95 s',
    'parent events',
    'wall s',
    'status',
  ];
  const lines = runs.map((r) => [
    String(r.targets),
    r.order,
    r.stackEvents ? 'events' : 'polling',
    String(r.concurrency),
    String(r.rollouts),
    String(r.round),
    r.firstRoundMakespanSeconds === undefined ? '' : r.firstRoundMakespanSeconds.toFixed(0),
    r.makespanSeconds.toFixed(0),
    r.lowerBoundSeconds.toFixed(0),
    r.criticalPathSeconds.toFixed(0),
    r.spreadSeconds.toFixed(0),
    r.makespanRatio.toFixed(3),
    r.noticeLagSecondsMedian.toFixed(0),
    r.noticeLagSecondsP95.toFixed(0),
    String(r.parentHistoryEvents),
    r.wallSeconds.toFixed(1),
    r.status,
  ]);
  const versus = versusBetter(runs).map(
    (v) =>
      `concurrency ${v.concurrency}: stackfleet's makespan is ${v.ratio.toFixed(3)} of ${v.better}'s (the better of the others)`,
  );
  return `${textTable(header, lines)}${versus.length ? `\n${versus.join('\n')}\n` : ''}`;
}

/** The `--graph` benchmark: every order at every concurrency, then the table (or `--json`). */
export async function graphBenchMain(argv: readonly string[]): Promise<void> {
  const options = parseGraphBenchArgs(argv);
  const runs: GraphBenchRun[] = [];
  for (const concurrency of options.concurrency) {
    for (const order of options.orders) {
      process.stderr.write(
        `bench: graph, ${options.targets} targets, order ${order}, concurrency ${concurrency}${options.stackEvents ? ', stack events' : ''}...\n`,
      );
      const run = await graphBenchRun(
        options.targets,
        order,
        concurrency,
        options.slowShare,
        options.stackEvents,
        options.rounds,
      );
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
