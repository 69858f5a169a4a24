/**
 * One run of the policy benchmark (scripts/bench.ts, issue 9): a rollout of the bench world's
 * baseline under one polling policy on a fresh sandbox, and the figures read back from it.
 */
import type { StoredExecution } from '../../src/engine/types';
import { openSandboxHarness, type SandboxHarness } from '../../test/helpers/sandbox-harness';
import { noticeLagSeconds, round, runInSequence, stackTimesOf } from './measure';
import { calibrateCfnCounting, provisionPolicy } from './provision';
import { type BenchWorld, benchWorld } from './scenario';
import { listScheduleMakespan, makespanLowerBound, makespanRatio, median, quantile } from './stats';
import { type BenchPolicy, POLICY_SPECS, splitIntoBatches } from './variants';

const SCENARIO_NAME = 'baseline-spread-seed4242';

/** One row of the benchmark: the fields issue 9 names, plus details the doc explains. */
export interface BenchRun {
  scenario: string;
  targets: number;
  policy: BenchPolicy;
  /** Whether the sandbox evaluated IAM on every request (the default; `off` only for this comparison). */
  iam: 'on' | 'off';
  concurrency: number;
  makespanSeconds: number;
  lowerBoundSeconds: number;
  makespanRatio: number;
  transitionsPerTargetMedian: number;
  cfnCallsPerTargetMedian: number;
  parentHistoryEvents: number;
  wallSeconds: number;
  /** Details beyond the fields. */
  cpuSeconds: number;
  status: string;
  stacks: number;
  stackSecondsMedian: number;
  stackSecondsP95: number;
  longestStackSeconds: number;
  transitionsPerTargetP95: number;
  cfnCallsPerTargetP95: number;
  /** Makespan of the same stacks, started in the same order, each the moment a slot frees (no polling delay). */
  listScheduleSeconds: number;
  /** The same with the longest stacks started first (what knowing durations up front would give). */
  longestFirstSeconds: number;
  /** Seconds from a stack's end to the end of its target's execution (median, p95). */
  noticeLagSecondsMedian: number;
  noticeLagSecondsP95: number;
  /** How many times the sandbox counted one CloudFormation call (figures are divided by it). */
  cfnCountingFactor: number;
  /** Share of Stack Status Change events the scenario lost (`--lose-events`). */
  lostEventsShare: number;
}

/**
 * State transitions each target caused: its deploy-target execution plus the Distributed Map
 * child that started it (shared evenly when one child runs several targets).
 */
function transitionsPerTarget(h: SandboxHarness, deployTargetArn: string): number[] {
  const executions = h.engine.store.executions as Record<string, StoredExecution>;
  const targetsByParent = new Map<string, number>();
  const deploys = Object.values(executions).filter((e) => e.stateMachineArn === deployTargetArn);
  for (const e of deploys) {
    if (e.parentExecutionArn)
      targetsByParent.set(e.parentExecutionArn, (targetsByParent.get(e.parentExecutionArn) ?? 0) + 1);
  }
  return deploys.map((e) => {
    const parent = e.parentExecutionArn ? executions[e.parentExecutionArn] : undefined;
    const share = parent?.mapRunArn
      ? parent.stateTransitions / (targetsByParent.get(parent.executionArn) ?? 1)
      : 0;
    return e.stateTransitions + share;
  });
}

/** Runs one policy on a fresh sandbox of `targets` targets and measures it. */
export async function benchRun(
  targets: number,
  policy: BenchPolicy,
  concurrency: number,
  iam: 'on' | 'off' = 'on',
  loseEvents = 0,
): Promise<BenchRun> {
  const world: BenchWorld = benchWorld(targets);
  // faults.stackEvents: the share of Stack Status Change events lost on their way (every policy
  // runs the same world; only stackfleet-events listens to them).
  const withFaults =
    loseEvents > 0
      ? { ...world.scenario, faults: { ...world.scenario.faults, stackEvents: [{ lose: loseEvents }] } }
      : world.scenario;
  const scenario = iam === 'on' ? withFaults : { ...withFaults, iam: { enforce: false } };
  const h = await openSandboxHarness({ scenario });
  const factor = await calibrateCfnCounting(h);
  const { rollout, deployTarget } = await provisionPolicy(h, policy);
  const template = h.template as { bucket: string; key: string; versionId: string };
  const stackName = 'stackfleet-baseline';
  const request = {
    mode: 'deploy',
    stackName,
    executionRoleName: world.scenario.executionRoleName,
    template,
    // Every policy deploys the same stacks: the baseline forwarding to the admin account (its
    // stack status events reach the admin bus; only stackfleet-events waits for them).
    parameters: { ...world.parameters, AdminAccountId: h.accountId, AdminRegion: h.region },
    ...(POLICY_SPECS[policy].stackEvents ? { stackEvents: true } : {}),
    parameterOverrides: world.parameterOverrides,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    maxConcurrency: concurrency,
    failureTolerance: { percent: 10 },
  };
  // batch: org-formation's schedule as an outer loop of rollouts, each a batch of `concurrency`
  // targets (whole accounts) that runs to completion before the next starts
  const accountBatches = POLICY_SPECS[policy].batches
    ? splitIntoBatches(world.accounts, Math.max(1, Math.floor(concurrency / world.regions.length)))
    : [null];
  const figures = await runInSequence(
    h,
    rollout,
    accountBatches.map((batch) => {
      const targetsSpec = batch
        ? { accounts: batch, regions: world.regions }
        : { organizationalUnits: [world.scenario.organization.ous[0]?.id as string], regions: world.regions };
      const overrides = batch
        ? world.parameterOverrides
            .map((o) => ({ ...o, accounts: o.accounts.filter((a) => batch.includes(a)) }))
            .filter((o) => o.accounts.length > 0)
        : world.parameterOverrides;
      return {
        input: { ...request, parameterOverrides: overrides, targets: targetsSpec },
        label: `${policy} rollout`,
      };
    }),
    (i) => {
      if (accountBatches.length > 1 && (i % 10 === 0 || i === accountBatches.length - 1))
        process.stderr.write(`bench:   batch ${i + 1}/${accountBatches.length}\n`);
    },
  );
  const makespan = figures.makespanSeconds;
  const memberKeys = new Set(world.accounts.flatMap((a) => world.regions.map((r) => `${a}/${r}`)));
  const cfnCalls = Object.entries(h.sandbox.world.metrics.cloudFormationCallsByTarget)
    .filter(([key]) => memberKeys.has(key))
    .map(([, count]) => count / factor);
  const transitions = transitionsPerTarget(h, deployTarget);
  const times = stackTimesOf(h, new Set([stackName]));
  const stacks = times.map((t) => t.seconds);
  const inStartOrder = [...times].sort((a, b) => a.startedAt - b.startedAt).map((t) => t.seconds);
  const lags = noticeLagSeconds(h, new Set([deployTarget]), times);
  const bound = makespanLowerBound(stacks, concurrency);
  return {
    scenario: SCENARIO_NAME,
    targets: memberKeys.size,
    policy,
    iam,
    concurrency,
    makespanSeconds: round(makespan, 1),
    lowerBoundSeconds: round(bound, 1),
    makespanRatio: round(makespanRatio(makespan, bound), 3),
    transitionsPerTargetMedian: round(median(transitions), 1),
    cfnCallsPerTargetMedian: round(median(cfnCalls), 1),
    parentHistoryEvents: figures.parentHistoryEvents,
    wallSeconds: round(figures.wallMs / 1000, 1),
    cpuSeconds: round(figures.cpuMs / 1000, 1),
    status: figures.status,
    stacks: stacks.length,
    stackSecondsMedian: round(median(stacks), 1),
    stackSecondsP95: round(quantile(stacks, 0.95), 1),
    longestStackSeconds: round(Math.max(0, ...stacks), 1),
    transitionsPerTargetP95: round(quantile(transitions, 0.95), 1),
    cfnCallsPerTargetP95: round(quantile(cfnCalls, 0.95), 1),
    listScheduleSeconds: round(listScheduleMakespan(inStartOrder, concurrency), 1),
    longestFirstSeconds: round(
      listScheduleMakespan(
        [...stacks].sort((a, b) => b - a),
        concurrency,
      ),
      1,
    ),
    noticeLagSecondsMedian: round(median(lags), 1),
    noticeLagSecondsP95: round(quantile(lags, 0.95), 1),
    cfnCountingFactor: factor,
    lostEventsShare: loseEvents,
  };
}
