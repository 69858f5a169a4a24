/**
 * Issue 17: a rollout starts the lanes that took longest last time first. The template cannot tell
 * a stack that is slow in one account (here a log group only that account's parameters create,
 * which the sandbox gives minutes while the template prior, like AWS's typical times, expects
 * seconds); the previous rollout's measured times can. Summarize keeps each created or updated
 * stack's time in rollouts/stack-seconds.json; Plan targets reads it and orders the manifest.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { PlannedLane } from '../../src/core/graph-plan';
import { parseJsonLines } from '../../src/core/plan';
import { STACK_SECONDS_KEY } from '../../src/core/stack-history';
import {
  GRAPH_MEMBERS,
  GRAPH_REGIONS,
  GRAPH_ROLE,
  graphScenario,
  openGraphHarness,
  readSummary,
} from '../helpers/graph-fixtures';
import type { SandboxHarness } from '../helpers/sandbox-harness';

const SLOW_ACCOUNT = GRAPH_MEMBERS[2] as string;
const SLOW_REGION = 'us-east-1';

async function readObject(h: SandboxHarness, key: string): Promise<string> {
  const object = await h.virtual(() =>
    h.s3.send(new GetObjectCommand({ Bucket: h.admin!.artifactBucket, Key: key })),
  );
  return (await object.Body?.transformToString()) ?? '';
}

async function manifest(h: SandboxHarness, rolloutId: string): Promise<PlannedLane[]> {
  return parseJsonLines<PlannedLane>(await readObject(h, `rollouts/${rolloutId}/targets.jsonl`));
}

describe('lanes are ordered by the stack times of the previous rollout', () => {
  it('starts the lane that was slow last time first, and keeps the times across a re-run with no change', async () => {
    const { h } = await openGraphHarness(
      graphScenario({
        durations: { default: [5, 10], 'AWS::SNS::Topic': [20, 40], 'AWS::Logs::LogGroup': [600, 900] },
      }),
    );
    const slow = await h.uploadTemplate(
      readFileSync(path.resolve(__dirname, '../fixtures/graph/slow.yaml'), 'utf8'),
      'templates/graph/slow.yaml',
    );
    const request = (rolloutId: string) => ({
      rolloutId,
      mode: 'deploy',
      executionRoleName: GRAPH_ROLE,
      stacks: [
        {
          name: 'archive',
          stackName: 'stackfleet-archive',
          template: slow,
          parameterOverrides: [
            { accounts: [SLOW_ACCOUNT], regions: [SLOW_REGION], parameters: { Slow: 'true' } },
          ],
        },
        { name: 'alerts', stackName: 'stackfleet-alerts', template: slow },
      ],
      targets: { organizationalUnits: ['ou-gr01-members0'], regions: GRAPH_REGIONS },
      maxConcurrency: 4,
    });

    const first = await h.runRollout(request('history-1'), 'history-1');
    expect(first.status).toBe('SUCCEEDED');
    // No history yet: every lane has the same template prior, so plan order (the slow one is not first).
    const before = await manifest(h, 'history-1');
    expect(before[0]?.accountId).not.toBe(SLOW_ACCOUNT);

    const history = JSON.parse(await readObject(h, STACK_SECONDS_KEY)) as { seconds: Record<string, number> };
    const slowSeconds = history.seconds[`${SLOW_ACCOUNT}/${SLOW_REGION}/stackfleet-archive`];
    expect(slowSeconds).toBeGreaterThanOrEqual(600);
    const fast = history.seconds[`${GRAPH_MEMBERS[0]}/eu-west-1/stackfleet-archive`];
    expect(fast).toBeLessThan(100);
    expect(Object.keys(history.seconds)).toHaveLength(GRAPH_MEMBERS.length * GRAPH_REGIONS.length * 2);

    // A re-run changes nothing (NO_CHANGE) and starts the slow lane first.
    const second = await h.runRollout(request('history-2'), 'history-2');
    expect(second.status).toBe('SUCCEEDED');
    const after = await manifest(h, 'history-2');
    expect(after[0]).toMatchObject({ accountId: SLOW_ACCOUNT, region: SLOW_REGION });
    expect(after[0]?.lane.stacks.map((s) => s.name)).toEqual(['archive']);
    const summary = await readSummary(h, 'history-2');
    expect(summary.targets.every((t) => t.outcome === 'NO_CHANGE')).toBe(true);
    // NO_CHANGE measures no operation: the times of the create stay.
    const kept = JSON.parse(await readObject(h, STACK_SECONDS_KEY)) as { seconds: Record<string, number> };
    expect(kept.seconds[`${SLOW_ACCOUNT}/${SLOW_REGION}/stackfleet-archive`]).toBe(slowSeconds);
  });
});
