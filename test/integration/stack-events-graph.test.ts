/**
 * Stack events in the stacks form (issues 17 and 19): each stack of a target's graph runs the
 * per-stack machine that waits for its Stack Status Change event. The graph fixtures deploy no
 * forwarding rule, so no event reaches the admin bus: every stack ends by polling, the rollout
 * is the same as without events, and the summary says once that the events did not come.
 */
import type { StoredExecution } from '../../src/engine/types';
import {
  GRAPH_MEMBERS,
  GRAPH_REGIONS,
  graphRequest,
  graphScenario,
  openGraphHarness,
  readSummary,
} from '../helpers/graph-fixtures';

jest.setTimeout(300_000);

test('a graph rollout with stack events: every stack waits for its event, polls without one, and is reported once', async () => {
  const { h, t } = await openGraphHarness(graphScenario());
  const run = await h.runRollout(graphRequest(t, 'graph-events', { stackEvents: true }), 'graph-events');
  expect(run.status).toBe('SUCCEEDED');
  const summary = await readSummary(h, 'graph-events');
  const stacks = GRAPH_MEMBERS.length * GRAPH_REGIONS.length * 4;
  expect(summary.counts.CREATED).toBe(stacks);
  // Each (target, stack) ran the deploy-target machine with stack events on.
  const deployTarget = h.admin?.targetStateMachineArns.deploy;
  const perStack = Object.values(h.engine.store.executions as Record<string, StoredExecution>).filter(
    (e) => e.stateMachineArn === deployTarget,
  );
  expect(perStack).toHaveLength(stacks);
  expect(perStack.every((e) => (JSON.parse(e.input) as { stackEvents?: boolean }).stackEvents === true)).toBe(
    true,
  );
  expect(summary.targets.every((r) => r.stackEventMissed === true)).toBe(true);
  expect(summary.text.split('\n').filter((l) => l.startsWith('Stack events:'))).toHaveLength(1);
});
