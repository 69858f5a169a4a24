/**
 * The stacks form (issue 17) in the UI's data: a rollout whose targets each walk a graph of stacks
 * has one row per (target, stack), read from the per-stack executions
 * (`<account>-<region>-<stack>-<rollout>`) and from summary.json, and one row per target with its
 * worst stack's outcome, ranked like the CLI summary (src/core/graph-summary.ts).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { stateMachineFiles, substituteDefinition } from '../../../src/core/functions';
import { DefinitionCache } from '../../../src/ui/definitions';
import { RolloutTracker } from '../../../src/ui/rollout-data';
import { worstStack } from '../../../src/ui/stack-targets';

const base = 'arn:aws:states:eu-west-1:111122223333';
const arnOf = (id: string) => `${base}:stateMachine:stackfleet-${id}`;
const rolloutText = readFileSync(path.join(__dirname, '../../../statemachines/rollout.asl.json'), 'utf8');
const values = Object.fromEntries(
  [...rolloutText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [name, `value-of-${name}`]),
);
for (const sm of stateMachineFiles) values[sm.placeholder] = arnOf(sm.id);
const rolloutArn = `${base}:execution:stackfleet-rollout:demo`;
const t0 = new Date('2026-12-02T01:00:00Z');
const exec = (account: string, stack: string) => `${account}-eu-west-1-${stack}-demo`;
// Listed out of graph order: the page gets them after their dependencies.
const stacks = [
  { name: 'detection', dependsOn: ['config'] },
  { name: 'logging' },
  { name: 'config', dependsOn: ['logging'] },
];

type Rows = Record<string, { outcome: string; name: string; reason: string }>;
function rowsOf(tracker: RolloutTracker): Rows {
  const t = tracker.snapshot(0).targets;
  return Object.fromEntries(
    t.rows.map(([a, , o, name, reason, stack]) => [
      `${t.accounts[a]}/${stack ?? '*'}`,
      { outcome: t.outcomes[o]!, name, reason },
    ]),
  );
}

describe('RolloutTracker with a graph of stacks', () => {
  const sfn = mockClient(SFNClient);
  const listed: Record<string, string> = {};

  beforeEach(() => {
    sfn.reset();
    for (const k of Object.keys(listed)) delete listed[k];
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({
      stateMachineArn: arnOf('rollout'),
      definition: substituteDefinition(rolloutText, values),
    });
    sfn
      .on(DescribeStateMachineCommand)
      .resolves({ definition: '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}' });
    sfn.on(ListMapRunsCommand).resolves({ mapRuns: [] });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfn.on(ListExecutionsCommand).callsFake(() => ({
      executions: Object.entries(listed).map(([name, status]) => ({
        executionArn: `${base}:execution:stackfleet-deploy-target:${name}`,
        name,
        status,
        startDate: new Date(t0.getTime() + 1000),
      })),
    }));
  });

  const rollout = (status: ExecutionStatus, output?: unknown) =>
    sfn.on(DescribeExecutionCommand, { executionArn: rolloutArn }).resolves({
      executionArn: rolloutArn,
      name: 'demo',
      status,
      startDate: t0,
      ...(status === 'RUNNING' ? {} : { stopDate: new Date(t0.getTime() + 60_000) }),
      stateMachineArn: arnOf('rollout'),
      input: JSON.stringify({ mode: 'deploy', rolloutId: 'demo', stacks }),
      ...(output ? { output: JSON.stringify(output) } : {}),
    });
  const described = (name: string, answer: { status: ExecutionStatus; output?: string; cause?: string }) =>
    sfn
      .on(DescribeExecutionCommand, { executionArn: `${base}:execution:stackfleet-deploy-target:${name}` })
      .resolves(answer);

  it('keeps each stack of a target apart and shows the target as its worst stack while it runs', async () => {
    rollout('RUNNING');
    listed[exec('222222222222', 'logging')] = 'SUCCEEDED';
    listed[exec('222222222222', 'config')] = 'FAILED';
    listed[exec('333333333333', 'logging')] = 'RUNNING';
    described(exec('222222222222', 'logging'), { status: 'SUCCEEDED', output: '{"outcome":"CREATED"}' });
    described(exec('222222222222', 'config'), {
      status: 'FAILED',
      cause: JSON.stringify({ reason: 'ConfigRecorder: MaxNumberOfConfigurationRecordersExceeded' }),
    });
    const tracker = new RolloutTracker(
      sfn as unknown as SFNClient,
      rolloutArn,
      new DefinitionCache(sfn as never),
      {
        minIntervalMs: 0,
      },
    );
    await tracker.refresh(true);
    const rows = rowsOf(tracker);
    expect(rows['222222222222/logging']).toMatchObject({
      outcome: 'CREATED',
      name: exec('222222222222', 'logging'),
    });
    expect(rows['222222222222/config']).toMatchObject({
      outcome: 'FAILED',
      name: exec('222222222222', 'config'),
    });
    // The target's own cell opens its failed stack and says which stack failed.
    expect(rows['222222222222/*']).toMatchObject({ outcome: 'FAILED', name: exec('222222222222', 'config') });
    expect(rows['222222222222/*']!.reason).toMatch(/^config: /);
    expect(rows['333333333333/*']).toMatchObject({ outcome: 'IN_PROGRESS' });
    const header = tracker.snapshot(0).rollout;
    // Counted per target, not per stack.
    expect(header.counts).toEqual({ FAILED: 1, IN_PROGRESS: 1 });
    expect(header.total).toBe(2);
    expect(header.stacks).toEqual([
      { name: 'logging', dependsOn: [] },
      { name: 'config', dependsOn: ['logging'] },
      { name: 'detection', dependsOn: ['config'] },
    ]);
  });

  it('reads BLOCKED stacks and every outcome from summary.json, the target worst by the summary ranking', async () => {
    rollout('SUCCEEDED', { summaryBucket: 'artifacts', summaryKey: 'rollouts/demo/summary.json' });
    const entry = (accountId: string, stack: string, outcome: string, extra: object = {}) => ({
      accountId,
      region: 'eu-west-1',
      stack,
      outcome,
      reason: `${stack} ${outcome}`,
      executionName: exec(accountId, stack),
      ...extra,
    });
    const document = {
      targets: [
        entry('222222222222', 'logging', 'CREATED'),
        entry('222222222222', 'config', 'FAILED'),
        entry('222222222222', 'detection', 'BLOCKED', {
          blockedBy: 'config',
          reason: 'Not started in 222222222222 eu-west-1: its dependency config failed here (boom).',
        }),
        entry('333333333333', 'logging', 'NO_CHANGE'),
        entry('333333333333', 'config', 'UPDATED'),
        entry('333333333333', 'detection', 'CREATED'),
      ],
      graphTargets: [
        { accountId: '222222222222', region: 'eu-west-1', outcome: 'FAILED', stacks: {} },
        { accountId: '333333333333', region: 'eu-west-1', outcome: 'UPDATED', stacks: {} },
      ],
    };
    const s3 = {
      send: async () => ({ Body: { transformToString: async () => JSON.stringify(document) } }),
    } as unknown as S3Client;
    const tracker = new RolloutTracker(
      sfn as unknown as SFNClient,
      rolloutArn,
      new DefinitionCache(sfn as never),
      {
        minIntervalMs: 0,
        s3,
      },
    );
    await tracker.refresh(true);
    const rows = rowsOf(tracker);
    expect(rows['222222222222/detection']).toMatchObject({ outcome: 'BLOCKED' });
    expect(rows['222222222222/detection']!.reason).toContain('its dependency config failed');
    expect(rows['222222222222/*']!.outcome).toBe('FAILED');
    // UPDATED is worse than CREATED and NO_CHANGE in the summary's ranking.
    expect(rows['333333333333/*']).toMatchObject({
      outcome: 'UPDATED',
      name: exec('333333333333', 'config'),
    });
    expect(tracker.snapshot(0).rollout.counts).toEqual({ FAILED: 1, UPDATED: 1 });
  });
});

describe('worstStack (the CLI summary ranking)', () => {
  const s = (stack: string, outcome: string) => ({
    stack,
    outcome,
    name: `${stack}-exec`,
    reason: `${stack} says`,
  });

  it('shows BLOCKED over a success and FAILED over BLOCKED, naming the stack', () => {
    expect(worstStack([s('logging', 'CREATED'), s('config', 'BLOCKED')])).toEqual({
      stack: 'config',
      outcome: 'BLOCKED',
      name: 'config-exec',
      reason: 'config: config says',
    });
    expect(worstStack([s('a', 'BLOCKED'), s('b', 'FAILED')])?.stack).toBe('b');
  });

  it('keeps the first in graph order among equally bad stacks', () => {
    expect(worstStack([s('a', 'NO_CHANGE'), s('b', 'NO_CHANGE')])?.stack).toBe('a');
  });

  it.each([
    ['FAILED', 'IN_PROGRESS', 'FAILED'],
    ['IN_PROGRESS', 'ABORTED', 'ABORTED'],
    ['IN_PROGRESS', 'BLOCKED', 'BLOCKED'],
    ['PENDING', 'NOT_STARTED', 'NOT_STARTED'],
    ['CREATED', 'IN_PROGRESS', 'IN_PROGRESS'],
    ['DRIFTED', 'PENDING', 'PENDING'],
    ['PENDING', 'IN_PROGRESS', 'IN_PROGRESS'],
    ['SUCCEEDED', 'CREATED', 'CREATED'],
    ['IN_PROGRESS', 'SUCCEEDED', 'IN_PROGRESS'],
  ])('while a rollout runs, shows %s beside %s as %s: running never hides a final failure', (a, b, worst) => {
    expect(worstStack([s('a', a), s('b', b)])?.outcome).toBe(worst);
  });
});
