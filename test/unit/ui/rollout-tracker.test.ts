/**
 * How the tracker follows a running rollout: most refreshes list only the running targets and
 * the executions started since the last refresh, a target that left the running list is
 * described and repainted in the same refresh, one that started and ended between two refreshes
 * shows on the next, and a full listing runs every minute and once the rollout is final.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { stateMachineFiles, substituteDefinition } from '../../../src/core/functions';
import { DefinitionCache } from '../../../src/ui/definitions';
import { RolloutTracker } from '../../../src/ui/rollout-data';

const base = 'arn:aws:states:eu-west-1:111122223333';
const arnOf = (id: string) => `${base}:stateMachine:stackfleet-${id}`;
const rolloutText = readFileSync(path.join(__dirname, '../../../statemachines/rollout.asl.json'), 'utf8');
const targetText = readFileSync(
  path.join(__dirname, '../../../statemachines/deploy-target.asl.json'),
  'utf8',
);
const values = Object.fromEntries(
  [...rolloutText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [name, `value-of-${name}`]),
);
for (const sm of stateMachineFiles) values[sm.placeholder] = arnOf(sm.id);
const rolloutArn = `${base}:execution:stackfleet-rollout:demo`;
const targetName = (account: string) => `${account}-eu-west-1-demo`;
const t0 = new Date('2026-12-02T01:00:00Z');

describe('RolloutTracker while a rollout runs', () => {
  const sfn = mockClient(SFNClient);
  let now = t0.getTime() + 60_000;
  let status: Record<string, string>;
  /** Start times after the first second of the rollout, by account. */
  let started: Record<string, number>;

  beforeEach(() => {
    sfn.reset();
    now = t0.getTime() + 60_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    status = { '222222222222': 'RUNNING', '333333333333': 'RUNNING' };
    started = {};
    sfn.on(DescribeExecutionCommand, { executionArn: rolloutArn }).resolves({
      executionArn: rolloutArn,
      name: 'demo',
      status: 'RUNNING',
      startDate: t0,
      stateMachineArn: arnOf('rollout'),
      input: JSON.stringify({ mode: 'deploy', rolloutId: 'demo' }),
    });
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({
      stateMachineArn: arnOf('rollout'),
      definition: substituteDefinition(rolloutText, values),
    });
    sfn.on(DescribeStateMachineCommand).resolves({ definition: targetText });
    sfn.on(ListMapRunsCommand).resolves({ mapRuns: [] });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    // Newest first, as ListExecutions answers.
    sfn.on(ListExecutionsCommand).callsFake((input: { statusFilter?: string }) => ({
      executions: Object.entries(status)
        .filter(([, s]) => !input.statusFilter || s === input.statusFilter)
        .map(([account, s]) => ({
          executionArn: `${base}:execution:stackfleet-deploy-target:${targetName(account)}`,
          stateMachineArn: arnOf('deploy-target'),
          name: targetName(account),
          status: s,
          startDate: new Date(started[account] ?? t0.getTime() + 1000),
        }))
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime()),
    }));
    sfn
      .on(DescribeExecutionCommand, {
        executionArn: `${base}:execution:stackfleet-deploy-target:${targetName('222222222222')}`,
      })
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify({ outcome: 'CREATED' }) });
  });

  afterEach(() => jest.restoreAllMocks());

  const outcomes = (tracker: RolloutTracker) => {
    const t = tracker.snapshot(0).targets;
    return Object.fromEntries(t.rows.map(([a, , o]) => [t.accounts[a], t.outcomes[o]]));
  };
  const listings = () =>
    sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.statusFilter ?? 'ALL');

  it('lists only running and newly started targets between full listings, and repaints one that ended at once', async () => {
    const tracker = new RolloutTracker(
      sfn as unknown as SFNClient,
      rolloutArn,
      new DefinitionCache(sfn as unknown as SFNClient),
      { minIntervalMs: 0 },
    );
    await tracker.refresh(true);
    expect(outcomes(tracker)).toEqual({ '222222222222': 'IN_PROGRESS', '333333333333': 'IN_PROGRESS' });

    status['222222222222'] = 'SUCCEEDED';
    now += 1000;
    await tracker.refresh(true);
    expect(listings()).toEqual(['ALL', 'RUNNING', 'ALL']);
    expect(outcomes(tracker)).toEqual({ '222222222222': 'CREATED', '333333333333': 'IN_PROGRESS' });

    now += 60_000;
    await tracker.refresh(true);
    expect(listings()).toEqual(['ALL', 'RUNNING', 'ALL', 'ALL']);
  });

  it('shows a target that started and ended between two refreshes on the next one', async () => {
    const tracker = new RolloutTracker(
      sfn as unknown as SFNClient,
      rolloutArn,
      new DefinitionCache(sfn as unknown as SFNClient),
      { minIntervalMs: 0 },
    );
    await tracker.refresh(true);
    expect(outcomes(tracker)['444444444444']).toBeUndefined();
    // Between the two refreshes 444444444444 starts and fails: it is never in a running list.
    status['444444444444'] = 'FAILED';
    started['444444444444'] = now + 500;
    sfn
      .on(DescribeExecutionCommand, {
        executionArn: `${base}:execution:stackfleet-deploy-target:${targetName('444444444444')}`,
      })
      .resolves({ status: 'FAILED', error: 'StackFailed', cause: 'CREATE_FAILED: bucket exists' });
    now += 1000;
    await tracker.refresh(true);
    expect(outcomes(tracker)['444444444444']).toBe('FAILED');
    // Only the first refresh listed everything: the second read one page of each list.
    expect(listings()).toEqual(['ALL', 'RUNNING', 'ALL']);
  });

  it('keeps a target that a running list missed (not yet consistent) in progress', async () => {
    const tracker = new RolloutTracker(
      sfn as unknown as SFNClient,
      rolloutArn,
      new DefinitionCache(sfn as unknown as SFNClient),
      { minIntervalMs: 0 },
    );
    await tracker.refresh(true);
    sfn
      .on(DescribeExecutionCommand, {
        executionArn: `${base}:execution:stackfleet-deploy-target:${targetName('333333333333')}`,
      })
      .resolves({ status: 'RUNNING' });
    // The running list leaves 333333333333 out, but DescribeExecution says it still runs.
    sfn.on(ListExecutionsCommand, { statusFilter: 'RUNNING' }).resolves({ executions: [] });
    now += 1000;
    await tracker.refresh(true);
    expect(outcomes(tracker)['333333333333']).toBe('IN_PROGRESS');
  });
});
