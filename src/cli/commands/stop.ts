import {
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { shortRolloutId } from '../../core/execution-name';
import { printable } from '../../core/printable';
import type { Backend } from '../backend';
import { backendLine, openBackend } from '../backend';
import { ExitCodes, UsageError } from '../exit-codes';
import { targetLabel } from '../follow';
import type { Io } from '../main';
import type { ParsedCommand } from '../options';
import { describeRollout, findRollout, mapRunCounts, modeOf } from '../rollouts';
import { parseStopCause, ROLLOUT_STOPPED_ERROR, stopCause } from '../stop-cause';

/** A target execution `stop` found running, and the state it was in. */
export interface StoppedTarget {
  target: string;
  executionArn: string;
  /** The state it had entered last: a stack operation it started goes on in CloudFormation. */
  lastState?: string;
}

/** Running executions of the target machine that belong to this rollout (name ends with its id). */
async function runningTargets(backend: Backend, stateMachineArn: string, short: string) {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backend.sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken, maxResults: 1000 }),
    );
    out.push(...(page.executions ?? []).filter((e) => e.name?.endsWith(`-${short}`)));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function lastStateOf(backend: Backend, executionArn: string): Promise<string | undefined> {
  const page = await backend.sfn.send(
    new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }),
  );
  return page.events?.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
}

/**
 * `stop ROLLOUT [--reason TEXT]`: StopExecution of the rollout, then of each of its per-target
 * executions still running (a nested `.sync` child is its own execution; stopping it says so in
 * its history rather than leaving it to the parent). Stack operations the targets started are not
 * cancelled: CloudFormation finishes them, and the output lists the targets they belong to. Both
 * carry `error` StackFleet.RolloutStopped and a cause naming the caller and the reason, which
 * status, list and the summary show as STOPPED.
 */
export async function stopCommand(parsed: ParsedCommand, io: Io): Promise<number> {
  const rolloutId = parsed.positionals[0];
  if (!rolloutId) {
    throw new UsageError('stop needs the rollout id (`stackfleet list` shows them). Received: (nothing)');
  }
  const reason = parsed.values.reason === undefined ? undefined : String(parsed.values.reason);
  if (reason !== undefined && reason.trim() === '') {
    throw new UsageError('--reason must not be empty. Received: ""');
  }
  const backend = await openBackend(parsed.values, io.env, { command: 'stackfleet stop', stderr: io.stderr });
  try {
    io.stderr.write(`${await backendLine(backend)}\n`);
    const result = await backend.run(async () => {
      const admin = await backend.admin();
      const executionArn = await findRollout(backend, admin, rolloutId);
      const before = await describeRollout(backend, executionArn);
      if (before.status !== 'RUNNING') return { executionArn, already: before };
      const who = (await backend.callerIdentity()).arn;
      const cause = stopCause(who, reason);
      const short = shortRolloutId(rolloutId);
      const targetMachine = admin.targetStateMachineArns[modeOf(before)];
      // Listed before the rollout stops (stopping it may stop them on its own) and after (one may
      // have started in between): every one that was running is reported.
      const seen = new Map<string, StoppedTarget>();
      const note = async (items: ExecutionListItem[]) => {
        for (const e of items) {
          if (!e.executionArn || seen.has(e.executionArn)) continue;
          seen.set(e.executionArn, {
            target: targetLabel(e.name ?? '', short),
            executionArn: e.executionArn,
            lastState: await lastStateOf(backend, e.executionArn),
          });
        }
      };
      await note(await runningTargets(backend, targetMachine, short));
      await backend.sfn.send(new StopExecutionCommand({ executionArn, error: ROLLOUT_STOPPED_ERROR, cause }));
      const still = await runningTargets(backend, targetMachine, short);
      await note(still);
      for (const e of still) {
        await backend.sfn.send(
          new StopExecutionCommand({ executionArn: e.executionArn, error: ROLLOUT_STOPPED_ERROR, cause }),
        );
      }
      const after = await describeRollout(backend, executionArn);
      return {
        executionArn,
        after,
        targets: [...seen.values()].sort((a, b) => a.target.localeCompare(b.target)),
        counts: await mapRunCounts(backend, executionArn),
      };
    });
    if ('already' in result && result.already) {
      const status = parseStopCause(result.already) ? 'STOPPED' : result.already.status;
      io.stdout.write(
        parsed.values.json
          ? `${JSON.stringify({ rolloutId, executionArn: result.executionArn, status, stopped: false })}\n`
          : `Rollout ${printable(rolloutId)} already ended (${status}); nothing to stop.\n`,
      );
      return ExitCodes.ok;
    }
    const { after, targets = [], counts = {} } = result as Exclude<typeof result, { already: unknown }>;
    const stop = parseStopCause(after ?? {});
    if (parsed.values.json) {
      io.stdout.write(
        `${JSON.stringify(
          {
            rolloutId,
            executionArn: result.executionArn,
            status: stop ? 'STOPPED' : after?.status,
            stoppedBy: stop?.by,
            stopReason: stop?.reason ?? null,
            stoppedAt: after?.stopDate?.toISOString(),
            targetsStopped: targets,
            counts,
          },
          null,
          2,
        )}\n`,
      );
      return ExitCodes.ok;
    }
    const lines = [
      `Rollout ${printable(rolloutId)}: STOPPED by ${printable(stop?.by ?? '?')}${stop?.reason ? `: ${printable(stop.reason)}` : ''}`,
      `  targets: ${
        Object.entries(counts)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none started'
      }`,
    ];
    if (targets.length > 0) {
      lines.push(
        `  ${targets.length} target execution${targets.length === 1 ? '' : 's'} stopped; a stack operation one had started is not cancelled, CloudFormation finishes it:`,
        ...targets.map(
          (t) => `    ${printable(t.target)}${t.lastState ? ` (was at "${printable(t.lastState)}")` : ''}`,
        ),
      );
    }
    lines.push(`Execution: ${printable(result.executionArn)}`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCodes.ok;
  } finally {
    await backend.close();
  }
}
