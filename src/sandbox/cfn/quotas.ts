/**
 * CloudFormation's per-account, per-region quota on resources in concurrent stack operations
 * (AWS CloudFormation User Guide, "Understand CloudFormation quotas": "Resources in concurrent
 * stack operations: maximum number of resources you can have involved in stack operations
 * (create, update, or delete operations) in your region at a given time"; the account's value is
 * DescribeAccountLimits' ConcurrentResourcesLimit). Past it CloudFormation refuses the operation
 * with LimitExceededException, so a rollout that runs too many of a target's stacks at once
 * fails there; the scenario's `cloudFormationQuotas` sets the limits a test needs.
 */
import { AwsError, type SandboxWorld } from '../types';
import type { OperationRecord, StackRecord, TargetState } from './state';

/** Defaults: the values DescribeAccountLimits reports for a new account (AWS CLI reference, describe-account-limits example: 2,500 concurrent resources; the quotas page: 2,000 stacks, 200 outputs per template). */
export const DEFAULT_CLOUDFORMATION_QUOTAS = {
  concurrentResources: 2500,
  stacks: 2000,
  stackOutputs: 200,
} as const;

/** One account's quotas: the scenario's (that account's own, else everyone's), defaults for the rest. */
export function cloudFormationQuotas(
  world: SandboxWorld,
  accountId: string,
): Record<keyof typeof DEFAULT_CLOUDFORMATION_QUOTAS, number> {
  const scenario = world.scenario.cloudFormationQuotas ?? {};
  return {
    ...DEFAULT_CLOUDFORMATION_QUOTAS,
    concurrentResources:
      scenario.concurrentResourcesByAccount?.[accountId] ??
      scenario.concurrentResources ??
      DEFAULT_CLOUDFORMATION_QUOTAS.concurrentResources,
  };
}

/** Resources an operation's events name (its `res` lines). */
export function operationResourceCount(op: Pick<OperationRecord, 'res'>): number {
  return op.res === '' ? 0 : op.res.split('\n').length;
}

/** Resources involved in operations still running at `now` in one account and region. */
export function resourcesInFlight(target: TargetState, now: number, except?: StackRecord): number {
  let count = 0;
  for (const stack of Object.values(target.stacks)) {
    if (stack === except) continue;
    const op = stack.ops[stack.ops.length - 1];
    if (op && op.startedAt <= now && now < op.endAt) count += operationResourceCount(op);
  }
  return count;
}

/**
 * Refuses to start `op` on `stack` when the resources it involves, with those of operations still
 * running in the account and region, exceed the quota. The message is the sandbox's own: it names
 * the quota and the counts.
 */
export function admitOperation(
  env: { world: SandboxWorld; target: TargetState; now: number; accountId: string; region: string },
  stack: StackRecord,
  op: Pick<OperationRecord, 'res'>,
): void {
  const limit = cloudFormationQuotas(env.world, env.accountId).concurrentResources;
  const running = resourcesInFlight(env.target, env.now, stack);
  const mine = operationResourceCount(op);
  if (running + mine > limit) {
    throw new AwsError(
      'LimitExceededException',
      `Limit exceeded for resources in concurrent stack operations in account ${env.accountId} region ${env.region}: ${running} resources are in stack operations and this one involves ${mine}, over the limit of ${limit} (ConcurrentResourcesLimit).`,
      400,
    );
  }
}

/** DescribeAccountLimits: the account's quotas in this region (API reference, AccountLimit names). */
export function describeAccountLimits(env: {
  world: SandboxWorld;
  accountId: string;
}): Record<string, unknown> {
  const quotas = cloudFormationQuotas(env.world, env.accountId);
  return {
    AccountLimits: [
      { Name: 'StackLimit', Value: quotas.stacks },
      { Name: 'StackOutputsLimit', Value: quotas.stackOutputs },
      { Name: 'ConcurrentResourcesLimit', Value: quotas.concurrentResources },
    ],
  };
}
