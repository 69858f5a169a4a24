import { basename } from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { shortRolloutId } from '../../core/execution-name';
import type { RolloutMode } from '../../core/rollout-input';
import { rolloutRequestOf } from '../../core/rollout-validation';
import type { Backend } from '../backend';
import { backendLine, openBackend } from '../backend';
import {
  applyFlags,
  buildRolloutInput,
  configPathFor,
  type LoadedConfig,
  loadConfigFile,
  newRolloutId,
} from '../config';
import { CliError, ExitCodes, UsageError } from '../exit-codes';
import { followExecution } from '../follow';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';
import {
  checkPublishedTemplate,
  type PreflightResult,
  preflight,
  type TemplateEntry,
  templateEntries,
} from '../preflight';
import { renderDrift, renderPreview } from '../preview-render';
import { publishTemplate } from '../publish';
import { renderSummary, shouldColor } from '../render';
import { buildReport, outcomeExitCode, readSummaryDocument, reportJson } from '../report';
import { describeRollout, mapRunCounts } from '../rollouts';
import { readTemplateFile } from '../template-file';

/** Modes with a per-target workflow (deploy-target, preview-target, drift-target). */
export const AVAILABLE_MODES: readonly RolloutMode[] = ['deploy', 'preview', 'drift'];

/**
 * `rollout`, `preview` and `drift`: one flow, three modes of the rollout state machine. Nothing
 * is published or started until every check passed (src/cli/preflight.ts); the first lines on
 * stderr say where it runs, as whom, and exactly which targets it reaches.
 */
export async function rolloutCommand(command: string, parsed: ParsedCommand, io: Io): Promise<number> {
  const mode = (command === 'rollout' ? 'deploy' : command) as RolloutMode;
  const values = parsed.values;
  const json = Boolean(values.json);
  if (!AVAILABLE_MODES.includes(mode)) {
    throw new CliError(
      `${command} is not yet available in this version (only rollout/deploy is)`,
      ExitCodes.badInput,
    );
  }
  if (values['fail-on-drift'] && values['no-follow']) {
    throw new UsageError('--fail-on-drift needs the outcome, so it cannot be used with --no-follow');
  }
  const configPath = values.config === undefined ? undefined : String(values.config);
  // Everything the user typed is checked before any connection is made.
  const config = applyFlags(loadConfigFile(configPathFor(values)), values);
  const rolloutId =
    values['rollout-id'] === undefined ? newRolloutId(new Date()) : String(values['rollout-id']);
  buildRolloutInput(config, mode, rolloutId, { bucket: 'validation-placeholder', key: 'template.yaml' });
  const entries = templateEntries(config);
  const bodies = entries.map((entry) =>
    entry.source.kind === 'file'
      ? readTemplateFile(entry.source.path, config.flagged?.template ?? entry.field)
      : undefined,
  );

  const backend = await openBackend(values, io.env, { command: `stackfleet ${command}`, stderr: io.stderr });
  if (configPath === undefined && backend.kind === 'aws') {
    await backend.close();
    throw new UsageError(
      '--config is required against AWS (the built-in demo config targets the sandbox organisation)',
    );
  }
  const style = { color: shouldColor(io.stderr, io.env) };
  try {
    io.stderr.write(`${await backendLine(backend)}\n`);
    const result = await backend.run(async () => {
      const admin = await backend.admin();
      const checked = await preflight(backend, admin, config, mode, rolloutId, bodies);
      io.stderr.write(`${checked.lines.join('\n')}\n`);
      const locations = await publishTemplates(
        backend,
        admin.artifactBucket,
        config,
        checked,
        entries,
        bodies,
      );
      const input = buildRolloutInput(config, mode, rolloutId, locations);
      if (!json) io.stderr.write(`Starting ${mode} ${rolloutId}\n`);
      backend.markMetrics();
      const started = await backend.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: admin.rolloutStateMachineArn,
          name: rolloutId,
          input: JSON.stringify(rolloutRequestOf(input)),
        }),
      );
      const executionArn = started.executionArn!;
      backend.rolloutStarted?.();
      if (values['no-follow']) {
        // On AWS (and a served sandbox) the rollout goes on without us. The built-in sandbox and
        // the local engine run it in this process (the sandbox in simulated time): it runs to its
        // end without the live view, and `status` (--follow, from another terminal) reads it.
        if (!backend.executionsInProcess) return { executionArn, final: undefined, admin };
        return { executionArn, final: undefined, admin, ranInProcess: true };
      }
      const final = await followExecution(
        backend,
        admin.targetStateMachineArns[mode],
        executionArn,
        shortRolloutId(rolloutId),
        {
          live: !json || Boolean(io.stderr.isTTY),
          stderr: io.stderr,
          style,
          finalCounts: async () => (await readSummaryDocument(backend, admin, rolloutId))?.counts,
        },
      );
      return { executionArn, final, admin };
    });
    if (!result.final) {
      const ranInProcess = 'ranInProcess' in result;
      const status = ranInProcess
        ? ((await backend.run(() => describeRollout(backend, result.executionArn))).status ?? 'UNKNOWN')
        : 'RUNNING';
      if (ranInProcess && !json) {
        io.stderr.write(
          `${backend.simulated ? 'The sandbox' : 'The local engine'} ran ${rolloutId} to its end in this process${backend.simulated ? ' (simulated time)' : ''}; \`stackfleet status ${rolloutId}\` shows its summary.\n`,
        );
      }
      io.stdout.write(
        json
          ? `${JSON.stringify({ rolloutId, executionArn: result.executionArn, status })}\n`
          : `${result.executionArn}\n`,
      );
      return ExitCodes.ok;
    }
    const summary = await backend.run(() => readSummaryDocument(backend, result.admin, rolloutId));
    // Stopped from another terminal (`stackfleet stop`): no summary, the Map Runs still count.
    const counts = summary ? undefined : await backend.run(() => mapRunCounts(backend, result.executionArn));
    const report = buildReport(result.final, summary, { rolloutId, mode, ...(counts ? { counts } : {}) });
    report.metrics = backend.metrics();
    if (
      report.metrics.simulatedSeconds === undefined &&
      report.durationSeconds !== undefined &&
      backend.simulated
    ) {
      report.metrics.simulatedSeconds = report.durationSeconds;
    }
    const outStyle = { color: shouldColor(io.stdout, io.env) };
    // Drift: what drifted, grouped across targets, repaired or only reported.
    const driftText = mode === 'drift' && !json ? renderDrift(report, outStyle) : '';
    io.stdout.write(
      json
        ? `${JSON.stringify(reportJson(report), null, 2)}\n`
        : renderSummary(report, outStyle) +
            // Preview: the changes grouped across targets, replacements and removals flagged.
            (mode === 'preview' ? `\n${renderPreview(report, outStyle)}` : '') +
            (driftText ? `\n${driftText}` : ''),
    );
    // A preview that could not preview every target did not do its job (exit 1).
    return outcomeExitCode(report, { failOnDrift: Boolean(values['fail-on-drift']) });
  } finally {
    await backend.close();
  }
}

/**
 * Publishes each local template (a stack's, or the one template) to the artifact bucket and
 * returns every template's location in request order. Stacks whose files share a name but not a
 * path get keys under their stack's name, so re-publishing the same bytes keeps each version.
 */
async function publishTemplates(
  backend: Backend,
  bucket: string,
  config: LoadedConfig,
  checked: PreflightResult,
  entries: readonly TemplateEntry[],
  bodies: readonly (Buffer | undefined)[],
): Promise<Array<{ bucket: string; key: string; versionId?: string }>> {
  const input = checked.input;
  const fileNames = entries.map((e) => (e.source.kind === 'file' ? basename(e.source.path) : ''));
  const locations: Array<{ bucket: string; key: string; versionId?: string }> = [];
  for (const [i, entry] of entries.entries()) {
    const placed = input.stacks ? input.stacks[i]?.template : input.template;
    const body = bodies[i];
    if (entry.source.kind !== 'file' || !body) {
      if (placed) locations.push(placed);
      continue;
    }
    const path = entry.source.path;
    const clash = entries.some(
      (other, j) =>
        j !== i &&
        fileNames[j] === fileNames[i] &&
        other.source.kind === 'file' &&
        other.source.path !== path,
    );
    const stackName = input.stacks?.[i]?.name;
    const published = await publishTemplate(
      backend,
      bucket,
      { path, body },
      {
        ...(clash && stackName ? { key: `templates/${stackName}/${basename(path)}` } : {}),
      },
    );
    await checkPublishedTemplate(backend, config, checked, i, published.url);
    locations.push({
      bucket: published.bucket,
      key: published.key,
      ...(published.versionId ? { versionId: published.versionId } : {}),
    });
  }
  return locations;
}
