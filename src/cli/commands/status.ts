import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { shortRolloutId } from '../../core/execution-name';
import { printable } from '../../core/printable';
import { isRolloutMode, type RolloutMode } from '../../core/rollout-input';
import { backendLine, openBackend } from '../backend';
import { CliError, ExitCodes } from '../exit-codes';
import { readProgress } from '../follow';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';
import { renderLiveView, renderSummary, shouldColor } from '../render';
import { buildReport, outcomeExitCode, readSummaryDocument, reportJson } from '../report';

/** `status [ROLLOUT]`: the most recent rollout, or the one named; progress while it runs. */
export async function statusCommand(parsed: ParsedCommand, io: Io): Promise<number> {
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
      let executionArn: string | undefined;
      let nextToken: string | undefined;
      do {
        const page = await backend.sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: admin.rolloutStateMachineArn,
            nextToken,
            maxResults: 100,
          }),
        );
        const found = wanted ? page.executions?.find((e) => e.name === wanted) : page.executions?.[0];
        if (found) executionArn = found.executionArn;
        nextToken = wanted && !found ? page.nextToken : undefined;
      } while (nextToken);
      if (!executionArn) {
        if (wanted) {
          throw new CliError(
            `no rollout named ${JSON.stringify(wanted)} on ${backend.description}`,
            ExitCodes.badInput,
          );
        }
        // Nothing has run yet: a fact, not a failure.
        io.stdout.write(
          json
            ? `${JSON.stringify({ rollouts: 0, backend: backend.description })}\n`
            : `No rollouts yet on ${backend.description}. Start one with \`stackfleet rollout\`.\n`,
        );
        return ExitCodes.ok;
      }
      const execution = await backend.sfn.send(new DescribeExecutionCommand({ executionArn }));
      const rolloutId = execution.name ?? wanted ?? '';
      const input = JSON.parse(execution.input ?? '{}') as { mode?: string };
      // A request refused for its mode started no targets; any machine's list then finds none.
      const targetMode: RolloutMode = isRolloutMode(input.mode) ? input.mode : 'deploy';
      const summary =
        execution.status === 'RUNNING' ? undefined : await readSummaryDocument(backend, admin, rolloutId);
      const report = buildReport(execution, summary, { rolloutId, mode: input.mode ?? 'deploy' });
      if (execution.status === 'RUNNING') {
        const progress = await readProgress(
          backend,
          admin.targetStateMachineArns[targetMode],
          executionArn,
          execution.startDate?.getTime() ?? backend.now(),
          shortRolloutId(rolloutId),
        );
        if (json) {
          io.stdout.write(`${JSON.stringify({ ...reportJson(report), progress }, null, 2)}\n`);
        } else {
          io.stdout.write(
            `Rollout ${printable(rolloutId)}: RUNNING\n${renderLiveView(progress, { color: false }).join('\n')}\n`,
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
