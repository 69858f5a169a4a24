import { shortRolloutId } from '../../core/execution-name';
import { printable } from '../../core/printable';
import { backendLine, openBackend } from '../backend';
import { ExitCodes, UsageError } from '../exit-codes';
import { followExecution, readProgress } from '../follow';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';
import { renderLiveView, renderSummary, shouldColor } from '../render';
import { buildReport, outcomeExitCode, readSummaryDocument, reportJson } from '../report';
import { describeRollout, findRollout, latestRollout, mapRunCounts, modeOf } from '../rollouts';

/**
 * `status [ROLLOUT] [--follow]`: the most recent rollout, or the one named. A running one shows
 * where it stands; with --follow the live view follows it to its end (from any terminal: it reads
 * only the Step Functions API) and then prints the summary, as `rollout` does.
 */
export async function statusCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  if (parsed.values.follow && parsed.values['no-follow']) {
    throw new UsageError('--follow and --no-follow cannot be used together. Received: both');
  }
  const follow = Boolean(parsed.values.follow);
  const backend = await openBackend(parsed.values, io.env, {
    access: 'read',
    command: 'stackfleet status',
    stderr: io.stderr,
  });
  const json = Boolean(parsed.values.json);
  try {
    io.stderr.write(`${await backendLine(backend)}\n`);
    return await backend.run(async () => {
      const admin = await backend.admin();
      const wanted = parsed.positionals[0];
      const executionArn = wanted
        ? await findRollout(backend, admin, wanted)
        : await latestRollout(backend, admin);
      if (!executionArn) {
        // Nothing has run yet: a fact, not a failure.
        io.stdout.write(
          json
            ? `${JSON.stringify({ rollouts: 0, backend: backend.description })}\n`
            : `No rollouts yet on ${backend.description}. Start one with \`stackfleet rollout\`.\n`,
        );
        return ExitCodes.ok;
      }
      let execution = await describeRollout(backend, executionArn);
      const rolloutId = execution.name ?? wanted ?? '';
      // A request refused for its mode started no targets; any machine's list then finds none.
      const targetMode = modeOf(execution);
      const targetMachine = admin.targetStateMachineArns[targetMode];
      if (execution.status === 'RUNNING' && follow) {
        if (!json)
          io.stderr.write(`Following ${printable(rolloutId)} (Ctrl-C stops following, not the rollout)\n`);
        execution = await followExecution(backend, targetMachine, executionArn, shortRolloutId(rolloutId), {
          live: !json || Boolean(io.stderr.isTTY),
          stderr: io.stderr,
          style: { color: shouldColor(io.stderr, io.env) },
          finalCounts: async () => (await readSummaryDocument(backend, admin, rolloutId))?.counts,
        });
      }
      const summary =
        execution.status === 'RUNNING' ? undefined : await readSummaryDocument(backend, admin, rolloutId);
      // A stopped rollout wrote no summary: its Map Runs still count what its targets did.
      const counts = summary ? undefined : await mapRunCounts(backend, executionArn);
      const report = buildReport(execution, summary, {
        rolloutId,
        mode: targetMode,
        ...(counts ? { counts } : {}),
      });
      if (execution.status === 'RUNNING') {
        const progress = await readProgress(
          backend,
          targetMachine,
          executionArn,
          execution.startDate?.getTime() ?? backend.now(),
          shortRolloutId(rolloutId),
        );
        if (json) {
          io.stdout.write(`${JSON.stringify({ ...reportJson(report), progress }, null, 2)}\n`);
        } else {
          io.stdout.write(
            `Rollout ${printable(rolloutId)}: RUNNING\n${renderLiveView(progress, { color: false }).join('\n')}\n` +
              `(stackfleet status ${printable(rolloutId)} --follow follows it to its end)\n`,
          );
        }
        return ExitCodes.ok;
      }
      io.stdout.write(
        json
          ? `${JSON.stringify(reportJson(report), null, 2)}\n`
          : renderSummary(report, { color: shouldColor(io.stdout, io.env) }),
      );
      return outcomeExitCode(report);
    });
  } finally {
    await backend.close();
  }
}
