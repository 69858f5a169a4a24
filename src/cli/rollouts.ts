import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  ListMapRunsCommand,
} from '@aws-sdk/client-sfn';
import { isRolloutMode, type RolloutMode } from '../core/rollout-input';
import type { AdminResources, Backend } from './backend';
import { CliError, ExitCodes } from './exit-codes';

/**
 * Rollouts as the Step Functions API shows them: the executions of the rollout state machine
 * (ListExecutions lists newest first), one per rollout id. Shared by status, list, stop and ui,
 * so all of them find a rollout the same way on AWS, a served sandbox and the local engine.
 */

/** Up to `max` rollouts, newest first. */
export async function listRolloutExecutions(
  backend: Backend,
  admin: AdminResources,
  max: number,
): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backend.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: admin.rolloutStateMachineArn,
        nextToken,
        maxResults: Math.min(100, max - out.length),
      }),
    );
    out.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && out.length < max);
  return out.slice(0, max);
}

/** The execution ARN of the rollout named `rolloutId` (exit 2 naming it when there is none). */
export async function findRollout(
  backend: Backend,
  admin: AdminResources,
  rolloutId: string,
): Promise<string> {
  let nextToken: string | undefined;
  do {
    const page = await backend.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: admin.rolloutStateMachineArn,
        nextToken,
        maxResults: 100,
      }),
    );
    const found = page.executions?.find((e) => e.name === rolloutId);
    if (found?.executionArn) return found.executionArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new CliError(
    `no rollout named ${JSON.stringify(rolloutId)} on ${backend.description} (\`stackfleet list\` shows the rollouts there)`,
    ExitCodes.badInput,
  );
}

/** The newest rollout's execution ARN, or undefined when none ran yet. */
export async function latestRollout(backend: Backend, admin: AdminResources): Promise<string | undefined> {
  return (await listRolloutExecutions(backend, admin, 1))[0]?.executionArn;
}

/** The rollout's mode, from its input (a refused request may carry none: deploy). */
export function modeOf(execution: DescribeExecutionCommandOutput): RolloutMode {
  try {
    const input = JSON.parse(execution.input ?? '{}') as { mode?: unknown };
    return isRolloutMode(input.mode) ? input.mode : 'deploy';
  } catch {
    return 'deploy';
  }
}

export async function describeRollout(backend: Backend, executionArn: string) {
  return backend.sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/**
 * The targets' counts by execution status from the rollout's Map Runs (DescribeMapRun
 * itemCounts), for a rollout that wrote no summary (it was stopped): SUCCEEDED, FAILED (timed out
 * included), ABORTED (stopped: MapRunExecutionCounts `aborted`, "stopped by the user or by Step
 * Functions because the Map Run failed"), RUNNING and PENDING.
 */
export async function mapRunCounts(backend: Backend, executionArn: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const add = (key: string, n: number | undefined) => {
    if (n) counts[key] = (counts[key] ?? 0) + n;
  };
  const runs = await backend.sfn.send(new ListMapRunsCommand({ executionArn }));
  for (const run of runs.mapRuns ?? []) {
    const c = (await backend.sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }))).itemCounts;
    if (!c) continue;
    add('SUCCEEDED', c.succeeded);
    add('FAILED', (c.failed ?? 0) + (c.timedOut ?? 0));
    add('ABORTED', c.aborted);
    add('RUNNING', c.running);
    add('PENDING', c.pending);
  }
  return counts;
}
