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
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { awsClients } from '../src/aws/clients';
import { substituteDefinition } from '../src/core/functions';
import { stateMachineArn } from '../src/engine/arns';
import { createOrUpdateStateMachine } from '../src/engine/provision';
import type { StoredExecution } from '../src/engine/types';
import { cfnSection } from '../src/sandbox/cfn/state';
import { findRoleByArn, iamSection, putRole } from '../src/sandbox/iam/state';
import { openSandboxHarness, type SandboxHarness } from '../test/helpers/sandbox-harness';
import { graphBenchMain } from './bench/graph-run';
import { type BenchWorld, benchWorld } from './bench/scenario';
import {
  countingFactor,
  listScheduleMakespan,
  makespanLowerBound,
  makespanRatio,
  median,
  quantile,
} from './bench/stats';
import {
  BENCH_POLICIES,
  type BenchPolicy,
  POLICY_SPECS,
  parsePolicies,
  renamePlaceholder,
  splitIntoBatches,
  withFixedStackWait,
} from './bench/variants';

const REPO_ROOT = path.resolve(__dirname, '..');
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

/** Measures how many times the sandbox counts one CloudFormation call (it was 2 when written). */
async function calibrateCfnCounting(h: SandboxHarness): Promise<number> {
  const key = `${h.accountId}/${h.region}`;
  const before = h.sandbox.world.metrics.cloudFormationCallsByTarget[key] ?? 0;
  await h.virtual(() => awsClients.cloudFormation({ region: h.region }).send(new DescribeStacksCommand({})));
  const after = h.sandbox.world.metrics.cloudFormationCallsByTarget[key] ?? 0;
  return countingFactor(after - before);
}

/** Provisions the policy's variant deploy-target and rollout state machines; the real ones for stackfleet. */
async function provisionPolicy(
  h: SandboxHarness,
  policy: BenchPolicy,
): Promise<{ rollout: string; deployTarget: string }> {
  const admin = h.admin;
  if (!admin) throw new Error('bench needs a provisioned admin account');
  const spec = POLICY_SPECS[policy];
  // stackfleet-events runs the real machines too: only the rollout input differs (stackEvents).
  if (spec.fixedWaitSeconds === undefined)
    return { rollout: admin.rolloutStateMachineArn, deployTarget: admin.deployTargetStateMachineArn };
  const roleArn = await benchVariantRole(h);
  const deployName = `stackfleet-deploy-target-${policy}`;
  const rolloutName = `stackfleet-rollout-${policy}`;
  const deployText = readFileSync(path.join(REPO_ROOT, 'statemachines', 'deploy-target.asl.json'), 'utf8');
  const deployDef = withFixedStackWait(JSON.parse(deployText), spec.fixedWaitSeconds);
  const rolloutText = renamePlaceholder(
    readFileSync(path.join(REPO_ROOT, 'statemachines', 'rollout.asl.json'), 'utf8'),
    'DeployTargetStateMachineArn',
    'BenchDeployTargetStateMachineArn',
  );
  return h.virtual(async () => {
    const deployTarget = await createOrUpdateStateMachine(h.sfn, {
      name: deployName,
      definition: substituteDefinition(JSON.stringify(deployDef), admin.substitutions),
      roleArn,
      arn: stateMachineArn(h.region, h.accountId, deployName),
    });
    const rollout = await createOrUpdateStateMachine(h.sfn, {
      name: rolloutName,
      definition: substituteDefinition(rolloutText, {
        ...admin.substitutions,
        BenchDeployTargetStateMachineArn: deployTarget,
      }),
      roleArn,
      arn: stateMachineArn(h.region, h.accountId, rolloutName),
    });
    return { rollout, deployTarget };
  });
}

/**
 * The role the policy variants run as: what the real rollout and deploy-target machines' CDK roles
 * allow, plus their own executions (as an operator would add a role for an experiment), so IAM
 * applies to the variants as to the real machines.
 */
async function benchVariantRole(h: SandboxHarness): Promise<string> {
  const admin = h.admin as NonNullable<SandboxHarness['admin']>;
  const section = iamSection(h.sandbox.world);
  const policies: Record<string, string> = {};
  for (const arn of [admin.rolloutStateMachineArn, admin.deployTargetStateMachineArn]) {
    const machine = h.engine.store.stateMachines[arn];
    const role = machine ? findRoleByArn(section, machine.roleArn) : undefined;
    for (const [name, text] of Object.entries(role?.inlinePolicies ?? {})) policies[name] = text;
  }
  policies.BenchVariants = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution'],
        Resource: [
          `arn:aws:states:${h.region}:${h.accountId}:stateMachine:stackfleet-*`,
          `arn:aws:states:${h.region}:${h.accountId}:execution:stackfleet-*`,
        ],
      },
    ],
  });
  const role = putRole(section, {
    accountId: h.accountId,
    name: 'stackfleet-bench-variants',
    path: '/stackfleet/',
    trustPolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    }),
    inlinePolicies: policies,
    now: h.sandbox.now(),
  });
  return role.arn;
}

/**
 * Seconds each stack's operations took, read from the sandbox's CloudFormation state, and
 * when its last operation ended (by `account/region`), to see how late each end was noticed.
 */
function stackTimes(
  h: SandboxHarness,
  stackName: string,
): { seconds: number[]; inStartOrder: number[]; endAt: Map<string, number> } {
  const seconds: number[] = [];
  const starts: Array<[number, number]> = [];
  const endAt = new Map<string, number>();
  for (const [key, target] of Object.entries(cfnSection(h.sandbox.world).targets)) {
    for (const stack of Object.values(target.stacks)) {
      if (stack.stackName !== stackName) continue;
      let ms = 0;
      for (const op of stack.ops) {
        ms += op.endAt - op.startedAt;
        endAt.set(key, Math.max(endAt.get(key) ?? 0, op.endAt));
      }
      seconds.push(ms / 1000);
      starts.push([stack.ops[0]?.startedAt ?? 0, ms / 1000]);
    }
  }
  starts.sort((a, b) => a[0] - b[0]);
  return { seconds, inStartOrder: starts.map(([, s]) => s), endAt };
}

/**
 * Seconds between a stack's end and the end of its target's execution: the time a slot stays
 * taken after the work is done, which is what pushes the makespan above the bound.
 */
function noticeLagSeconds(h: SandboxHarness, deployTargetArn: string, endAt: Map<string, number>): number[] {
  const out: number[] = [];
  for (const e of Object.values(h.engine.store.executions as Record<string, StoredExecution>)) {
    if (e.stateMachineArn !== deployTargetArn || e.stopDate === undefined) continue;
    const input = JSON.parse(e.input) as { accountId?: string; region?: string };
    const end = endAt.get(`${input.accountId}/${input.region}`);
    if (end !== undefined) out.push((e.stopDate - end) / 1000);
  }
  return out;
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
  let makespan = 0;
  let wallMs = 0;
  let cpuMs = 0;
  let parentEvents = 0;
  const statuses = new Set<string>();
  for (const [i, batch] of accountBatches.entries()) {
    const targetsSpec = batch
      ? { accounts: batch, regions: world.regions }
      : { organizationalUnits: [world.scenario.organization.ous[0]?.id as string], regions: world.regions };
    const overrides = batch
      ? world.parameterOverrides
          .map((o) => ({ ...o, accounts: o.accounts.filter((a) => batch.includes(a)) }))
          .filter((o) => o.accounts.length > 0)
      : world.parameterOverrides;
    if (accountBatches.length > 1 && (i % 10 === 0 || i === accountBatches.length - 1))
      process.stderr.write(`bench:   batch ${i + 1}/${accountBatches.length}\n`);
    const run = await h.run(rollout, { ...request, parameterOverrides: overrides, targets: targetsSpec });
    makespan += run.metrics.simulatedSeconds;
    wallMs += run.metrics.wallMs;
    cpuMs += run.metrics.cpuMs;
    parentEvents = Math.max(parentEvents, run.metrics.parentHistoryEvents);
    statuses.add(run.status);
    if (run.status !== 'SUCCEEDED')
      process.stderr.write(
        `bench: ${policy} rollout ended ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}\n`,
      );
  }
  const memberKeys = new Set(world.accounts.flatMap((a) => world.regions.map((r) => `${a}/${r}`)));
  const cfnCalls = Object.entries(h.sandbox.world.metrics.cloudFormationCallsByTarget)
    .filter(([key]) => memberKeys.has(key))
    .map(([, count]) => count / factor);
  const transitions = transitionsPerTarget(h, deployTarget);
  const { seconds: stacks, inStartOrder, endAt } = stackTimes(h, stackName);
  const lags = noticeLagSeconds(h, deployTarget, endAt);
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
    parentHistoryEvents: parentEvents,
    wallSeconds: round(wallMs / 1000, 1),
    cpuSeconds: round(cpuMs / 1000, 1),
    status: [...statuses].join('+'),
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

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

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
  const wholeList = (flag: string, text: string | undefined): number[] => {
    const values = (text ?? '').split(',').map((s) => s.trim());
    if (!text || values.some((v) => !/^[1-9]\d*$/.test(v)))
      throw new Error(
        `${flag} must be whole numbers of at least 1, comma-separated. Received: ${text ?? '(nothing)'}`,
      );
    return values.map(Number);
  };
  const bare: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--json') options.json = true;
    else if (flag === '--targets') options.targets = wholeList('--targets', value());
    else if (flag === '--policies') options.policies = parsePolicies(value() ?? '');
    else if (flag === '--concurrency') options.concurrency = wholeList('--concurrency', value())[0];
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
    else
      throw new Error(
        `unknown option ${arg}: use --targets N[,N], --policies ${BENCH_POLICIES.join(',')}, --concurrency N, --iam on[,off], --lose-events S[,S], --json`,
      );
  }
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
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  return `${fmt(header)}\n${lines.map(fmt).join('\n')}\n`;
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
