/**
 * What both benchmarks read back from a finished run (scripts/bench.ts and bench/graph-run.ts):
 * every stack's time from the sandbox's CloudFormation state, how late each stack's end was
 * noticed, and the rollouts run one after another with their figures added up.
 */

import type { StoredExecution } from '../../src/engine/types';
import { cfnSection } from '../../src/sandbox/cfn/state';
import type { SandboxHarness } from '../../test/helpers/sandbox-harness';

/** One stack in one target, as the sandbox ran it. */
export interface StackTime {
  accountId: string;
  region: string;
  stackName: string;
  /** Seconds of all its operations. */
  seconds: number;
  /** Milliseconds (virtual clock) its first operation started and its last ended. */
  startedAt: number;
  endAt: number;
}

/** Every stack among `stackNames` in every target, from the sandbox's CloudFormation state. */
export function stackTimesOf(
  h: SandboxHarness,
  stackNames: ReadonlySet<string>,
  sinceMs = Number.NEGATIVE_INFINITY,
): StackTime[] {
  const out: StackTime[] = [];
  for (const [key, target] of Object.entries(cfnSection(h.sandbox.world).targets)) {
    const [accountId, region] = key.split('/') as [string, string];
    for (const stack of Object.values(target.stacks)) {
      if (!stackNames.has(stack.stackName)) continue;
      let ms = 0;
      let endAt = 0;
      const ops = stack.ops.filter((op) => op.startedAt >= sinceMs);
      if (ops.length === 0) continue;
      for (const op of ops) {
        ms += op.endAt - op.startedAt;
        endAt = Math.max(endAt, op.endAt);
      }
      out.push({
        accountId,
        region,
        stackName: stack.stackName,
        seconds: ms / 1000,
        startedAt: ops[0]?.startedAt ?? 0,
        endAt,
      });
    }
  }
  return out;
}

/**
 * Seconds between each stack's end and the end of the per-stack execution that deployed it (one
 * of `machineArns`): the time its slot stays taken after the work is done, which is what pushes a
 * makespan above its bound. A stack deployed by several executions counts the last.
 */
export function noticeLagSeconds(
  h: SandboxHarness,
  machineArns: ReadonlySet<string>,
  times: readonly StackTime[],
): number[] {
  const endAt = new Map(times.map((t) => [`${t.accountId}/${t.region}/${t.stackName}`, t.endAt]));
  const stoppedAt = new Map<string, number>();
  for (const e of Object.values(h.engine.store.executions as Record<string, StoredExecution>)) {
    if (!machineArns.has(e.stateMachineArn) || e.stopDate === undefined) continue;
    const input = JSON.parse(e.input) as { accountId?: string; region?: string; stackName?: string };
    const key = `${input.accountId}/${input.region}/${input.stackName}`;
    if (endAt.has(key)) stoppedAt.set(key, Math.max(stoppedAt.get(key) ?? 0, e.stopDate));
  }
  return [...stoppedAt].map(([key, stop]) => (stop - (endAt.get(key) as number)) / 1000);
}

/** Figures of rollouts run one after another: simulated and wall time add up, the parent's history is the largest. */
export interface SequenceFigures {
  makespanSeconds: number;
  wallMs: number;
  cpuMs: number;
  parentHistoryEvents: number;
  status: string;
}

/**
 * Runs the rollouts one after another (each to its end before the next starts, as batches or
 * stages do) and adds up their figures; a rollout that does not succeed is reported on stderr.
 */
export async function runInSequence(
  h: SandboxHarness,
  stateMachineArn: string,
  inputs: ReadonlyArray<{ input: Record<string, unknown>; name?: string; label: string }>,
  progress?: (index: number) => void,
): Promise<SequenceFigures> {
  const out = { makespanSeconds: 0, wallMs: 0, cpuMs: 0, parentHistoryEvents: 0 };
  const statuses = new Set<string>();
  for (const [i, { input, name, label }] of inputs.entries()) {
    progress?.(i);
    const run = await h.run(stateMachineArn, input, name);
    out.makespanSeconds += run.metrics.simulatedSeconds;
    out.wallMs += run.metrics.wallMs;
    out.cpuMs += run.metrics.cpuMs;
    out.parentHistoryEvents = Math.max(out.parentHistoryEvents, run.metrics.parentHistoryEvents);
    statuses.add(run.status);
    if (run.status !== 'SUCCEEDED')
      process.stderr.write(`bench: ${label} ended ${run.status}: ${run.error ?? ''} ${run.cause ?? ''}\n`);
  }
  return { ...out, status: [...statuses].join('+') };
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A right-aligned text table. */
export function textTable(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  return `${fmt(header)}\n${lines.map(fmt).join('\n')}\n`;
}
