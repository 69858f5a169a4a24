import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { rolloutKeys } from '../core/plan';
import { printable, printableDeep } from '../core/printable';
import type { RolloutSummaryDocument } from '../core/summary';
import type { AdminResources, Backend } from './backend';
import { type ExitCode, ExitCodes } from './exit-codes';
import { driftFound, previewIncomplete } from './preview-render';
import type { RolloutReport, TargetReport } from './render';
import { parseStopCause } from './stop-cause';

/**
 * Builds what the user is shown at the end from what the rollout wrote: the execution's status and
 * the full per-target summary document in the artifact bucket (written even when the rollout fails).
 */
export async function readSummaryDocument(
  backend: Backend,
  admin: AdminResources,
  rolloutId: string,
): Promise<RolloutSummaryDocument | undefined> {
  try {
    const out = await backend.s3.send(
      new GetObjectCommand({ Bucket: admin.artifactBucket, Key: rolloutKeys(rolloutId).summaryKey }),
    );
    const text = await out.Body?.transformToString();
    return text ? (JSON.parse(text) as RolloutSummaryDocument) : undefined;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw error;
  }
}

/**
 * The report of a finished (or running) rollout. Everything in it that came from AWS (status
 * reasons, names, outputs, the execution's cause) is made printable here, once, so no renderer
 * can print an escape sequence a stack's status reason carried.
 */
export function buildReport(
  execution: DescribeExecutionCommandOutput,
  unsafeSummary: RolloutSummaryDocument | undefined,
  fallback: { rolloutId: string; mode: string; counts?: Record<string, number> },
): RolloutReport {
  const summary = unsafeSummary === undefined ? undefined : printableDeep(unsafeSummary);
  const started = execution.startDate?.getTime();
  const stopped = execution.stopDate?.getTime();
  const targets: TargetReport[] = (summary?.targets ?? []).map((t) => {
    const extra = t as unknown as Record<string, unknown>;
    const report: TargetReport = {
      accountId: t.accountId,
      region: t.region,
      ...(t.stack ? { stack: t.stack } : {}),
      stackName: t.stackName ?? '',
      outcome: t.outcome,
    };
    if (t.blockedBy !== undefined) report.blockedBy = t.blockedBy;
    if (t.pendingInputs !== undefined) report.pendingInputs = t.pendingInputs;
    if (t.reason !== undefined) report.reason = t.reason;
    if (t.error !== undefined) report.error = t.error;
    if (t.failedResource !== undefined) report.failedResource = t.failedResource;
    if (t.durationSeconds !== undefined) report.durationSeconds = t.durationSeconds;
    if (Array.isArray(extra.changes)) report.changes = extra.changes as TargetReport['changes'];
    if (Array.isArray(extra.drifted)) report.drifted = extra.drifted as TargetReport['drifted'];
    return report;
  });
  const stop = parseStopCause(execution);
  const report: RolloutReport = {
    rolloutId: summary?.rolloutId ?? fallback.rolloutId,
    mode: summary?.mode ?? fallback.mode,
    // STOPPED, not ABORTED, when `stackfleet stop` stopped it: a person did, on purpose.
    status: stop ? 'STOPPED' : (execution.status ?? 'UNKNOWN'),
    executionArn: printable(execution.executionArn ?? ''),
    counts: summary?.counts ?? fallback.counts ?? {},
    targets,
    metrics: {},
  };
  if (summary?.graph) report.graph = summary.graph;
  if (execution.startDate) report.startedAt = execution.startDate.toISOString();
  if (execution.stopDate) report.stoppedAt = execution.stopDate.toISOString();
  if (started !== undefined) report.durationSeconds = ((stopped ?? Date.now()) - started) / 1000;
  if (execution.error) report.error = printable(execution.error);
  if (execution.cause) report.cause = printable(execution.cause, { multiline: true });
  if (stop) {
    report.stoppedBy = printable(stop.by);
    if (stop.reason !== undefined) report.stopReason = printable(stop.reason);
  }
  return report;
}

/** The `--json` document (documented in the README). */
export function reportJson(report: RolloutReport) {
  return {
    rolloutId: report.rolloutId,
    mode: report.mode,
    status: report.status,
    executionArn: report.executionArn,
    startedAt: report.startedAt,
    stoppedAt: report.stoppedAt,
    durationSeconds: report.durationSeconds,
    ...(report.error ? { error: report.error, cause: report.cause } : {}),
    ...(report.stoppedBy ? { stoppedBy: report.stoppedBy, stopReason: report.stopReason ?? null } : {}),
    counts: report.counts,
    ...(report.graph ? { graph: report.graph } : {}),
    targets: report.targets,
    metrics: report.metrics,
  };
}

/**
 * The exit code a finished rollout means (the same for `rollout`/`preview`/`drift` and `status`):
 * 1 when it failed, or when a preview could not preview every target; 4 for a drift run that
 * found a target differing from the request, when the caller asked (`--fail-on-drift`).
 */
export function outcomeExitCode(report: RolloutReport, options: { failOnDrift?: boolean } = {}): ExitCode {
  if (report.status !== 'SUCCEEDED') return ExitCodes.rolloutFailed;
  if (report.mode === 'preview' && previewIncomplete(report) > 0) return ExitCodes.rolloutFailed;
  if (report.mode === 'drift' && options.failOnDrift && driftFound(report) > 0) return ExitCodes.driftFound;
  return ExitCodes.ok;
}
