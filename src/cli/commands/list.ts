import { printable } from '../../core/printable';
import { backendLine, openBackend } from '../backend';
import { ExitCodes } from '../exit-codes';
import type { Io } from '../main';
import { integerFlag, type ParsedCommand } from '../options';
import { formatDuration, orderedOutcomes } from '../render';
import { readSummaryDocument } from '../report';
import { describeRollout, listRolloutExecutions, mapRunCounts, modeOf } from '../rollouts';
import { parseStopCause } from '../stop-cause';

/** Rollouts `list` shows unless --max says otherwise. */
export const DEFAULT_LIST_MAX = 20;

/** One row of `list` (also its --json document). */
export interface RolloutRow {
  rolloutId: string;
  mode: string;
  /** The execution's status; STOPPED when `stackfleet stop` stopped it. */
  status: string;
  /** Outcome counts from the summary; for a running or stopped rollout, its Map Runs' counts. */
  counts: Record<string, number>;
  targets: number;
  startedAt?: string;
  stoppedAt?: string;
  durationSeconds?: number;
  executionArn: string;
  stoppedBy?: string;
}

/** `list`: the rollouts on the backend, newest first, with mode, status, counts, start and duration. */
export async function listCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const max = integerFlag(parsed.values, 'max', 1, 1000) ?? DEFAULT_LIST_MAX;
  const backend = await openBackend(parsed.values, io.env, {
    access: 'read',
    command: 'stackfleet list',
    stderr: io.stderr,
  });
  try {
    io.stderr.write(`${await backendLine(backend)}\n`);
    const rows = await backend.run(async () => {
      const admin = await backend.admin();
      const out: RolloutRow[] = [];
      for (const item of await listRolloutExecutions(backend, admin, max)) {
        const execution = await describeRollout(backend, item.executionArn as string);
        const rolloutId = execution.name ?? '';
        const summary =
          execution.status === 'RUNNING' ? undefined : await readSummaryDocument(backend, admin, rolloutId);
        const counts = Object.fromEntries(
          Object.entries(
            summary?.counts ?? (await mapRunCounts(backend, item.executionArn as string)),
          ).filter(([, n]) => n > 0),
        );
        const stop = parseStopCause(execution);
        const started = execution.startDate?.getTime();
        const stopped = execution.stopDate?.getTime();
        const row: RolloutRow = {
          rolloutId: printable(rolloutId),
          mode: modeOf(execution),
          status: stop ? 'STOPPED' : (execution.status ?? 'UNKNOWN'),
          counts,
          targets: Object.values(counts).reduce((a, b) => a + b, 0),
          executionArn: printable(execution.executionArn ?? ''),
        };
        if (execution.startDate) row.startedAt = execution.startDate.toISOString();
        if (execution.stopDate) row.stoppedAt = execution.stopDate.toISOString();
        if (started !== undefined) row.durationSeconds = ((stopped ?? backend.now()) - started) / 1000;
        if (stop) row.stoppedBy = printable(stop.by);
        out.push(row);
      }
      return out;
    });
    if (parsed.values.json) {
      io.stdout.write(`${JSON.stringify({ backend: backend.description, rollouts: rows }, null, 2)}\n`);
    } else if (rows.length === 0) {
      io.stdout.write(`No rollouts yet on ${backend.description}. Start one with \`stackfleet rollout\`.\n`);
    } else {
      io.stdout.write(`${renderRolloutTable(rows).join('\n')}\n`);
    }
    return ExitCodes.ok;
  } finally {
    await backend.close();
  }
}

/** The human table of `list`: one line per rollout, columns aligned. */
export function renderRolloutTable(rows: readonly RolloutRow[]): string[] {
  const table = [['ROLLOUT', 'MODE', 'STATUS', 'TARGETS', 'STARTED', 'DURATION', 'OUTCOMES']];
  for (const r of rows) {
    table.push([
      r.rolloutId,
      r.mode,
      r.status,
      String(r.targets),
      r.startedAt ? r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
      formatDuration(r.durationSeconds) + (r.status === 'RUNNING' ? ' so far' : ''),
      orderedOutcomes(r.counts)
        .map((o) => `${o} ${r.counts[o]}`)
        .join(', ') || '-',
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
