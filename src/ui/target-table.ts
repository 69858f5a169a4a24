/**
 * The rows a rollout tracker (src/ui/rollout-data.ts) holds and sends: one per target, or in the
 * stacks form one per (target, stack) plus the target's own row (its worst stack's outcome), each
 * with a version so a poll receives only what changed, and append-only account/region/outcome
 * tables the rows index into.
 */
import type { AccountDirectory } from './directory';
import { type StackOutcome, worstStack } from './stack-targets';
import type { StackWire, TargetRowWire, TargetsDeltaWire } from './wire';

export interface TargetRecord {
  account: string;
  region: string;
  name: string;
  /** The stacks form: the stack this row is ('' for the target's own row: its worst stack's). */
  stack: string;
  status: string;
  outcome: string;
  reason: string;
  seq: number;
  /** True once the output/cause of a final execution was read (it never changes after). */
  settled: boolean;
  fromSummary: boolean;
}

/** The status of a stacks-form target's own row, derived from its stacks' rows. */
export const DERIVED = 'DERIVED';

export const keyOf = (account: string, region: string, stack = '') => `${account}|${region}|${stack}`;

export class TargetTable {
  readonly records = new Map<string, TargetRecord>();
  private readonly accounts: string[] = [];
  private readonly accountNames: string[] = [];
  private readonly accountOus: string[] = [];
  private readonly accountIndex = new Map<string, number>();
  private readonly regions: string[] = [];
  private readonly regionIndex = new Map<string, number>();
  private readonly outcomes: string[] = [];
  private readonly outcomeIndex = new Map<string, number>();
  private seq = 0;
  /** Account names and OUs (set before the first row is added). */
  directory: AccountDirectory | undefined;
  /** The stacks form's graph, in graph order; undefined for one template. */
  stacks: StackWire[] | undefined;

  get(key: string): TargetRecord | undefined {
    return this.records.get(key);
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  /** Adds or replaces a row; a stack's row also updates its target's own row. */
  upsert(key: string, record: Omit<TargetRecord, 'seq'>): void {
    this.seq++;
    if (!this.accountIndex.has(record.account)) {
      const info = this.directory?.accounts.get(record.account);
      this.accountNames.push(info?.name ?? '');
      this.accountOus.push(info?.ou ?? '');
    }
    index(this.accounts, this.accountIndex, record.account);
    index(this.regions, this.regionIndex, record.region);
    index(this.outcomes, this.outcomeIndex, record.outcome);
    this.records.set(key, { ...record, seq: this.seq });
    if (record.stack !== '') this.rollUpTarget(record.account, record.region);
  }

  /** A stacks-form target's own row: its worst stack's outcome, execution and reason. */
  private rollUpTarget(account: string, region: string): void {
    const stacks: StackOutcome[] = [];
    for (const s of this.stacks ?? []) {
      const t = this.records.get(keyOf(account, region, s.name));
      if (t) stacks.push({ stack: s.name, outcome: t.outcome, name: t.name, reason: t.reason });
    }
    const worst = worstStack(stacks);
    if (!worst) return;
    const existing = this.records.get(keyOf(account, region));
    if (
      existing?.outcome === worst.outcome &&
      existing.name === worst.name &&
      existing.reason === worst.reason
    )
      return;
    this.upsert(keyOf(account, region), {
      account,
      region,
      name: worst.name,
      stack: '',
      status: DERIVED,
      outcome: worst.outcome,
      reason: worst.reason,
      settled: true,
      fromSummary: false,
    });
  }

  /** The targets' own rows (one per target in either form). */
  *targetRows(): Iterable<TargetRecord> {
    for (const t of this.records.values()) if (t.stack === '') yield t;
  }

  /** Rows changed after `since` (all rows when `since` is 0), plus table entries the page lacks. */
  delta(
    since: number,
    offsets: { accounts?: number; regions?: number; outcomes?: number },
    executionPrefix: string,
  ): TargetsDeltaWire {
    const reset = since <= 0 || since > this.seq;
    const rows: TargetRowWire[] = [];
    for (const t of this.records.values()) {
      if (!reset && t.seq <= since) continue;
      const row: TargetRowWire = [
        this.accountIndex.get(t.account)!,
        this.regionIndex.get(t.region)!,
        this.outcomeIndex.get(t.outcome)!,
        t.name,
        t.reason,
      ];
      if (t.stack) row.push(t.stack);
      rows.push(row);
    }
    const a = reset ? 0 : Math.min(offsets.accounts ?? 0, this.accounts.length);
    const r = reset ? 0 : Math.min(offsets.regions ?? 0, this.regions.length);
    const o = reset ? 0 : Math.min(offsets.outcomes ?? 0, this.outcomes.length);
    return {
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
      executionPrefix,
      rows,
    };
  }
}

function index(table: string[], index: Map<string, number>, value: string): number {
  let i = index.get(value);
  if (i === undefined) {
    i = table.length;
    table.push(value);
    index.set(value, i);
  }
  return i;
}
