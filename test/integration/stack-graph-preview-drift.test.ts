/**
 * Preview and drift of the stacks form on the sandbox, through the real state machines (rollout,
 * walk-lane, preview-target and drift-target) and functions: a preview shows each stack's change
 * set and names the parameters a dependant takes from a dependency that would change; drift
 * repairs, and converges missing stacks in graph order with their dependencies' outputs.
 */
import type { RolloutSummaryDocument } from '../../src/core/summary';
import { cfnSection, settleStack } from '../../src/sandbox/cfn/state';
import { deleteStackOutOfBand, markDrifted } from '../../src/sandbox/services/cloudformation';
import {
  GRAPH_REGIONS,
  type GraphTemplates,
  graphRequest,
  graphScenario,
  memberStack,
  openGraphHarness,
  readSummary,
  resultOf,
} from '../helpers/graph-fixtures';
import type { SandboxHarness } from '../helpers/sandbox-harness';

const DEPLOYED = ['210000000001', '210000000002'];
const NEW = '210000000003';
const at = (iso: string | undefined) => Date.parse(iso ?? '');

/** What a person would see change on a stack: status, parameters and operations. */
function fingerprint(h: SandboxHarness, account: string, region: string, stackName: string) {
  const { status, parameters, operations } = memberStack(h, account, region, stackName);
  return { status, parameters, operations };
}

/**
 * Whether a stack of that name is there once the operations already started have finished (a CREATE
 * preview's clean-up delete may still be running when the rollout ends, as in AWS).
 */
function stackExists(h: SandboxHarness, account: string, region: string, stackName: string): boolean {
  const target = cfnSection(h.sandbox.world).targets[`${account}/${region}`];
  const id = target?.byName[stackName];
  const stack = id ? target?.stacks[id] : undefined;
  if (target && stack) settleStack(target, stack, Number.POSITIVE_INFINITY);
  return target?.byName[stackName] !== undefined;
}

const STACKS = ['stackfleet-topic', 'stackfleet-group', 'stackfleet-rule', 'stackfleet-alerts'];

describe('the stacks form in preview and drift', () => {
  let h: SandboxHarness;
  let t: GraphTemplates;
  const onAccounts = (accounts: string[]) => ({ targets: { accounts, regions: GRAPH_REGIONS } });

  beforeAll(async () => {
    ({ h, t } = await openGraphHarness(graphScenario({}, [...DEPLOYED, NEW])));
    const deployed = await h.runRollout(graphRequest(t, 'gp-deploy', onAccounts(DEPLOYED)), 'gp-deploy');
    expect(deployed.status).toBe('SUCCEEDED');
  }, 120_000);

  describe('preview of a change to the middle stack, and of a new account', () => {
    let summary: RolloutSummaryDocument;
    let before: Record<string, unknown>;

    beforeAll(async () => {
      before = Object.fromEntries(
        DEPLOYED.flatMap((a) =>
          GRAPH_REGIONS.flatMap((r) => STACKS.map((s) => [`${a}/${r}/${s}`, fingerprint(h, a, r, s)])),
        ),
      );
      const request = graphRequest(
        t,
        'gp-preview',
        { mode: 'preview', ...onAccounts([...DEPLOYED, NEW]) },
        { Retention: 60 },
      );
      const run = await h.runRollout(request, 'gp-preview');
      expect(run.status).toBe('SUCCEEDED');
      summary = await readSummary(h, 'gp-preview');
    }, 120_000);

    it("shows each stack's change set: only the changed stack changes where it is deployed", () => {
      expect(summary.graph?.byStack).toEqual({
        topic: { NO_CHANGE: 4, CHANGES: 2 },
        group: { CHANGES: 6 },
        rule: { NO_CHANGE: 4, CHANGES: 2 },
        alerts: { NO_CHANGE: 4, CHANGES: 2 },
      });
      const group = resultOf(summary, DEPLOYED[0] as string, 'eu-west-1', 'group');
      expect(group.changeSetType).toBe('UPDATE');
      expect(group.changes).toEqual([
        expect.objectContaining({ action: 'Modify', logicalId: 'Group', properties: ['RetentionInDays'] }),
      ]);
    });

    it('names the parameters a dependant reads from a dependency that would change, as stack.Output', () => {
      for (const a of DEPLOYED) {
        for (const r of GRAPH_REGIONS) {
          const rule = resultOf(summary, a, r, 'rule');
          // Previewed with today's outputs of group (unchanged), flagged as pending on group's update.
          expect(rule.outcome).toBe('NO_CHANGE');
          expect(rule.pendingInputs).toEqual({ GroupName: 'group.GroupName', GroupLabel: 'group.Label' });
          // topic would not change: its output is known, not pending.
          expect(resultOf(summary, a, r, 'group').pendingInputs).toBeUndefined();
        }
      }
    });

    it('previews a new account whole: every stack would change, each output-fed parameter pending', () => {
      for (const r of GRAPH_REGIONS) {
        for (const stack of ['topic', 'rule', 'alerts']) {
          expect(resultOf(summary, NEW, r, stack)).toMatchObject({
            outcome: 'CHANGES',
            changeSetType: 'CREATE',
          });
        }
        // group's TopicArn has an AllowedPattern, which refuses the placeholder a preview gives it:
        // it would change, not previewable until topic is deployed (not FAILED, so rule still previews).
        const group = resultOf(summary, NEW, r, 'group');
        expect(group.outcome).toBe('CHANGES');
        expect(group.changes).toBeUndefined();
        expect(group.reason).toContain(
          'Not previewed yet: its parameters TopicArn (from topic.TopicArn) take outputs that topic would create',
        );
        expect(group.pendingInputs).toEqual({ TopicArn: 'topic.TopicArn' });
        expect(resultOf(summary, NEW, r, 'rule').pendingInputs).toEqual({
          TopicArn: 'topic.TopicArn',
          GroupName: 'group.GroupName',
          GroupLabel: 'group.Label',
        });
        // The preview's empty CREATE stacks were deleted again.
        for (const s of STACKS) expect(stackExists(h, NEW, r, s)).toBe(false);
      }
    });

    it('changes nothing in any deployed target', () => {
      for (const a of DEPLOYED)
        for (const r of GRAPH_REGIONS)
          for (const s of STACKS) expect(fingerprint(h, a, r, s)).toEqual(before[`${a}/${r}/${s}`]);
    });
  });

  describe('drift of the graph', () => {
    const [A, B] = DEPLOYED as [string, string];
    let summary: RolloutSummaryDocument;
    let topicArn: string | undefined;

    beforeAll(async () => {
      markDrifted(h.sandbox.world, A, 'eu-west-1', 'stackfleet-group', 'Group', {
        property: 'RetentionInDays',
        actual: '1',
      });
      // The middle and last stacks deleted by hand in one target: drift must create them again, in order.
      deleteStackOutOfBand(h.sandbox.world, B, 'us-east-1', 'stackfleet-rule');
      deleteStackOutOfBand(h.sandbox.world, B, 'us-east-1', 'stackfleet-group');
      topicArn = memberStack(h, B, 'us-east-1', 'stackfleet-topic').outputs.TopicArn;
      const request = graphRequest(t, 'gp-drift', { mode: 'drift', repair: true, ...onAccounts(DEPLOYED) });
      const run = await h.runRollout(request, 'gp-drift');
      expect(run.status).toBe('SUCCEEDED');
      summary = await readSummary(h, 'gp-drift');
    }, 120_000);

    it('repairs the drifted stack and leaves the in-sync ones alone', () => {
      const group = resultOf(summary, A, 'eu-west-1', 'group');
      expect(group.outcome).toBe('DRIFT_REPAIRED');
      expect(group.drifted).toEqual([expect.objectContaining({ logicalId: 'Group', status: 'MODIFIED' })]);
      expect(resultOf(summary, A, 'eu-west-1', 'rule').outcome).toBe('IN_SYNC');
      expect(summary.graph?.byStack).toEqual({
        topic: { IN_SYNC: 4 },
        group: { IN_SYNC: 2, DRIFT_REPAIRED: 1, CREATED: 1 },
        rule: { IN_SYNC: 3, CREATED: 1 },
        alerts: { IN_SYNC: 4 },
      });
    });

    it('creates the missing stacks again in graph order, with their dependencies outputs', () => {
      const group = resultOf(summary, B, 'us-east-1', 'group');
      const rule = resultOf(summary, B, 'us-east-1', 'rule');
      expect(group.outcome).toBe('CREATED');
      expect(rule.outcome).toBe('CREATED');
      expect(at(rule.startedAt)).toBeGreaterThanOrEqual(at(group.finishedAt));
      const groupNow = memberStack(h, B, 'us-east-1', 'stackfleet-group');
      expect(groupNow.status).toBe('CREATE_COMPLETE');
      expect(groupNow.parameters.TopicArn).toBe(topicArn);
      expect(memberStack(h, B, 'us-east-1', 'stackfleet-rule').parameters).toMatchObject({
        TopicArn: topicArn,
        GroupName: groupNow.outputs.GroupName,
      });
    });

    it('finds everything in sync on the next drift run', async () => {
      const request = graphRequest(t, 'gp-drift-again', {
        mode: 'drift',
        repair: true,
        ...onAccounts(DEPLOYED),
      });
      const run = await h.runRollout(request, 'gp-drift-again');
      expect(run.status).toBe('SUCCEEDED');
      const again = await readSummary(h, 'gp-drift-again');
      expect(again.graph?.targetCounts).toEqual({ IN_SYNC: 4 });
    }, 120_000);
  });
});
