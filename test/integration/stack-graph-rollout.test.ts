/**
 * The stacks form on the sandbox, through the real state machines (rollout, walk-lane and
 * deploy-target) and functions: a graph of stacks (topic -> group -> rule, and alerts beside
 * them) deployed to every target, each target walking its own graph.
 */
import type { RolloutSummaryDocument, TargetResult } from '../../src/core/summary';
import {
  GRAPH_MEMBERS,
  GRAPH_REGIONS,
  type GraphTemplates,
  graphRequest,
  graphScenario,
  memberStack,
  openGraphHarness,
  readSummary,
  resultOf,
} from '../helpers/graph-fixtures';
import type { RunResult, SandboxHarness } from '../helpers/sandbox-harness';

const at = (iso: string | undefined) => Date.parse(iso ?? '');
const targets = () => GRAPH_MEMBERS.flatMap((a) => GRAPH_REGIONS.map((r) => [a, r] as const));

describe('a graph of stacks deployed to many targets', () => {
  let h: SandboxHarness;
  let t: GraphTemplates;
  let first: RunResult;
  let summary: RolloutSummaryDocument;

  beforeAll(async () => {
    ({ h, t } = await openGraphHarness(graphScenario()));
    first = await h.runRollout(graphRequest(t, 'graph-first'), 'graph-first');
    summary = await readSummary(h, 'graph-first');
  }, 120_000);

  it('creates every stack in every target and reports each (target, stack), per stack and per target', () => {
    expect(first.status).toBe('SUCCEEDED');
    expect(summary.targets).toHaveLength(targets().length * 4);
    for (const [account, region] of targets()) {
      for (const stack of ['topic', 'group', 'rule', 'alerts']) {
        expect(resultOf(summary, account, region, stack).outcome).toBe('CREATED');
      }
    }
    expect(summary.graph?.stacks).toEqual(['topic', 'group', 'rule', 'alerts']);
    expect(summary.graph?.byStack.group).toEqual({ CREATED: targets().length });
    expect(summary.graph?.targetCounts).toEqual({ CREATED: targets().length });
    expect(summary.counts.CREATED).toBe(targets().length * 4);
  });

  it("runs each target's stacks in dependency order, and independent ones at the same time", () => {
    let overlapping = 0;
    for (const [account, region] of targets()) {
      const [topic, group, rule, alerts] = ['topic', 'group', 'rule', 'alerts'].map((s) =>
        resultOf(summary, account, region, s),
      ) as [TargetResult, TargetResult, TargetResult, TargetResult];
      expect(at(group.startedAt)).toBeGreaterThanOrEqual(at(topic.finishedAt));
      expect(at(rule.startedAt)).toBeGreaterThanOrEqual(at(group.finishedAt));
      // alerts depends on nothing: it runs in its own lane, while topic runs.
      if (at(alerts.startedAt) < at(topic.finishedAt) && at(topic.startedAt) < at(alerts.finishedAt)) {
        overlapping++;
      }
    }
    expect(overlapping).toBe(targets().length);
  });

  it("gives a dependant its dependency's outputs in the same target as parameters", () => {
    for (const [account, region] of targets()) {
      const topic = memberStack(h, account, region, 'stackfleet-topic');
      const group = memberStack(h, account, region, 'stackfleet-group');
      const rule = memberStack(h, account, region, 'stackfleet-rule');
      expect(topic.outputs.TopicArn).toMatch(new RegExp(`^arn:aws:sns:${region}:${account}:`));
      expect(group.parameters.TopicArn).toBe(topic.outputs.TopicArn);
      expect(rule.parameters).toMatchObject({
        TopicArn: topic.outputs.TopicArn,
        GroupName: group.outputs.GroupName,
        GroupLabel: 'group-1',
      });
    }
    const sample = resultOf(summary, GRAPH_MEMBERS[0] as string, 'eu-west-1', 'rule');
    expect(sample.inputsFrom).toEqual({
      TopicArn: 'topic.TopicArn',
      GroupName: 'group.GroupName',
      GroupLabel: 'group.Label',
    });
  });

  it('names each stack execution after its target and stack, under a lane walker per lane', () => {
    const group = resultOf(summary, GRAPH_MEMBERS[0] as string, 'us-east-1', 'group');
    expect(group.executionName).toBe(`${GRAPH_MEMBERS[0]}-us-east-1-group-graph-first`);
    const names = Object.values(h.engine.store.executions).map((e) => e.name);
    expect(names).toContain(`${GRAPH_MEMBERS[0]}-us-east-1-lane1-graph-first`);
    expect(names).toContain(`${GRAPH_MEMBERS[0]}-us-east-1-lane2-graph-first`);
  });

  it('touches nothing on a re-run: every stack of every target is NO_CHANGE', async () => {
    const again = await h.runRollout(graphRequest(t, 'graph-again'), 'graph-again');
    expect(again.status).toBe('SUCCEEDED');
    const s = await readSummary(h, 'graph-again');
    expect(s.counts).toMatchObject({ NO_CHANGE: targets().length * 4, CREATED: 0, UPDATED: 0, FAILED: 0 });
    // The parent's history is the same whatever the graph's outcomes.
    expect(again.metrics.parentHistoryEvents).toBe(first.metrics.parentHistoryEvents);
  });

  it('updates only the middle stack, and its dependant only where an input it reads changed', async () => {
    // A change the middle stack's outputs do not show: nothing downstream moves.
    await h.runRollout(graphRequest(t, 'graph-retention', {}, { Retention: 60 }), 'graph-retention');
    const quiet = await readSummary(h, 'graph-retention');
    expect(quiet.graph?.byStack).toEqual({
      topic: { NO_CHANGE: 8 },
      group: { UPDATED: 8 },
      rule: { NO_CHANGE: 8 },
      alerts: { NO_CHANGE: 8 },
    });
    // A change of an output the last stack reads: it is updated with the new value.
    await h.runRollout(
      graphRequest(t, 'graph-label', {}, { Retention: 60, Label: 'group-2' }),
      'graph-label',
    );
    const loud = await readSummary(h, 'graph-label');
    expect(loud.graph?.byStack).toEqual({
      topic: { NO_CHANGE: 8 },
      group: { UPDATED: 8 },
      rule: { UPDATED: 8 },
      alerts: { NO_CHANGE: 8 },
    });
    const [account, region] = targets()[0] as readonly [string, string];
    expect(memberStack(h, account, region, 'stackfleet-rule').parameters.GroupLabel).toBe('group-2');
  });
});

describe('a dependency failing in one target', () => {
  const FAILING = GRAPH_MEMBERS[1] as string;
  let h: SandboxHarness;
  let run: RunResult;
  let summary: RolloutSummaryDocument;

  beforeAll(async () => {
    let t: GraphTemplates;
    ({ h, t } = await openGraphHarness(
      graphScenario({
        faults: {
          resourceFailures: [
            {
              accounts: [FAILING],
              regions: ['eu-west-1'],
              resourceType: 'AWS::Logs::LogGroup',
              reason: 'Resource handler returned message: "log group quota reached"',
              on: 'create',
            },
          ],
        },
      }),
    ));
    run = await h.runRollout(graphRequest(t, 'graph-fail', { failureTolerance: { count: 2 } }), 'graph-fail');
    summary = await readSummary(h, 'graph-fail');
  }, 120_000);

  it('fails that stack there and leaves its dependants BLOCKED, naming the failed dependency', () => {
    expect(run.status).toBe('SUCCEEDED');
    const group = resultOf(summary, FAILING, 'eu-west-1', 'group');
    expect(group).toMatchObject({ outcome: 'FAILED', error: 'StackFailed' });
    expect(group.reason).toContain('log group quota reached');
    expect(group.failedResource).toMatchObject({ logicalId: 'Group', type: 'AWS::Logs::LogGroup' });
    const rule = resultOf(summary, FAILING, 'eu-west-1', 'rule');
    expect(rule).toMatchObject({ outcome: 'BLOCKED', blockedBy: 'group' });
    expect(rule.reason).toContain('its dependency group failed');
    // Nothing of the blocked stack was touched in that account.
    const names = Object.values(h.engine.store.executions).map((e) => e.name);
    expect(names).not.toContain(`${FAILING}-eu-west-1-rule-graph-fail`);
  });

  it("goes on with the rest of that target's graph, and every other target completes", () => {
    expect(resultOf(summary, FAILING, 'eu-west-1', 'topic').outcome).toBe('CREATED');
    expect(resultOf(summary, FAILING, 'eu-west-1', 'alerts').outcome).toBe('CREATED');
    for (const [account, region] of targets()) {
      if (account === FAILING && region === 'eu-west-1') continue;
      for (const stack of ['topic', 'group', 'rule', 'alerts']) {
        expect({
          account,
          region,
          stack,
          outcome: resultOf(summary, account, region, stack).outcome,
        }).toEqual({
          account,
          region,
          stack,
          outcome: 'CREATED',
        });
      }
    }
    expect(summary.counts).toMatchObject({ CREATED: targets().length * 4 - 2, FAILED: 1, BLOCKED: 1 });
    const failedTarget = summary.graphTargets?.find(
      (g) => g.accountId === FAILING && g.region === 'eu-west-1',
    );
    expect(failedTarget).toEqual({
      accountId: FAILING,
      region: 'eu-west-1',
      outcome: 'FAILED',
      stacks: { topic: 'CREATED', group: 'FAILED', rule: 'BLOCKED', alerts: 'CREATED' },
    });
    expect(summary.failures).toEqual([
      expect.objectContaining({
        accountId: FAILING,
        region: 'eu-west-1',
        stack: 'group',
        error: 'StackFailed',
      }),
    ]);
  });
});
