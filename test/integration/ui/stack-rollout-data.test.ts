/**
 * The UI's data for a graph-of-stacks rollout on the sandbox, through the real state machines
 * (rollout, walk-lane, deploy-target): with summary.json (the UI server's S3 client) and without
 * it (only the per-stack executions Step Functions lists), each (target, stack) is its own row and
 * each target's own row carries its worst stack, as the CLI summary's graphTargets do.
 */
import type { RolloutSummaryDocument } from '../../../src/core/summary';
import { DefinitionCache } from '../../../src/ui/definitions';
import { RolloutTracker } from '../../../src/ui/rollout-data';
import {
  GRAPH_MEMBERS,
  GRAPH_REGIONS,
  graphRequest,
  graphScenario,
  openGraphHarness,
  readSummary,
} from '../../helpers/graph-fixtures';
import type { RunResult, SandboxHarness } from '../../helpers/sandbox-harness';

const FAILING = GRAPH_MEMBERS[1] as string;

function rowsOf(tracker: RolloutTracker): Record<string, string> {
  const t = tracker.snapshot(0).targets;
  return Object.fromEntries(
    t.rows.map(([a, r, o, , , stack]) => [
      `${t.accounts[a]}/${t.regions[r]}/${stack ?? '*'}`,
      t.outcomes[o]!,
    ]),
  );
}

describe('UI data of a graph-of-stacks rollout', () => {
  let h: SandboxHarness;
  let run: RunResult;
  let summary: RolloutSummaryDocument;

  beforeAll(async () => {
    let t: Parameters<typeof graphRequest>[0];
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
    run = await h.runRollout(graphRequest(t, 'ui-data', { failureTolerance: { count: 2 } }), 'ui-data');
    summary = await readSummary(h, 'ui-data');
  }, 120_000);

  const tracker = (withS3: boolean) =>
    new RolloutTracker(h.sfn, run.executionArn, new DefinitionCache(h.sfn), {
      minIntervalMs: 0,
      ...(withS3 ? { s3: h.s3 } : {}),
    });

  it("gives every (target, stack) the summary's outcome and every target the summary's worst", async () => {
    const t = tracker(true);
    await t.refresh(true);
    const rows = rowsOf(t);
    for (const r of summary.targets)
      expect([r.accountId, r.region, r.stack, rows[`${r.accountId}/${r.region}/${r.stack}`]]).toEqual([
        r.accountId,
        r.region,
        r.stack,
        r.outcome,
      ]);
    for (const g of summary.graphTargets ?? []) expect(rows[`${g.accountId}/${g.region}/*`]).toBe(g.outcome);
    expect(rows[`${FAILING}/eu-west-1/rule`]).toBe('BLOCKED');
    expect(rows[`${FAILING}/eu-west-1/*`]).toBe('FAILED');
    const header = t.snapshot(0).rollout;
    expect(header.total).toBe(GRAPH_MEMBERS.length * GRAPH_REGIONS.length);
    expect(header.counts).toEqual(summary.graph?.targetCounts);
  });

  it('reads each stack apart from the per-stack executions alone (no summary.json)', async () => {
    const t = tracker(false);
    await t.refresh(true);
    const rows = rowsOf(t);
    expect(rows[`${FAILING}/eu-west-1/group`]).toBe('FAILED');
    expect(rows[`${FAILING}/eu-west-1/topic`]).toBe('CREATED');
    expect(rows[`${FAILING}/eu-west-1/alerts`]).toBe('CREATED');
    // rule never ran there: no execution, so no row (summary.json says BLOCKED).
    expect(rows[`${FAILING}/eu-west-1/rule`]).toBeUndefined();
    expect(rows[`${FAILING}/eu-west-1/*`]).toBe('FAILED');
    const healthy = GRAPH_MEMBERS[0] as string;
    for (const stack of ['topic', 'group', 'rule', 'alerts', '*']) {
      expect(rows[`${healthy}/us-east-1/${stack}`]).toBe('CREATED');
    }
  });
});
