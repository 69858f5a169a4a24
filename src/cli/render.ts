/**
 * Human output: the live view (stderr) and the final summary table (stdout). Pure functions
 * returning strings, so they are tested without a terminal.
 */
import { printable, printableDeep } from '../core/printable';
import { renderFailureGroups, wrap } from './failures-render';
import { type GraphCounts, renderBlocked, renderGraphCounts } from './graph-render';

export interface TargetReport {
  accountId: string;
  region: string;
  /** The stacks form: which stack of the graph. */
  stack?: string;
  stackName: string;
  outcome: string;
  reason?: string;
  error?: string;
  failedResource?: { logicalId?: string; type?: string; status?: string; statusReason?: string };
  durationSeconds?: number;
  /** Preview mode: resource changes. */
  changes?: Array<{
    action: string;
    logicalId: string;
    type: string;
    replacement?: string;
    properties?: string[];
  }>;
  /** Drift mode: drifted resources. */
  drifted?: Array<{ logicalId: string; type?: string; status?: string }>;
  /** BLOCKED: the dependency that failed in this target. */
  blockedBy?: string;
  /** Preview: parameters whose values come from a dependency that would change (`stack.Output`). */
  pendingInputs?: Record<string, string>;
}

export interface RolloutReport {
  rolloutId: string;
  mode: string;
  status: string;
  executionArn: string;
  counts: Record<string, number>;
  targets: TargetReport[];
  startedAt?: string;
  stoppedAt?: string;
  durationSeconds?: number;
  error?: string;
  cause?: string;
  /** Who stopped it with `stackfleet stop` (status STOPPED), and why. */
  stoppedBy?: string;
  stopReason?: string;
  metrics: { stateTransitions?: number; cloudFormationCalls?: number; simulatedSeconds?: number };
  /** The stacks form: outcomes per stack, and targets by their worst stack's outcome. */
  graph?: GraphCounts;
}

export interface Style {
  color: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
function paint(style: Style, color: keyof typeof codes, text: string): string {
  return style.color ? `\u001b[${codes[color]}m${text}\u001b[0m` : text;
}

/** Colour per outcome, so failures stand out in a long table. */
export function outcomeColor(outcome: string): keyof typeof codes {
  if (outcome === 'FAILED' || outcome === 'ABORTED' || outcome === 'TIMED_OUT') return 'red';
  if (outcome === 'BLOCKED') return 'yellow';
  if (outcome === 'SKIPPED' || outcome === 'DRIFTED') return 'yellow';
  if (outcome === 'NO_CHANGE' || outcome === 'IN_SYNC') return 'gray';
  return 'green';
}

/** Whether stderr/stdout may carry colour: a terminal, and NO_COLOR unset (https://no-color.org). */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb';
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${String(r).padStart(2, '0')}s`;
  if (m > 0) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** Outcomes in a stable order: failures first, then changes, then no-ops. */
const ORDER = [
  'FAILED',
  'BLOCKED',
  'CREATED',
  'UPDATED',
  'DRIFT_REPAIRED',
  'DRIFTED',
  'CHANGES',
  'NO_CHANGE',
  'IN_SYNC',
  'SKIPPED',
];
export function orderedOutcomes(counts: Record<string, number>): string[] {
  const keys = Object.keys(counts).filter((k) => (counts[k] ?? 0) > 0);
  return keys.sort((a, b) => {
    const ia = ORDER.indexOf(a);
    const ib = ORDER.indexOf(b);
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
  });
}

function table(
  rows: string[][],
  style: Style,
  colorOf?: (row: string[], col: number) => keyof typeof codes | undefined,
) {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row, r) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        const c = r === 0 ? 'bold' : colorOf?.(row, i);
        return c ? paint(style, c, padded) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

export interface SummaryOptions {
  /** Terminal width reasons are wrapped to. @default 100 */
  readonly width?: number;
  /** Groups of failures shown before "... and N more". @default 20 */
  readonly maxGroups?: number;
}

/** The end-of-rollout summary on stdout; every text in the report is made printable first. */
export function renderSummary(unsafe: RolloutReport, style: Style, options: SummaryOptions = {}): string {
  const report = printableDeep(unsafe);
  const width = options.width ?? 100;
  const graph = report.graph;
  const total = graph
    ? Object.values(graph.targetCounts).reduce((a, b) => a + b, 0)
    : Object.values(report.counts).reduce((a, b) => a + b, 0);
  const statusColor = report.status === 'SUCCEEDED' ? 'green' : report.status === 'RUNNING' ? 'blue' : 'red';
  const stacks = graph ? `, ${graph.stacks.length} stack${graph.stacks.length === 1 ? '' : 's'}` : '';
  const lines = [
    `${paint(style, 'bold', `Rollout ${report.rolloutId}`)} (${report.mode}): ${paint(style, statusColor, report.status)}` +
      ` — ${total} target${total === 1 ? '' : 's'}${stacks} in ${formatDuration(report.durationSeconds)}` +
      (report.metrics.simulatedSeconds !== undefined ? ' (simulated)' : ''),
    '',
  ];
  if (graph) {
    // The stacks form: one row per stack, then targets by their worst stack.
    lines.push(
      ...(() => {
        const rows = renderGraphCounts(graph, orderedOutcomes);
        const header = rows[0] ?? [];
        return table(rows, style, (row, col) =>
          col > 0 && row[col] !== '-' ? outcomeColor(header[col] ?? '') : undefined,
        );
      })(),
    );
  } else {
    const countRows = [['OUTCOME', 'TARGETS']];
    for (const outcome of orderedOutcomes(report.counts))
      countRows.push([outcome, String(report.counts[outcome])]);
    lines.push(
      ...table(countRows, style, (row, col) => (col === 0 ? outcomeColor(row[0] ?? '') : undefined)),
    );
  }

  const failed = report.targets.filter((t) => t.outcome === 'FAILED');
  if (failed.length > 0) {
    const what = graph ? 'stacks' : 'targets';
    lines.push('', paint(style, 'bold', `Failed ${what} (${failed.length}), grouped by error and reason:`));
    lines.push(
      ...renderFailureGroups(failed, {
        width,
        ...(options.maxGroups !== undefined ? { maxGroups: options.maxGroups } : {}),
        paintError: (t) => paint(style, 'red', t),
      }),
    );
  }
  const blocked = report.targets.filter((t) => t.outcome === 'BLOCKED');
  if (blocked.length > 0) {
    lines.push(
      '',
      paint(
        style,
        'bold',
        `Blocked stacks (${blocked.length}): not started because a dependency failed in the same target:`,
      ),
    );
    lines.push(...renderBlocked(blocked, width));
  }
  if (report.status === 'STOPPED' && report.stoppedBy) {
    lines.push(
      '',
      ...wrap(
        `${paint(style, 'red', 'Stopped')} by ${report.stoppedBy}${report.stopReason ? `: ${report.stopReason}` : ' (no reason given)'}` +
          (report.stoppedAt ? ` at ${report.stoppedAt}` : ''),
        width,
      ),
    );
  } else if (report.status !== 'SUCCEEDED' && report.status !== 'RUNNING' && report.cause) {
    // The cause repeats the failed targets when a summary exists; what comes before them says why.
    const cause = report.cause.split('\nFailed targets:')[0] ?? report.cause;
    const [first = '', ...rest] = cause.split('\n').filter((l) => l.trim());
    lines.push('', ...wrap(`${paint(style, 'red', report.error ?? 'Failed')}: ${first}`, width));
    for (const line of rest) lines.push(...wrap(line, width, '  '));
  }
  const m = report.metrics;
  const metricParts = [
    m.stateTransitions !== undefined ? `${m.stateTransitions} state transitions` : undefined,
    m.cloudFormationCalls !== undefined ? `${m.cloudFormationCalls} CloudFormation calls` : undefined,
  ].filter(Boolean);
  if (metricParts.length > 0) lines.push('', paint(style, 'gray', metricParts.join(', ')));
  lines.push(paint(style, 'gray', `Execution: ${report.executionArn}`));
  return `${lines.join('\n')}\n`;
}

export interface Progress {
  total: number;
  done: number;
  failed: number;
  running: number;
  counts: Record<string, number>;
  /** A few targets in progress or failed, `account/region`. */
  inProgress: string[];
  recentFailures: string[];
  elapsedSeconds: number;
  phase: string;
  /**
   * What `done`/`total`/`running`/`failed` and `counts` count: targets, or in the stacks form
   * lanes (each a chain of one target's stacks, a map item) from the first line to the last, so
   * mid-run and final figures agree. @default 'targets'
   */
  unit?: 'targets' | 'lanes';
  /** The stacks form: targets the plan skipped (they have no lanes). */
  skippedTargets?: number;
}

/** One progress line (the terminal view redraws it; pipes get it as plain lines). */
export function renderProgressLine(p: Progress, style: Style, width = 24): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const pct = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const counts = orderedOutcomes(p.counts)
    .map((o) => paint(style, outcomeColor(o), `${o} ${p.counts[o]}`))
    .join(' ');
  const unit = p.unit === 'lanes' ? ' lanes' : '';
  const skipped = p.skippedTargets
    ? ` | ${p.skippedTargets} target${p.skippedTargets === 1 ? '' : 's'} skipped`
    : '';
  return `${bar} ${pct} ${p.done}/${p.total || '?'}${unit} done, ${p.running} running${p.failed ? `, ${paint(style, 'red', `${p.failed} failed`)}` : ''}${counts ? ` | ${counts}` : ''}${skipped} | ${p.phase} ${formatDuration(p.elapsedSeconds)}`;
}

/** The multi-line live view: progress line plus targets in flight and recent failures. */
export function renderLiveView(p: Progress, style: Style): string[] {
  const lines = [renderProgressLine(p, style)];
  if (p.inProgress.length > 0)
    lines.push(
      `  in progress: ${printable(p.inProgress.slice(0, 6).join(', '))}${p.running > 6 ? ', …' : ''}`,
    );
  if (p.recentFailures.length > 0)
    lines.push(paint(style, 'red', `  failed: ${printable(p.recentFailures.slice(-4).join(', '))}`));
  return lines;
}
