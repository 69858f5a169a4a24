/**
 * The landing page's list: recent rollouts with their mode, status and counts. A finished
 * rollout's facts never change, so they are read once (DescribeExecution: input for the mode,
 * output for the summary's counts) and kept in a bounded cache; a running one is read again on
 * each refresh from its map runs' item counts.
 */

import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { isStoppedByStackfleet, STOPPED } from '../cli/stop-cause';
import { rolloutModeOf } from './definitions';
import { LruMap } from './lru';
import { readRolloutSummary } from './targets';
import { Outcomes, type RolloutListItemWire } from './wire';

const ms = (d: Date | undefined): number | undefined => (d ? new Date(d).getTime() : undefined);

interface Facts {
  mode?: string;
  counts: Record<string, number>;
  total: number;
  final: boolean;
  /** `stackfleet stop` stopped it: listed STOPPED (as `stackfleet list` does), not ABORTED. */
  stopped?: boolean;
}

/** Lists a rollout state machine's recent executions; refreshes are coalesced. */
export class RolloutLister {
  private readonly facts = new LruMap<string, Facts>(200);
  private last: { at: number; list: Promise<RolloutListItemWire[]> } | undefined;

  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
    private readonly options: {
      max?: number;
      minIntervalMs?: number;
      /** Counts of a rollout some page is watching (fresher than its map runs'). */
      liveCounts?: (arn: string) => { counts: Record<string, number>; total: number } | undefined;
    } = {},
  ) {}

  list(): Promise<RolloutListItemWire[]> {
    const now = Date.now();
    if (this.last && now - this.last.at < (this.options.minIntervalMs ?? 750)) return this.last.list;
    const list = this.read();
    this.last = { at: now, list };
    list.catch(() => {
      if (this.last?.list === list) this.last = undefined;
    });
    return list;
  }

  private async read(): Promise<RolloutListItemWire[]> {
    const page = await this.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: this.stateMachineArn,
        maxResults: this.options.max ?? 50,
      }),
    );
    const items = await Promise.all(
      (page.executions ?? []).map(async (e) => {
        const item: RolloutListItemWire = {
          executionArn: e.executionArn ?? '',
          name: e.name ?? '',
          status: e.status ?? 'UNKNOWN',
          startDate: ms(e.startDate) ?? 0,
        };
        const stop = ms(e.stopDate);
        if (stop !== undefined) item.stopDate = stop;
        const facts = await this.factsOf(item.executionArn, item.status).catch(() => undefined);
        if (facts?.mode) item.mode = facts.mode;
        if (facts?.stopped) item.status = STOPPED;
        if (facts) {
          item.counts = facts.counts;
          item.total = facts.total;
        }
        return item;
      }),
    );
    return items.sort((a, b) => b.startDate - a.startDate);
  }

  private async factsOf(executionArn: string, status: string): Promise<Facts> {
    const known = this.facts.get(executionArn);
    if (known?.final) return known;
    const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const mode = known?.mode ?? rolloutModeOf(d.input);
    const final = status !== 'RUNNING' && d.status !== 'RUNNING';
    let counts: Record<string, number> = {};
    let total = 0;
    let summarized = false;
    if (final && d.output) {
      try {
        const summary = JSON.parse(d.output) as { total?: unknown };
        counts = readRolloutSummary(summary).counts ?? {};
        total = typeof summary.total === 'number' ? summary.total : sum(counts);
        summarized = true;
      } catch {
        // not a summary: counted from the map runs below
      }
    }
    if (!summarized) {
      // Running, or ended before Summarize (stopped, failed): the page's counts or the map runs'.
      const live = this.options.liveCounts?.(executionArn);
      if (live) {
        counts = live.counts;
        total = live.total;
      } else {
        ({ counts, total } = await this.mapRunCounts(executionArn));
      }
    }
    const facts: Facts = { counts, total, final };
    if (mode !== undefined) facts.mode = mode;
    if (isStoppedByStackfleet(d)) facts.stopped = true;
    this.facts.set(executionArn, facts);
    return facts;
  }

  /** A running rollout's progress from its map runs (canaries and targets), two calls per run. */
  private async mapRunCounts(executionArn: string) {
    const counts: Record<string, number> = {};
    let total = 0;
    const runs = await this.sfn.send(new ListMapRunsCommand({ executionArn }));
    for (const run of runs.mapRuns ?? []) {
      if (!run.mapRunArn) continue;
      const c = (await this.sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }))).itemCounts;
      if (!c) continue;
      total += c.total ?? 0;
      add(counts, Outcomes.Succeeded, c.succeeded ?? 0);
      add(counts, Outcomes.Failed, (c.failed ?? 0) + (c.timedOut ?? 0));
      add(counts, Outcomes.Aborted, c.aborted ?? 0);
      add(counts, Outcomes.InProgress, c.running ?? 0);
      add(counts, Outcomes.Pending, c.pending ?? 0);
    }
    return { counts, total };
  }
}

function add(counts: Record<string, number>, key: string, n: number): void {
  if (n > 0) counts[key] = (counts[key] ?? 0) + n;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
