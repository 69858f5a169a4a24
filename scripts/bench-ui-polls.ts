/**
 * `npm run bench:ui -- --polls`: what the UI server's polls of a running 10,000-target rollout
 * cost (ListExecutions pages and DescribeExecution calls per poll) and how stale they leave the
 * page (targets that had ended before a poll but are not final after it). The Step Functions API
 * is an in-memory model of the rollout's executions (newest first, 1,000 per page, as AWS lists
 * them); the tracker is src/ui/rollout-data.ts itself. One poll per simulated second.
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
import { targetExecutionName } from '../src/core/execution-name';
import { stateMachineFiles, substituteDefinition } from '../src/core/functions';
import { DefinitionCache } from '../src/ui/definitions';
import { RolloutTracker } from '../src/ui/rollout-data';
import { Outcomes } from '../src/ui/wire';

export interface PollCost {
  targets: number;
  concurrency: number;
  polls: number;
  listPagesPerPoll: { median: number; max: number };
  describesPerPoll: { median: number; max: number };
  /** Pages one listing of every target execution takes (what a full listing costs). */
  fullListingPages: number;
  /** Most targets, over all polls, that had ended before a poll and were not final after it. */
  maxStaleAfterPoll: number;
  /** Targets that started and ended between two polls. */
  shortLived: number;
}

const ROOT = path.join(__dirname, '..');
const base = 'arn:aws:states:eu-west-1:111122223333';
const arnOf = (id: string) => `${base}:stateMachine:stackfleet-${id}`;

/** Runs the model: `targets` targets, `concurrency` at once, one in five over in half a second. */
export async function measurePollCost(targets = 10_000, concurrency = 1_000): Promise<PollCost> {
  const rolloutText = readFileSync(path.join(ROOT, 'statemachines/rollout.asl.json'), 'utf8');
  const targetText = readFileSync(path.join(ROOT, 'statemachines/deploy-target.asl.json'), 'utf8');
  const values = Object.fromEntries(
    [...rolloutText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(([, name]) => [name, `value-of-${name}`]),
  );
  for (const sm of stateMachineFiles) values[sm.placeholder] = arnOf(sm.id);
  const rolloutArn = `${base}:execution:stackfleet-rollout:bench`;
  const t0 = Date.UTC(2026, 11, 2, 1, 0, 0);

  // Each target takes the first free slot; one in five is over in 0.5 s, the others take 30-90 s.
  const slots: number[] = Array.from({ length: concurrency }, () => t0 + 5_000);
  const runs = Array.from({ length: targets }, (_, i) => {
    let slot = 0;
    for (let s = 1; s < slots.length; s++) if (slots[s]! < slots[slot]!) slot = s;
    const start = slots[slot]! + 50;
    const stop = start + (i % 5 === 0 ? 500 : 30_000 + ((i * 7919) % 60_000));
    slots[slot] = stop;
    const account = String(300000000000 + Math.floor(i / 4));
    const region = ['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2'][i % 4]!;
    return { name: targetExecutionName(account, region, 'bench'), start, stop };
  });
  const byName = new Map(runs.map((r) => [r.name, r]));
  const newestFirst = [...runs].sort((a, b) => b.start - a.start);
  const end = Math.max(...runs.map((r) => r.stop));

  let now = t0 + 5_000;
  const realNow = Date.now;
  Date.now = () => now;
  const sfn = mockClient(SFNClient);
  let pages = 0;
  let describes = 0;
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    if (input.executionArn === rolloutArn) {
      return {
        executionArn: rolloutArn,
        name: 'bench',
        status: now >= end ? 'SUCCEEDED' : 'RUNNING',
        startDate: new Date(t0),
        ...(now >= end ? { stopDate: new Date(end) } : {}),
        stateMachineArn: arnOf('rollout'),
        input: JSON.stringify({ mode: 'deploy', rolloutId: 'bench' }),
      };
    }
    describes++;
    const run = byName.get(input.executionArn.slice(input.executionArn.lastIndexOf(':') + 1));
    if (!run || run.start > now)
      throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
    return run.stop > now
      ? { status: 'RUNNING' }
      : { status: 'SUCCEEDED', output: JSON.stringify({ outcome: 'CREATED' }) };
  });
  sfn.on(DescribeStateMachineForExecutionCommand).resolves({
    stateMachineArn: arnOf('rollout'),
    definition: substituteDefinition(rolloutText, values),
  });
  sfn.on(DescribeStateMachineCommand).resolves({ definition: targetText });
  sfn.on(ListMapRunsCommand).resolves({ mapRuns: [] });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  sfn.on(ListExecutionsCommand).callsFake((input: { statusFilter?: string; nextToken?: string }) => {
    pages++;
    const visible = newestFirst.filter(
      (r) => r.start <= now && (!input.statusFilter || (input.statusFilter === 'RUNNING') === r.stop > now),
    );
    const from = Number(input.nextToken ?? 0);
    const page = visible.slice(from, from + 1000);
    return {
      executions: page.map((r) => ({
        executionArn: `${base}:execution:stackfleet-deploy-target:${r.name}`,
        stateMachineArn: arnOf('deploy-target'),
        name: r.name,
        status: r.stop > now ? 'RUNNING' : 'SUCCEEDED',
        startDate: new Date(r.start),
        ...(r.stop <= now ? { stopDate: new Date(r.stop) } : {}),
      })),
      ...(from + 1000 < visible.length ? { nextToken: String(from + 1000) } : {}),
    };
  });

  const pagesPerPoll: number[] = [];
  const describesPerPoll: number[] = [];
  let maxStale = 0;
  let previousPoll = 0;
  let shortLived = 0;
  try {
    const tracker = new RolloutTracker(
      sfn as unknown as SFNClient,
      rolloutArn,
      new DefinitionCache(sfn as unknown as SFNClient),
      {
        minIntervalMs: 0,
        // As many as the model ends per second: the budget is not what this measures.
        detailBudget: 2_000,
      },
    );
    for (; now <= end + 1_000; now += 1_000) {
      pages = 0;
      describes = 0;
      await tracker.refresh(true);
      pagesPerPoll.push(pages);
      describesPerPoll.push(describes);
      const t = tracker.snapshot(0).targets;
      const final = new Set(
        t.rows
          .filter((r) => ![Outcomes.InProgress, Outcomes.Pending].includes(t.outcomes[r[2]] as never))
          .map((r) => r[3]),
      );
      maxStale = Math.max(maxStale, runs.filter((r) => r.stop <= now && !final.has(r.name)).length);
      shortLived += runs.filter((r) => r.start > previousPoll && r.stop <= now).length;
      previousPoll = now;
    }
  } finally {
    Date.now = realNow;
    sfn.restore();
  }
  const stat = (xs: number[]) => {
    const sorted = xs.slice(1).sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: Math.max(...sorted) };
  };
  return {
    targets,
    concurrency,
    polls: pagesPerPoll.length,
    // The first poll lists everything once: it is the page's first load, not a poll of changes.
    listPagesPerPoll: stat(pagesPerPoll),
    describesPerPoll: stat(describesPerPoll),
    fullListingPages: Math.ceil(targets / 1000),
    maxStaleAfterPoll: maxStale,
    shortLived,
  };
}
