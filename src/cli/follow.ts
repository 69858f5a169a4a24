import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListMapRunsCommand,
} from '@aws-sdk/client-sfn';
import { realNow } from '../sandbox/clock';
import type { Backend } from './backend';
import { type Progress, renderLiveView, type Style } from './render';
import { rolloutFactsFromHistory } from './rollout-phase';
import { isStoppedByStackfleet } from './stop-cause';

/**
 * Follows a rollout execution until it ends, drawing the live view on stderr: redrawn in place on
 * a terminal, one plain line per change when piped. Reads only the Step Functions API, so it works
 * the same on the sandbox and on AWS.
 */
export interface FollowOptions {
  live: boolean;
  stderr: { write(s: string): unknown; isTTY?: boolean };
  style: Style;
  /** Poll interval in backend time (virtual on the sandbox). */
  pollSeconds?: number;
  /** Minimum real milliseconds between redraws. */
  redrawMs?: number;
  /**
   * The outcome counts of the finished rollout (its summary document), so the last line shows the
   * same figures as the summary printed after it. Undefined when there is no summary.
   */
  finalCounts?: () => Promise<Record<string, number> | undefined>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every event of an execution's history (a rollout's own history is small: Map Runs are apart). */
async function historyOf(backend: Backend, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await backend.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000,
        includeExecutionData: true,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Where a rollout stands: the phase and the plan's counts from the rollout's own history
 * (src/cli/rollout-phase.ts), the targets' progress from DescribeMapRun counts, and a few target
 * executions of `targetStateMachineArn`, the per-target machine of the rollout's mode. Targets the
 * plan skipped count as done (SKIPPED), as the summary counts them.
 */
export async function readProgress(
  backend: Backend,
  targetStateMachineArn: string,
  executionArn: string,
  startedAt: number,
  rolloutShortName: string,
): Promise<Progress> {
  const facts = rolloutFactsFromHistory(await historyOf(backend, executionArn));
  const progress: Progress = {
    total: 0,
    done: 0,
    failed: 0,
    running: 0,
    counts: {},
    inProgress: [],
    recentFailures: [],
    elapsedSeconds: Math.max(0, (backend.now() - startedAt) / 1000),
    phase: facts.phase,
  };
  const add = (key: string, n: number | undefined) => {
    if (n) progress.counts[key] = (progress.counts[key] ?? 0) + n;
  };
  let mapTotal = 0;
  const runs = await backend.sfn.send(new ListMapRunsCommand({ executionArn }));
  for (const run of runs.mapRuns ?? []) {
    const d = await backend.sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }));
    const c = d.itemCounts;
    if (!c) continue;
    mapTotal += c.total ?? 0;
    progress.done += (c.succeeded ?? 0) + (c.failed ?? 0) + (c.aborted ?? 0) + (c.timedOut ?? 0);
    progress.failed += (c.failed ?? 0) + (c.timedOut ?? 0);
    progress.running += c.running ?? 0;
    add('SUCCEEDED', c.succeeded);
    add('FAILED', (c.failed ?? 0) + (c.timedOut ?? 0));
    add('ABORTED', c.aborted);
  }
  if (facts.plan?.graph) {
    // The stacks form's map items are lanes: the line counts lanes throughout (the summary, at the
    // end, counts targets and stacks), and skipped targets, which have no lanes, apart.
    const { targetCount, canaryCount, skippedCount } = facts.plan;
    progress.unit = 'lanes';
    progress.total = Math.max(mapTotal, targetCount + canaryCount);
    if (skippedCount > 0) progress.skippedTargets = skippedCount;
  } else if (facts.plan) {
    const { targetCount, canaryCount, skippedCount } = facts.plan;
    progress.total = Math.max(mapTotal, targetCount + canaryCount) + skippedCount;
    progress.done += skippedCount;
    add('SKIPPED', skippedCount);
  } else {
    progress.total = mapTotal;
  }
  if (progress.running > 0) {
    const running = await backend.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: targetStateMachineArn,
        statusFilter: 'RUNNING',
        maxResults: 50,
      }),
    );
    progress.inProgress = (running.executions ?? [])
      .map((e) => e.name ?? '')
      .filter((n) => n.endsWith(rolloutShortName))
      .map((n) => targetLabel(n, rolloutShortName));
  }
  if (progress.failed > 0) {
    const failed = await backend.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: targetStateMachineArn,
        statusFilter: 'FAILED',
        maxResults: 50,
      }),
    );
    progress.recentFailures = (failed.executions ?? [])
      .map((e) => e.name ?? '')
      .filter((n) => n.endsWith(rolloutShortName))
      .map((n) => targetLabel(n, rolloutShortName));
  }
  return progress;
}

/** `111122223333-eu-west-1-<short>` -> `111122223333/eu-west-1`. */
export function targetLabel(executionName: string, rolloutShortName: string): string {
  const base = executionName.endsWith(`-${rolloutShortName}`)
    ? executionName.slice(0, -(rolloutShortName.length + 1))
    : executionName;
  const dash = base.indexOf('-');
  return dash > 0 ? `${base.slice(0, dash)}/${base.slice(dash + 1)}` : base;
}

export async function followExecution(
  backend: Backend,
  targetStateMachineArn: string,
  executionArn: string,
  rolloutShortName: string,
  options: FollowOptions,
): Promise<DescribeExecutionCommandOutput> {
  const pollMs = (options.pollSeconds ?? (backend.simulated ? 15 : 5)) * 1000;
  const redrawMs = options.redrawMs ?? 150;
  let lastDraw = 0;
  let lastPlain = '';
  let drawnLines = 0;
  const tty = Boolean(options.stderr.isTTY);
  const draw = (p: Progress, force = false) => {
    if (!options.live) return;
    const lines = renderLiveView(p, options.style);
    if (tty) {
      if (!force && realNow() - lastDraw < redrawMs) return;
      lastDraw = realNow();
      const clear = drawnLines > 0 ? `\u001b[${drawnLines}F\u001b[J` : '';
      options.stderr.write(`${clear}${lines.join('\n')}\n`);
      drawnLines = lines.length;
    } else {
      // Plain lines: only when something other than the clock changed.
      const key = `${p.done}/${p.total} ${p.running} ${p.failed} ${p.phase}`;
      if (key === lastPlain && !force) return;
      lastPlain = key;
      options.stderr.write(`${lines[0]}\n`);
    }
  };
  let startedAt = backend.now();
  for (;;) {
    const d = await backend.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.startDate) startedAt = d.startDate.getTime();
    const progress = await readProgress(
      backend,
      targetStateMachineArn,
      executionArn,
      startedAt,
      rolloutShortName,
    );
    if (d.status !== 'RUNNING') {
      if (d.stopDate) progress.elapsedSeconds = (d.stopDate.getTime() - startedAt) / 1000;
      progress.phase = isStoppedByStackfleet(d) ? 'STOPPED' : (d.status ?? 'done');
      progress.running = 0;
      progress.inProgress = [];
      // The summary's counts are per target, or in the stacks form per (target, stack): the stacks
      // form's line keeps counting lanes, as it did while the rollout ran.
      const counts = progress.unit === 'lanes' ? undefined : await options.finalCounts?.();
      if (counts && Object.keys(counts).length > 0) {
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        progress.counts = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
        progress.total = total;
        progress.done = total;
        progress.failed = counts.FAILED ?? 0;
      }
      draw(progress, true);
      return d;
    }
    draw(progress);
    await sleep(pollMs);
  }
}
