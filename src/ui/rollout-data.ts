/**
 * The UI server's reading of a rollout through Step Functions: its map runs and its nested
 * per-target executions, all through the public SFN API so the
 * same code serves the sandbox and AWS. Built for 10,000 targets: a refresh lists what changed
 * (the running targets and the ones started since the last refresh; everything only at first,
 * at the end and once a minute), finer outcomes fetched a few hundred at a time and cached once
 * a target is final, and deltas for the page.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { isStoppedByStackfleet, STOPPED } from '../cli/stop-cause';
import { stackExecutionName, targetExecutionName } from '../core/execution-name';
import { parseFailure } from '../core/summary';
import { type DefinitionCache, rolloutModeOf } from './definitions';
import type { AccountDirectory } from './directory';
import { RolloutNotFoundError } from './errors';
import { readCause } from './execution-history';
import { findPlanFacts, type PlanFacts, rolloutIdCandidates } from './plan-facts';
import { applySummaryRows, loadPlanRows, loadSummaryDocument } from './rollout-artifacts';
import { readMapRuns, rolloutGraphStatuses } from './rollout-progress';
import { rolloutStacksOf, stackOfExecution } from './stack-targets';
import { readExecutionHistory } from './target-detail';
import { keyOf, TargetTable } from './target-table';
import { outcomeFromOutput, outcomeFromStatus, parseTargetExecutionName } from './targets';
import { Outcomes, type RolloutHeaderWire, type RolloutWire } from './wire';

const ms = (d: Date | undefined): number | undefined => (d ? new Date(d).getTime() : undefined);

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
/** A target that left the running list: ended, its status not read yet. */
const ENDED = 'ENDED';
/** How often a running rollout's target executions are all listed again (a safety net). */
const FULL_LISTING_MS = 60_000;
/**
 * How far before the newest start already seen a refresh lists again: an execution that became
 * visible in ListExecutions a little late (AWS lists are eventually consistent) is still found.
 */
const LISTING_OVERLAP_MS = 10_000;

/**
 * Keeps one rollout's targets up to date across polls and answers deltas. Refreshes are
 * coalesced (one in flight, at most one per `minIntervalMs`) so many open pages do not
 * multiply the API calls.
 */
export class RolloutTracker {
  private readonly targets = new TargetTable();
  private header: RolloutHeaderWire | undefined;
  private inFlight: Promise<void> | undefined;
  private lastRefresh = 0;
  private finished = false;
  private executionPrefix = '';
  private rolloutIds: string[] = [];
  /** ListExecutions pages the last refresh read. */
  private pagesListed = 0;
  /** ListExecutions pages of the last refresh that was not a full listing: it paces refreshes. */
  private incrementalPages = 0;
  /** When the last listing of every target execution (not only the running ones) ran. */
  private lastFullListing = 0;
  private fullListingPages = 0;
  /** The newest start among the target executions listed so far (the engine's clock). */
  private newestStart = 0;

  private plan: PlanFacts | undefined;
  private planLoaded = false;
  private summaryDocumentLoaded = false;
  private readonly plannedNames = new Set<string>();
  private stacksRead = false;

  constructor(
    private readonly sfn: SFNClient,
    readonly executionArn: string,
    private readonly definitions: DefinitionCache,
    private readonly options: {
      /** Reads the plan (targets, skipped) and summary.json from the artifact bucket when given. */
      s3?: S3Client;
      minIntervalMs?: number;
      /** Account names and OU paths (read before the first target is indexed). */
      directory?: () => Promise<AccountDirectory>;
      detailBudget?: number;
      detailConcurrency?: number;
    } = {},
  ) {}

  /** Brings the tracker up to date (coalesced and rate-limited), then answers a delta. */
  async read(
    since = 0,
    offsets: { accounts?: number; regions?: number; outcomes?: number } = {},
  ): Promise<RolloutWire> {
    await this.refresh();
    return this.snapshot(since, offsets);
  }

  /** Refreshes unless the rollout is final and fully read, or a refresh ran very recently. */
  async refresh(force = false): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.finished && this.header) return;
    // ListExecutions is throttled hard on AWS (a small bucket refilled at about 2 calls/s): the
    // more pages a refresh lists, the longer until the next one. The minute's full listing is
    // not counted, so it does not hold back the next change.
    const interval = Math.max(this.options.minIntervalMs ?? 750, this.incrementalPages * 500);
    if (!force && this.header && Date.now() - this.lastRefresh < interval) return;
    this.inFlight = this.doRefresh().finally(() => {
      this.inFlight = undefined;
      this.lastRefresh = Date.now();
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<void> {
    if (!this.targets.directory && this.options.directory)
      this.targets.directory = await this.options.directory();
    const execution = await this.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn }));
    const defs = await this.definitions.forRollout(this.executionArn, execution);
    const start = ms(execution.startDate) ?? 0;
    if (this.rolloutIds.length === 0) this.rolloutIds = rolloutIdCandidates(execution);
    if (!this.stacksRead) {
      this.targets.stacks = rolloutStacksOf(execution.input);
      this.stacksRead = true;
    }

    const mapRuns = await readMapRuns(this.sfn, this.executionArn);

    const history = await readExecutionHistory(this.sfn, this.executionArn);
    let latest = Math.max(start, ms(execution.stopDate) ?? 0);
    for (const e of history) latest = Math.max(latest, ms(e.timestamp) ?? 0);
    this.plan ??= findPlanFacts(history);
    if (this.plan && this.options.s3 && !this.planLoaded) {
      await loadPlanRows(this.options.s3, this.plan, this.targets, this.plannedNames);
      this.planLoaded = true;
    }

    if (defs.targetStateMachineArn) {
      const arn = defs.targetStateMachineArn;
      this.executionPrefix = `${arn.replace(':stateMachine:', ':execution:')}:`;
      latest = Math.max(latest, await this.listChanges(arn, start, execution));
    }

    const statuses = rolloutGraphStatuses(history, execution.status, defs.rollout);

    let summary: unknown;
    if (execution.status === 'SUCCEEDED' && execution.output) {
      try {
        summary = JSON.parse(execution.output);
      } catch {
        summary = undefined;
      }
      if (summary !== undefined) applySummaryRows(this.targets, summary);
    }
    if (TERMINAL.has(execution.status ?? '') && this.options.s3 && !this.summaryDocumentLoaded) {
      this.summaryDocumentLoaded = await loadSummaryDocument(
        this.options.s3,
        summary,
        this.plan,
        this.targets,
      );
    }
    if (defs.targetStateMachineArn) await this.readDetails();

    const counts: Record<string, number> = {};
    let done = 0;
    let targetCount = 0;
    // Counts are per target: a stacks-form target counts once, by its worst stack.
    for (const t of this.targets.targetRows()) {
      targetCount++;
      counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
      if (t.outcome !== Outcomes.InProgress && t.outcome !== Outcomes.Pending) done++;
    }
    // The stacks form's map items are lanes, not targets: its planned targets are all indexed.
    const planned = this.targets.stacks
      ? 0
      : Math.max(
          mapRuns.reduce((sum, r) => sum + (r.itemCounts.total ?? 0), 0),
          this.plan ? this.plan.targetCount + this.plan.canaryCount + this.plan.skippedCount : 0,
        );
    const total = Math.max(planned, targetCount);
    if (total > targetCount) counts[Outcomes.Pending] = (counts[Outcomes.Pending] ?? 0) + total - targetCount;

    const header: RolloutHeaderWire = {
      executionArn: this.executionArn,
      name: execution.name ?? '',
      // STOPPED (and by whom, in `cause`) when `stackfleet stop` stopped it, as the CLI says.
      status: isStoppedByStackfleet(execution) ? STOPPED : (execution.status ?? 'UNKNOWN'),
      stateMachineArn: execution.stateMachineArn ?? '',
      startDate: start,
      now: execution.status === 'RUNNING' ? Math.max(Date.now(), latest) : latest,
      mapRuns,
      counts,
      total,
      done,
      statuses,
    };
    if (defs.targetStateMachineArn) header.targetStateMachineArn = defs.targetStateMachineArn;
    const mode = rolloutModeOf(execution.input);
    if (mode !== undefined) header.mode = mode;
    const stop = ms(execution.stopDate);
    if (stop !== undefined) header.stopDate = stop;
    if (execution.error) header.error = execution.error;
    if (execution.cause) header.cause = readCause(execution.cause).cause ?? execution.cause;
    if (summary !== undefined) header.summary = summary;
    if (this.targets.stacks) header.stacks = this.targets.stacks;
    this.header = header;
    const unsettled = [...this.targets.records.values()].some((t) => !t.settled);
    this.finished = TERMINAL.has(execution.status ?? '') && !unsettled;
  }

  /**
   * What changed among the target executions since the last refresh, at a cost that does not grow
   * with the rollout: while it runs, the running targets (a target that left that list ended, and
   * is described) and the executions started since the newest start the last refresh saw (newest
   * first, so one short page: a target that started and ended between two refreshes is among
   * them). A full listing runs first, once the rollout is final, and every minute as a safety net
   * for a list that was not yet consistent past the overlap.
   */
  private async listChanges(
    stateMachineArn: string,
    rolloutStart: number,
    execution: DescribeExecutionCommandOutput,
  ): Promise<number> {
    const stop = ms(execution.stopDate);
    const full =
      execution.status !== 'RUNNING' ||
      this.lastFullListing === 0 ||
      Date.now() - this.lastFullListing >= Math.max(FULL_LISTING_MS, this.fullListingPages * 2_000);
    this.pagesListed = 0;
    if (full) {
      const listed = await this.listTargets(stateMachineArn, rolloutStart, stop, rolloutStart - 1000);
      this.lastFullListing = Date.now();
      this.fullListingPages = this.pagesListed;
      return listed.latest;
    }
    const running = await this.listTargets(
      stateMachineArn,
      rolloutStart,
      stop,
      rolloutStart - 1000,
      'RUNNING',
    );
    const started = await this.listTargets(
      stateMachineArn,
      rolloutStart,
      stop,
      Math.max(rolloutStart, this.newestStart) - LISTING_OVERLAP_MS,
    );
    this.incrementalPages = this.pagesListed;
    // Its row does not change until it is described (readDetails), so no new version is sent.
    for (const [key, t] of this.targets.records) {
      if (t.status === 'RUNNING' && !running.keys.has(key) && !started.keys.has(key)) t.status = ENDED;
    }
    return Math.max(running.latest, started.latest);
  }

  /**
   * Pages the target executions newest first (optionally only the running ones), stopping once a
   * page reaches executions that started before `startedFrom`, and indexes this rollout's.
   */
  private async listTargets(
    stateMachineArn: string,
    rolloutStart: number,
    rolloutStop: number | undefined,
    startedFrom: number,
    statusFilter?: 'RUNNING',
  ): Promise<{ latest: number; keys: Set<string> }> {
    let nextToken: string | undefined;
    let latest = 0;
    const candidates: ExecutionListItem[] = [];
    do {
      const page = await this.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: 1000,
          nextToken,
          ...(statusFilter ? { statusFilter } : {}),
        }),
      );
      this.pagesListed++;
      const items = page.executions ?? [];
      candidates.push(...items);
      nextToken = page.nextToken;
      for (const e of items) this.newestStart = Math.max(this.newestStart, ms(e.startDate) ?? 0);
      const last = ms(items[items.length - 1]?.startDate) ?? 0;
      if (items.length > 0 && last < startedFrom) break;
    } while (nextToken);

    let matched = candidates.filter((e) => this.belongs(e.name ?? ''));
    if (matched.length === 0) {
      // Names carry a rollout id this reader did not guess: fall back to the rollout's time window.
      matched = candidates.filter((e) => {
        const t = ms(e.startDate) ?? 0;
        return (
          parseTargetExecutionName(e.name ?? '') &&
          t >= rolloutStart &&
          (rolloutStop === undefined || t <= rolloutStop)
        );
      });
    }
    const keys = new Set<string>();
    for (const e of matched) {
      const parsed = parseTargetExecutionName(e.name ?? '');
      if (!parsed) continue;
      const graph = this.targets.stacks;
      const stack = graph ? stackOfExecution(e.name ?? '', parsed, graph, this.rolloutIds) : '';
      if (stack === undefined) continue;
      latest = Math.max(latest, ms(e.stopDate) ?? 0, ms(e.startDate) ?? 0);
      const key = keyOf(parsed.account, parsed.region, stack);
      keys.add(key);
      const status = e.status ?? 'UNKNOWN';
      const existing = this.targets.get(key);
      if (existing && existing.status === status && existing.name === e.name) continue;
      if (existing?.fromSummary && TERMINAL.has(status)) continue;
      this.targets.upsert(key, {
        account: parsed.account,
        region: parsed.region,
        name: e.name ?? '',
        stack,
        status,
        outcome: outcomeFromStatus(status),
        reason: '',
        settled: false,
        fromSummary: false,
      });
    }
    return { latest, keys };
  }

  private belongs(name: string): boolean {
    if (this.plannedNames.has(name)) return true;
    const parsed = parseTargetExecutionName(name);
    if (!parsed) return false;
    const stacks = this.targets.stacks;
    if (stacks) {
      return this.rolloutIds.some((id) =>
        stacks.some((s) => stackExecutionName(parsed.account, parsed.region, s.name, id) === name),
      );
    }
    return this.rolloutIds.some((id) => targetExecutionName(parsed.account, parsed.region, id) === name);
  }

  /** Reads output (outcome) or cause (reason) of final targets, a bounded number per refresh. */
  private async readDetails(): Promise<void> {
    const pending = [...this.targets.records.entries()].filter(
      ([, t]) => !t.settled && (TERMINAL.has(t.status) || t.status === ENDED) && t.name,
    );
    const budget = pending.slice(0, this.options.detailBudget ?? 500);
    const concurrency = this.options.detailConcurrency ?? 8;
    let next = 0;
    const worker = async () => {
      while (next < budget.length) {
        const [key, target] = budget[next++]!;
        let d: DescribeExecutionCommandOutput;
        try {
          d = await this.sfn.send(
            new DescribeExecutionCommand({ executionArn: this.executionPrefix + target.name }),
          );
        } catch {
          continue;
        }
        if (!TERMINAL.has(d.status ?? '')) {
          // Missing from a running list that was not yet consistent: still running.
          target.status = d.status ?? 'RUNNING';
          continue;
        }
        const { outcome, reason } = outcomeFromOutput(d.status, d.output);
        let why = reason ?? '';
        if (outcome === Outcomes.Failed || outcome === Outcomes.Aborted)
          why = target.reason || parseFailure(d.error, d.cause).reason;
        this.targets.upsert(key, {
          ...target,
          status: d.status ?? target.status,
          outcome,
          reason: why,
          settled: true,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, budget.length) }, worker));
  }

  /** Rows changed after `since` (all rows when `since` is 0), plus table entries the page lacks. */
  snapshot(since = 0, offsets: { accounts?: number; regions?: number; outcomes?: number } = {}): RolloutWire {
    if (!this.header) throw new RolloutNotFoundError(`Rollout ${this.executionArn} has not been read yet.`);
    return { rollout: this.header, targets: this.targets.delta(since, offsets, this.executionPrefix) };
  }

  /** Counts for the rollout list while a page watches this rollout (undefined before the first read). */
  liveCounts(): { counts: Record<string, number>; total: number } | undefined {
    return this.header ? { counts: this.header.counts, total: this.header.total } : undefined;
  }

  /** Names of the targets that failed, for exports that carry their details. */
  failedTargetNames(): string[] {
    // A stacks-form target's own row names its worst stack's execution, listed once.
    return [
      ...new Set(
        [...this.targets.records.values()]
          .filter((t) => t.outcome === Outcomes.Failed && t.name)
          .map((t) => t.name),
      ),
    ];
  }
}
