/**
 * Read-only views of the sandbox CloudFormation world for tools that look at every target at
 * once (the CLI's `sandbox` commands, the UI, benchmarks) without an API call per target.
 */
import type { SandboxWorld } from '../types';
import { seedPreexistingStacks } from './faults';
import { cfnSection, emptySection, settleStack, stackStatusAt } from './state';

export interface SandboxStackSummary {
  accountId: string;
  region: string;
  stackName: string;
  stackId: string;
  status: string;
  reason?: string;
  createdAt: number;
  lastUpdatedAt?: number;
  /** Value of the `stackfleet:template-version` tag or any tag asked for, when present. */
  tags: Record<string, string>;
  driftStatus: string;
}

/** Every stack of every account and region (deleted ones with `includeDeleted`), as of the world's now. */
export function listSandboxStacks(
  world: SandboxWorld,
  options: { includeDeleted?: boolean } = {},
): SandboxStackSummary[] {
  const section = cfnSection(world, () => {
    const s = emptySection();
    seedPreexistingStacks(s, world);
    return s;
  });
  const now = world.now();
  const out: SandboxStackSummary[] = [];
  for (const target of Object.values(section.targets)) {
    for (const stack of Object.values(target.stacks)) {
      settleStack(target, stack, now, world);
      const { status, reason } = stackStatusAt(stack, now);
      if (status === 'DELETE_COMPLETE' && !options.includeDeleted) continue;
      const config =
        (stack.pending && now < stack.pending.at ? stack.pending.config : undefined) ?? stack.config;
      const summary: SandboxStackSummary = {
        accountId: stack.accountId,
        region: stack.region,
        stackName: stack.stackName,
        stackId: stack.stackId,
        status,
        createdAt: stack.createdAt,
        tags: Object.fromEntries(config.tags.map((t) => [t.Key, t.Value])),
        driftStatus: stack.drift.status,
      };
      if (reason !== undefined) summary.reason = reason;
      if (stack.lastUpdatedAt !== undefined) summary.lastUpdatedAt = stack.lastUpdatedAt;
      out.push(summary);
    }
  }
  return out.sort((a, b) =>
    a.accountId === b.accountId
      ? a.region === b.region
        ? a.stackName.localeCompare(b.stackName)
        : a.region.localeCompare(b.region)
      : a.accountId.localeCompare(b.accountId),
  );
}

/** How many stacks are in each status (for progress lines and benchmark summaries). */
export function countStacksByStatus(world: SandboxWorld): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of listSandboxStacks(world)) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return counts;
}
