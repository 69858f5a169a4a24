/**
 * The stacks form's limits on the sandbox: the rollout's maxConcurrency counts stacks in flight
 * (not targets), maxStacksPerTarget keeps a target under CloudFormation's quota on resources in
 * concurrent stack operations (the sandbox refuses past it with LimitExceededException, as
 * AWS does), and the parent execution's history does not grow with targets or stacks.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StoredExecution } from '../../src/engine/types';
import {
  GRAPH_MEMBERS,
  type GraphTemplates,
  graphRequest,
  graphScenario,
  openGraphHarness,
  readSummary,
} from '../helpers/graph-fixtures';
import type { SandboxHarness } from '../helpers/sandbox-harness';

/** The most per-stack (deploy-target) executions running at any one time, from their start and stop dates. */
function peakInFlight(executions: readonly StoredExecution[]): number {
  const edges = executions.flatMap((e) => [
    [e.startDate, 1],
    [e.stopDate ?? Number.POSITIVE_INFINITY, -1],
  ]) as Array<[number, number]>;
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, step] of edges) {
    now += step;
    peak = Math.max(peak, now);
  }
  return peak;
}

function stackExecutions(h: SandboxHarness, rolloutId: string): StoredExecution[] {
  const deploy = h.admin?.deployTargetStateMachineArn;
  return Object.values(h.engine.store.executions).filter(
    (e) => e.stateMachineArn === deploy && e.name.endsWith(`-${rolloutId}`),
  );
}

const QUOTA_ACCOUNT = GRAPH_MEMBERS[0] as string;

/** Three stacks that depend on nothing, three resources each (test/fixtures/graph/trio.yaml). */
async function independentStacks(h: SandboxHarness, t: GraphTemplates, rolloutId: string, cap: number) {
  const trio = await h.uploadTemplate(
    readFileSync(path.resolve(__dirname, '../fixtures/graph/trio.yaml'), 'utf8'),
    'templates/graph/trio.yaml',
  );
  return {
    ...graphRequest(t, rolloutId, { maxStacksPerTarget: cap }),
    stacks: ['one', 'two', 'three'].map((name) => ({
      name,
      stackName: `stackfleet-${name}`,
      template: trio,
    })),
    targets: { accounts: [QUOTA_ACCOUNT], regions: ['eu-west-1'] },
  };
}

/** Deploy stack calls CloudFormation refused with the concurrent-resources quota (retried as StackBusy). */
function quotaRefusals(h: SandboxHarness, rolloutId: string): number {
  return stackExecutions(h, rolloutId)
    .flatMap((e) => e.history)
    .filter((event) => {
      const details = (event as { lambdaFunctionFailedEventDetails?: { error?: string; cause?: string } })
        .lambdaFunctionFailedEventDetails;
      return details?.error === 'StackBusy' && /concurrent stack operations/.test(details.cause ?? '');
    }).length;
}

describe('maxConcurrency counts stacks in flight, not targets', () => {
  it('never runs more stacks at once than maxConcurrency, across targets, and uses all of it', async () => {
    const { h, t } = await openGraphHarness(graphScenario());
    const run = await h.runRollout(graphRequest(t, 'graph-c3', { maxConcurrency: 3 }), 'graph-c3');
    expect(run.status).toBe('SUCCEEDED');
    const executions = stackExecutions(h, 'graph-c3');
    expect(executions).toHaveLength(GRAPH_MEMBERS.length * 2 * 4);
    expect(peakInFlight(executions)).toBe(3);
  }, 120_000);
});

describe("maxStacksPerTarget keeps a target under CloudFormation's concurrent-resources quota", () => {
  // Two of these stacks' resources fit in the account's quota at once, three do not (its
  // bootstrap stack, four resources, fits alone).
  const scenario = () =>
    graphScenario({ cloudFormationQuotas: { concurrentResourcesByAccount: { [QUOTA_ACCOUNT]: 6 } } });

  it('with the cap at 2, no stack operation is refused and the third stack waits for a lane', async () => {
    const { h, t } = await openGraphHarness(scenario());
    const run = await h.runRollout(await independentStacks(h, t, 'cap-2', 2), 'cap-2');
    expect(run.status).toBe('SUCCEEDED');
    expect(quotaRefusals(h, 'cap-2')).toBe(0);
    expect(peakInFlight(stackExecutions(h, 'cap-2'))).toBe(2);
    const summary = await readSummary(h, 'cap-2');
    expect(summary.graph?.targetCounts).toEqual({ CREATED: 1 });
    const lanes = Object.values(h.engine.store.executions).filter((e) => /-lane\d-cap-2$/.test(e.name));
    expect(lanes).toHaveLength(2);
  }, 120_000);

  it('with the cap at 3, CloudFormation refuses the third at once (LimitExceededException), retried until a slot frees', async () => {
    const { h, t } = await openGraphHarness(scenario());
    const run = await h.runRollout(await independentStacks(h, t, 'cap-3', 3), 'cap-3');
    expect(run.status).toBe('SUCCEEDED');
    expect(quotaRefusals(h, 'cap-3')).toBeGreaterThan(0);
    const summary = await readSummary(h, 'cap-3');
    expect(summary.graph?.targetCounts).toEqual({ CREATED: 1 });
  }, 120_000);
});

describe("the parent's history does not grow with targets or stacks", () => {
  it('has as many events for one stack in one target as for four stacks in eight targets', async () => {
    const { h, t } = await openGraphHarness(graphScenario());
    const small = await h.runRollout(
      {
        ...graphRequest(t, 'hist-small'),
        stacks: [{ name: 'topic', stackName: 'stackfleet-topic', template: t.topic }],
        targets: { accounts: [GRAPH_MEMBERS[0]], regions: ['eu-west-1'] },
      },
      'hist-small',
    );
    const large = await h.runRollout(graphRequest(t, 'hist-large'), 'hist-large');
    expect(small.status).toBe('SUCCEEDED');
    expect(large.status).toBe('SUCCEEDED');
    expect(large.metrics.targets).toBe(GRAPH_MEMBERS.length * 2 * 4);
    expect(large.metrics.parentHistoryEvents).toBe(small.metrics.parentHistoryEvents);
  }, 120_000);
});
