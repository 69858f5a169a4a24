/**
 * `npm run bench:replay`: how the wait policy's create tuning trades makespan against checks.
 * Runs one stackfleet rollout of the benchmark scenario (docs/benchmarks.md) to record every
 * stack's real event timeline, then replays those timelines through the policy under a grid of
 * tunings (first look share, margin seconds, margin share) and prints one row per tuning,
 * best makespan first. The shipped tuning is marked; the replay of it should be close to the
 * bench's own figures (the replay leaves out the engine's Lambda and Wait overheads).
 *
 *   npm run bench:replay                      # 1,000 targets
 *   npm run bench:replay -- --targets 3000 --json
 */
import '../src/core/polyfills';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  type CreateTuning,
  DEFAULT_CREATE_TUNING,
  readTemplateResources,
  type TemplateResource,
} from '../src/core/wait-policy';
import { cfnSection, unpackEvents } from '../src/sandbox/cfn/state';
import { openSandboxHarness } from '../test/helpers/sandbox-harness';
import { type ReplayFigures, replay, type StackTimeline } from './bench/replay';
import { benchWorld } from './bench/scenario';

const REPO_ROOT = path.resolve(__dirname, '..');
const STACK_NAME = 'stackfleet-baseline';

/** Runs the benchmark rollout once and reads back every stack's create as it happened. */
async function recordTimelines(targets: number, concurrency: number): Promise<StackTimeline[]> {
  const world = benchWorld(targets);
  const h = await openSandboxHarness({ scenario: world.scenario });
  const admin = h.admin;
  if (!admin || !h.template) throw new Error('bench:replay needs a provisioned admin account and template');
  const run = await h.run(admin.rolloutStateMachineArn, {
    mode: 'deploy',
    stackName: STACK_NAME,
    executionRoleName: world.scenario.executionRoleName,
    template: h.template,
    parameters: world.parameters,
    parameterOverrides: world.parameterOverrides,
    capabilities: ['CAPABILITY_NAMED_IAM'],
    maxConcurrency: concurrency,
    failureTolerance: { percent: 10 },
    targets: {
      organizationalUnits: [world.scenario.organization.ous[0]?.id as string],
      regions: world.regions,
    },
  });
  if (run.status !== 'SUCCEEDED')
    throw new Error(`the recording rollout ended ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}`);

  const body = readFileSync(path.join(REPO_ROOT, 'templates', 'baseline.yaml'), 'utf8');
  const slow = new Set(world.slowAccounts);
  const graphs = new Map<string, Record<string, TemplateResource>>();
  const timelines: StackTimeline[] = [];
  for (const [key, target] of Object.entries(cfnSection(h.sandbox.world).targets)) {
    const [accountId = '', region = ''] = key.split('/');
    for (const stack of Object.values(target.stacks)) {
      const op = stack.ops[0];
      if (stack.stackName !== STACK_NAME || !op || op.kind !== 'CREATE') continue;
      const parameters = { ...world.parameters, ...(slow.has(accountId) ? { EnableConfig: 'true' } : {}) };
      const graphKey = `${region}/${JSON.stringify(parameters)}`;
      let resources = graphs.get(graphKey);
      if (!resources) {
        resources = readTemplateResources(body, { region, accountId, parameters });
        graphs.set(graphKey, resources);
      }
      timelines.push({
        startedAt: op.startedAt,
        seconds: (op.endAt - op.startedAt) / 1000,
        resources,
        events: unpackEvents(op)
          .filter((e) => e.logicalId !== undefined)
          .map((e) => ({
            at: (e.at - op.startedAt) / 1000,
            logicalId: e.logicalId as string,
            status: e.status,
          })),
      });
    }
  }
  return timelines;
}

/** The grid compared: around the shipped tuning, wide enough to show the plateau. */
export function tuningGrid(): CreateTuning[] {
  const grid: CreateTuning[] = [];
  for (const firstLookShare of [0.4, 0.5, 0.55, 0.6, 0.7])
    for (const marginSeconds of [0, 3, 5, 8])
      for (const marginShare of [0.1, 0.2, 0.25, 0.3, 0.35])
        grid.push({ firstLookShare, marginSeconds, marginShare });
  return grid;
}

function parseArgs(argv: readonly string[]): { targets: number; json: boolean } {
  const options = { targets: 1000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') options.json = true;
    else if (arg === '--targets') {
      const text = argv[++i];
      if (!text || !/^[1-9]\d*$/.test(text))
        throw new Error(`--targets must be a whole number of at least 1. Received: ${text ?? '(nothing)'}`);
      options.targets = Number(text);
    } else throw new Error(`unknown option ${arg}: use --targets N, --json`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const concurrency = Math.max(1, Math.round(options.targets / 10));
  process.stderr.write(
    `bench:replay: recording ${options.targets} targets (concurrency ${concurrency})...\n`,
  );
  const timelines = await recordTimelines(options.targets, concurrency);
  process.stderr.write(
    `bench:replay: replaying ${timelines.length} creates under ${tuningGrid().length} tunings\n`,
  );
  const rows: Array<{ tuning: CreateTuning; shipped: boolean } & ReplayFigures> = tuningGrid().map(
    (tuning) => ({
      tuning,
      shipped:
        tuning.firstLookShare === DEFAULT_CREATE_TUNING.firstLookShare &&
        tuning.marginSeconds === DEFAULT_CREATE_TUNING.marginSeconds &&
        tuning.marginShare === DEFAULT_CREATE_TUNING.marginShare,
      ...replay(timelines, concurrency, tuning),
    }),
  );
  rows.sort((a, b) => a.makespanRatio - b.makespanRatio);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ targets: timelines.length, concurrency, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    'first look  margin s  margin share  ratio  lag s  checks  <=2 checks  transitions  CFN calls\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.tuning.firstLookShare.toFixed(2).padStart(10)}  ${String(r.tuning.marginSeconds).padStart(8)}  ${r.tuning.marginShare
        .toFixed(2)
        .padStart(
          12,
        )}  ${r.makespanRatio.toFixed(3)}  ${r.noticeLagSecondsMedian.toFixed(0).padStart(5)}  ${String(
        r.checksMedian,
      ).padStart(6)}  ${`${Math.round(100 * r.twoCheckShare)}%`.padStart(10)}  ${String(
        r.transitionsPerTargetMedian,
      ).padStart(11)}  ${String(r.cfnCallsPerTargetMedian).padStart(9)}${r.shipped ? '  <- shipped' : ''}\n`,
    );
  }
}

if (require.main === module) {
  main()
    .then(() => process.exit(0))
    .catch((error) => {
      process.stderr.write(
        `bench:replay failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    });
}
