/**
 * The UI server's reading of a rollout through Step Functions: its map runs and its nested
 * per-target executions, all through the public SFN API so the
 * same code serves the sandbox and AWS. Built for 10,000 targets: one paginated
 * ListExecutions per refresh (stopping at the rollout's start), finer outcomes fetched a few
 * hundred at a time and cached once a target is final, and deltas for the page.
 */

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { targetExecutionName } from '../core/execution-name';
import { parseJsonLines } from '../core/plan';
import { parseFailure } from '../core/summary';
import { type DefinitionCache, rolloutModeOf } from './definitions';
import type { AccountDirectory } from './directory';
import { RolloutNotFoundError } from './errors';
import { readCause } from './execution-history';
import { findPlanFacts, type PlanFacts, rolloutIdCandidates } from './plan-facts';
import { readMapRuns, rolloutGraphStatuses } from './rollout-progress';
import { readExecutionHistory } from './target-detail';
import {
  outcomeFromOutput,
  outcomeFromStatus,
  parseTargetExecutionName,
  readRolloutSummary,
} from './targets';
import { Outcomes, type RolloutHeaderWire, type RolloutWire, type TargetRowWire } from './wire';

const ms = (d: Date | undefined): number | undefined => (d ? new Date(d).getTime() : undefined);

interface TargetRecord {
  account: string;
  region: string;
  name: string;
  status: string;
  outcome: string;
  reason: string;
  seq: number;
  /** True once the output/cause of a final execution was read (it never changes after). */
  settled: boolean;
  fromSummary: boolean;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
/** A target that left the running list: ended, its status not read yet. */
const ENDED = 'ENDED';

/**
 * Keeps one rollout's targets up to date across polls and answers deltas. Refreshes are
 * coalesced (one in flight, at most one per `minIntervalMs`) so many open pages do not
 * multiply the API calls.
 */
export class RolloutTracker {
  private readonly targets = new Map<string, TargetRecord>();
  private readonly accounts: string[] = [];
  private readonly accountNames: string[] = [];
  private readonly accountOus: string[] = [];
  private directory: AccountDirectory | undefined;
  private readonly accountIndex = new Map<string, number>();
  private readonly regions: string[] = [];
  private readonly regionIndex = new Map<string, number>();
  private readonly outcomes: string[] = [];
  private readonly outcomeIndex = new Map<string, number>();
  private seq = 0;
  private header: RolloutHeaderWire | undefined;
  private inFlight: Promise<void> | undefined;
  private lastRefresh = 0;
  private finished = false;
  private executionPrefix = '';
  private rolloutIds: string[] = [];
  /** ListExecutions pages the last refresh read. */
  private pagesListed = 0;
  /** When the last listing of every target execution (not only the running ones) ran. */
  private lastFullListing = 0;
  private fullListingPages = 0;

  private plan: PlanFacts | undefined;
  private planLoaded = false;
  private summaryDocumentLoaded = false;
  private readonly plannedNames = new Set<string>();

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
    // more pages a refresh lists, the longer until the next one.
    const interval = Math.max(this.options.minIntervalMs ?? 750, this.pagesListed * 500);
    if (!force && this.header && Date.now() - this.lastRefresh < interval) return;
    this.inFlight = this.doRefresh().finally(() => {
      this.inFlight = undefined;
      this.lastRefresh = Date.now();
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<void> {
    if (!this.directory && this.options.directory) this.directory = await this.options.directory();
    const execution = await this.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn }));
    const defs = await this.definitions.forRollout(this.executionArn, execution);
    const start = ms(execution.startDate) ?? 0;
    if (this.rolloutIds.length === 0) this.rolloutIds = rolloutIdCandidates(execution);

    const mapRuns = await readMapRuns(this.sfn, this.executionArn);

    const history = await readExecutionHistory(this.sfn, this.executionArn);
    let latest = Math.max(start, ms(execution.stopDate) ?? 0);
    for (const e of history) latest = Math.max(latest, ms(e.timestamp) ?? 0);
    this.plan ??= findPlanFacts(history);
    if (this.plan && this.options.s3 && !this.planLoaded) await this.loadPlan(this.options.s3, this.plan);

    if (defs.targetStateMachineArn) {
      const arn = defs.targetStateMachineArn;
      this.executionPrefix = `${arn.replace(':stateMachine:', ':execution:')}:`;
      // While the rollout runs, most refreshes list only the running targets (one page at the
      // concurrencies rollouts use, where all targets are up to ten pages at 10,000): a target that
      // left that list ended, and is described. A full listing every 15 s (or more, when it is long)
      // catches targets that started and ended between two refreshes; a final rollout is listed fully.
      const full =
        execution.status !== 'RUNNING' ||
        this.lastFullListing === 0 ||
        Date.now() - this.lastFullListing >= Math.max(15_000, this.fullListingPages * 2_000);
      latest = Math.max(
        latest,
        await this.listTargets(arn, start, ms(execution.stopDate), full ? undefined : 'RUNNING'),
      );
      if (full) {
        this.lastFullListing = Date.now();
        this.fullListingPages = this.pagesListed;
      }
    }

    const statuses = rolloutGraphStatuses(history, execution.status, defs.rollout);

    let summary: unknown;
    if (execution.status === 'SUCCEEDED' && execution.output) {
      try {
        summary = JSON.parse(execution.output);
      } catch {
        summary = undefined;
      }
      if (summary !== undefined) this.applySummary(summary);
    }
    if (TERMINAL.has(execution.status ?? '') && this.options.s3 && !this.summaryDocumentLoaded) {
      await this.loadSummaryDocument(this.options.s3, summary);
    }
    if (defs.targetStateMachineArn) await this.readDetails();

    const counts: Record<string, number> = {};
    let done = 0;
    for (const t of this.targets.values()) {
      counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
      if (t.outcome !== Outcomes.InProgress && t.outcome !== Outcomes.Pending) done++;
    }
    const planned = Math.max(
      mapRuns.reduce((sum, r) => sum + (r.itemCounts.total ?? 0), 0),
      this.plan ? this.plan.targetCount + this.plan.canaryCount + this.plan.skippedCount : 0,
    );
    const total = Math.max(planned, this.targets.size);
    if (total > this.targets.size)
      counts[Outcomes.Pending] = (counts[Outcomes.Pending] ?? 0) + total - this.targets.size;

    const header: RolloutHeaderWire = {
      executionArn: this.executionArn,
      name: execution.name ?? '',
      status: execution.status ?? 'UNKNOWN',
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
    this.header = header;
    const unsettled = [...this.targets.values()].some((t) => !t.settled);
    this.finished = TERMINAL.has(execution.status ?? '') && !unsettled;
  }

  /**
   * Pages the target executions newest first, stopping once a page is older than the rollout;
   * with `statusFilter` RUNNING, only the running ones, and a target no longer among them ended.
   */
  private async listTargets(
    stateMachineArn: string,
    rolloutStart: number,
    rolloutStop: number | undefined,
    statusFilter?: 'RUNNING',
  ) {
    let nextToken: string | undefined;
    let latest = 0;
    const candidates: ExecutionListItem[] = [];
    this.pagesListed = 0;
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
      const first = ms(items[0]?.startDate) ?? 0;
      const last = ms(items[items.length - 1]?.startDate) ?? 0;
      if (items.length > 1 && first >= last && last < rolloutStart - 1000) break;
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
    const listedKeys = new Set<string>();
    for (const e of matched) {
      const parsed = parseTargetExecutionName(e.name ?? '');
      if (!parsed) continue;
      latest = Math.max(latest, ms(e.stopDate) ?? 0, ms(e.startDate) ?? 0);
      const key = `${parsed.account}|${parsed.region}`;
      listedKeys.add(key);
      const status = e.status ?? 'UNKNOWN';
      const existing = this.targets.get(key);
      if (existing && existing.status === status && existing.name === e.name) continue;
      if (existing?.fromSummary && TERMINAL.has(status)) continue;
      this.upsert(key, {
        account: parsed.account,
        region: parsed.region,
        name: e.name ?? '',
        status,
        outcome: outcomeFromStatus(status),
        reason: '',
        settled: false,
        fromSummary: false,
      });
    }
    if (statusFilter) {
      // Its row does not change until it is described (readDetails), so no new version is sent.
      for (const [key, t] of this.targets) {
        if (t.status === 'RUNNING' && !listedKeys.has(key)) t.status = ENDED;
      }
    }
    return latest;
  }

  private belongs(name: string): boolean {
    if (this.plannedNames.has(name)) return true;
    const parsed = parseTargetExecutionName(name);
    if (!parsed) return false;
    return this.rolloutIds.some((id) => targetExecutionName(parsed.account, parsed.region, id) === name);
  }

  /** Reads output (outcome) or cause (reason) of final targets, a bounded number per refresh. */
  private async readDetails(): Promise<void> {
    const pending = [...this.targets.entries()].filter(
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
        if (outcome === Outcomes.Failed) why = target.reason || parseFailure(d.error, d.cause).reason;
        this.upsert(key, {
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

  /** Planned and skipped targets from the artifact bucket: the whole grid shows before targets start. */
  private async loadPlan(s3: S3Client, plan: PlanFacts): Promise<void> {
    const read = async (key: string) => {
      try {
        const answer = await s3.send(new GetObjectCommand({ Bucket: plan.bucket, Key: key }));
        return parseJsonLines<Record<string, unknown>>((await answer.Body?.transformToString('utf-8')) ?? '');
      } catch {
        return undefined;
      }
    };
    const targets = [...((await read(plan.canariesKey)) ?? []), ...((await read(plan.targetsKey)) ?? [])];
    const skipped = (await read(plan.skippedKey)) ?? [];
    this.planLoaded = true;
    const regions = new Set<string>();
    for (const t of targets) {
      const account = String(t.accountId ?? '');
      const region = String(t.region ?? '');
      const name = typeof t.executionName === 'string' ? t.executionName : '';
      if (!account || !region) continue;
      regions.add(region);
      if (name) this.plannedNames.add(name);
      const key = `${account}|${region}`;
      if (this.targets.has(key)) continue;
      this.upsert(key, {
        account,
        region,
        name,
        status: 'PLANNED',
        outcome: Outcomes.Pending,
        reason: '',
        settled: false,
        fromSummary: false,
      });
    }
    for (const t of skipped) {
      const account = String(t.accountId ?? '');
      const region = String(t.region ?? '');
      const reason = typeof t.reason === 'string' ? t.reason : '';
      // A whole skipped account (`*`) shows in every planned region's column.
      for (const r of region === '*' ? [...regions] : [region]) {
        if (!account || !r) continue;
        this.upsert(`${account}|${r}`, {
          account,
          region: r,
          name: '',
          status: 'SKIPPED',
          outcome: Outcomes.Skipped,
          reason,
          settled: true,
          fromSummary: true,
        });
      }
    }
  }

  /** summary.json carries every target's final outcome: once read, no per-target call is needed. */
  private async loadSummaryDocument(s3: S3Client, summary: unknown): Promise<void> {
    const small = (summary ?? {}) as { summaryBucket?: unknown; summaryKey?: unknown };
    const bucket = typeof small.summaryBucket === 'string' ? small.summaryBucket : this.plan?.bucket;
    const key = typeof small.summaryKey === 'string' ? small.summaryKey : this.plan?.summaryKey;
    if (!bucket || !key) return;
    try {
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const document = JSON.parse((await answer.Body?.transformToString('utf-8')) ?? '{}') as unknown;
      this.applySummary(document, true);
      this.summaryDocumentLoaded = true;
    } catch {
      // Not written (yet): the small summary and per-target reads still give every outcome.
    }
  }

  /** The finished rollout's summary names failed (and skipped) targets with their reasons. */
  private applySummary(summary: unknown, complete = false): void {
    for (const entry of readRolloutSummary(summary).targets) {
      if (entry.region === '*') continue;
      const key = `${entry.account}|${entry.region}`;
      const existing = this.targets.get(key);
      const outcome = entry.outcome ?? existing?.outcome ?? Outcomes.Pending;
      const reason = entry.reason ?? existing?.reason ?? '';
      if (existing && existing.outcome === outcome && existing.reason === reason) continue;
      this.upsert(key, {
        account: entry.account,
        region: entry.region,
        name: existing?.name || entry.name || '',
        status: existing?.status ?? 'UNKNOWN',
        outcome,
        reason,
        settled: complete || (existing?.settled ?? true),
        fromSummary: true,
      });
    }
  }

  private upsert(key: string, record: Omit<TargetRecord, 'seq'>): void {
    this.seq++;
    if (!this.accountIndex.has(record.account)) {
      const info = this.directory?.accounts.get(record.account);
      this.accountNames.push(info?.name ?? '');
      this.accountOus.push(info?.ou ?? '');
    }
    this.index(this.accounts, this.accountIndex, record.account);
    this.index(this.regions, this.regionIndex, record.region);
    this.index(this.outcomes, this.outcomeIndex, record.outcome);
    this.targets.set(key, { ...record, seq: this.seq });
  }

  private index(table: string[], index: Map<string, number>, value: string): number {
    let i = index.get(value);
    if (i === undefined) {
      i = table.length;
      table.push(value);
      index.set(value, i);
    }
    return i;
  }

  /** Rows changed after `since` (all rows when `since` is 0), plus table entries the page lacks. */
  snapshot(since = 0, offsets: { accounts?: number; regions?: number; outcomes?: number } = {}): RolloutWire {
    if (!this.header) throw new RolloutNotFoundError(`Rollout ${this.executionArn} has not been read yet.`);
    const reset = since <= 0 || since > this.seq;
    const rows: TargetRowWire[] = [];
    for (const t of this.targets.values()) {
      if (!reset && t.seq <= since) continue;
      rows.push([
        this.accountIndex.get(t.account)!,
        this.regionIndex.get(t.region)!,
        this.outcomeIndex.get(t.outcome)!,
        t.name,
        t.reason,
      ]);
    }
    const a = reset ? 0 : Math.min(offsets.accounts ?? 0, this.accounts.length);
    const r = reset ? 0 : Math.min(offsets.regions ?? 0, this.regions.length);
    const o = reset ? 0 : Math.min(offsets.outcomes ?? 0, this.outcomes.length);
    return {
      rollout: this.header,
      targets: {
        version: this.seq,
        reset,
        accountsOffset: a,
        accounts: this.accounts.slice(a),
        accountNames: this.accountNames.slice(a),
        accountOus: this.accountOus.slice(a),
        ...(this.directory?.unavailable ? { directoryUnavailable: this.directory.unavailable } : {}),
        regionsOffset: r,
        regions: this.regions.slice(r),
        outcomesOffset: o,
        outcomes: this.outcomes.slice(o),
        executionPrefix: this.executionPrefix,
        rows,
      },
    };
  }

  /** Counts for the rollout list while a page watches this rollout (undefined before the first read). */
  liveCounts(): { counts: Record<string, number>; total: number } | undefined {
    return this.header ? { counts: this.header.counts, total: this.header.total } : undefined;
  }

  /** Names of the targets that failed, for exports that carry their details. */
  failedTargetNames(): string[] {
    return [...this.targets.values()]
      .filter((t) => t.outcome === Outcomes.Failed && t.name)
      .map((t) => t.name);
  }
}
