import { InvalidInputError } from './errors';
import { laneExecutionName, stackExecutionName } from './execution-name';
import type { OrganizationView, PlannedTarget, SkippedTarget } from './plan';
import type { StackGraphRollout } from './rollout-input';
import { buildLanes, laneIndex, type StackSpec } from './stack-graph';

/**
 * Planning the stacks form: which of the rollout's stacks each target runs (a stack's `targets`
 * and `regions` narrow the rollout's), with which parameters, split into lanes (one item of the
 * fan-out each). Refuses, naming the field, what the graph cannot do in some target: a stack
 * reading the outputs of a dependency that does not run there. A `dependsOn` on a stack a target
 * does not run only orders where both run.
 */

/** One stack of a lane, as written to the manifest. */
export interface PlannedLaneStack {
  name: string;
  /** Literal parameters for this target (the stack's, then its matching overrides). */
  parameters: Record<string, string>;
  /** Dependencies in other lanes of this target: their results are read from S3 before starting. */
  waitFor: string[];
  /** Whether a stack in another lane waits for this one (then its result is written to S3). */
  announce: boolean;
  /** The name of this stack's execution of the mode's per-stack state machine. */
  executionName: string;
}

/** One line of targets.jsonl / canaries.jsonl in the stacks form: one lane of one target. */
export interface PlannedLane {
  accountId: string;
  region: string;
  /** The lane walker's execution name. */
  executionName: string;
  lane: { index: number; count: number; stacks: PlannedLaneStack[] };
}

/** Parameters for one target: the stack's own, then each matching override in order (later wins). */
export function stackParametersFor(
  stack: Pick<StackSpec, 'parameters' | 'parameterOverrides'>,
  accountId: string,
  region: string,
): Record<string, string> {
  let out = { ...stack.parameters };
  for (const override of stack.parameterOverrides) {
    const accountMatches = override.accounts === undefined || override.accounts.includes(accountId);
    const regionMatches = override.regions === undefined || override.regions.includes(region);
    if (accountMatches && regionMatches) out = { ...out, ...override.parameters };
  }
  return out;
}

/**
 * The accounts each narrowed stack may run in (undefined: every account of the rollout).
 * `accountsUnder` is the planner's OU walk. A stack's targets only narrow: an account it names
 * that the rollout does not reach is refused.
 */
export function stackAccounts(
  input: StackGraphRollout,
  rolloutAccounts: readonly string[],
  org: OrganizationView,
  accountsUnder: (ou: string, org: OrganizationView, field: string) => string[],
): Map<string, Set<string> | undefined> {
  const reached = new Set(rolloutAccounts);
  const out = new Map<string, Set<string> | undefined>();
  input.stacks.forEach((stack, i) => {
    const narrowing = stack.targets;
    if (!narrowing) {
      out.set(stack.name, undefined);
      return;
    }
    const chosen = new Set<string>();
    const named = narrowing.accounts !== undefined || narrowing.organizationalUnits !== undefined;
    (narrowing.accounts ?? []).forEach((id, j) => {
      const field = `stacks[${i}].targets.accounts[${j}]`;
      if (!reached.has(id)) {
        throw new InvalidInputError(
          field,
          `${field} must be one of the rollout's accounts: a stack's targets only narrow the rollout's targets. Received: ${id}`,
        );
      }
      chosen.add(id);
    });
    (narrowing.organizationalUnits ?? []).forEach((ou, j) => {
      for (const id of accountsUnder(ou, org, `stacks[${i}].targets.organizationalUnits[${j}]`))
        if (reached.has(id)) chosen.add(id);
    });
    if (!named) for (const id of reached) chosen.add(id);
    for (const id of narrowing.excludeAccounts ?? []) chosen.delete(id);
    out.set(stack.name, chosen);
  });
  return out;
}

/** The stacks of the rollout that run in one target, in request order. */
export function stacksInTarget(
  input: StackGraphRollout,
  accounts: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  accountId: string,
  region: string,
): StackSpec[] {
  return input.stacks.filter(
    (s) =>
      (s.regions === undefined || s.regions.includes(region)) &&
      (accounts.get(s.name)?.has(accountId) ?? true),
  );
}

/** Refuses a stack that reads outputs of a dependency this target does not run. */
function checkOutputsReachable(
  input: StackGraphRollout,
  present: readonly StackSpec[],
  target: PlannedTarget,
) {
  const here = new Set(present.map((s) => s.name));
  for (const stack of present) {
    for (const [parameter, ref] of Object.entries(stack.outputParameters)) {
      if (here.has(ref.fromStack)) continue;
      const i = input.stacks.findIndex((s) => s.name === stack.name);
      const field = `stacks[${i}].parameters.${parameter}.fromStack`;
      throw new InvalidInputError(
        field,
        `${field} must name a stack that runs wherever ${stack.name} runs: ${stack.name} runs in ${target.accountId} ${target.region}, where ${ref.fromStack} does not (outputs are read in the same account and region). Received: ${ref.fromStack}`,
      );
    }
  }
}

/**
 * The lanes of every target. `seconds` estimates a stack's duration in a target (for balancing
 * lanes); targets that run none of the stacks are skipped with the reason.
 */
export function planLanes(
  input: StackGraphRollout,
  targets: readonly PlannedTarget[],
  accounts: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  seconds: (stack: StackSpec, target: PlannedTarget) => number = () => 1,
): { lanes: PlannedLane[][]; skipped: SkippedTarget[] } {
  const lanes: PlannedLane[][] = [];
  const skipped: SkippedTarget[] = [];
  for (const target of targets) {
    const present = stacksInTarget(input, accounts, target.accountId, target.region);
    if (present.length === 0) {
      skipped.push({
        accountId: target.accountId,
        region: target.region,
        outcome: 'SKIPPED',
        reason: `No stack of the rollout runs in ${target.accountId} ${target.region} (every stack's targets or regions leave it out).`,
      });
      continue;
    }
    checkOutputsReachable(input, present, target);
    const byName = new Map(present.map((s) => [s.name, s]));
    const split = buildLanes(present, input.maxStacksPerTarget, (name) => {
      const s = byName.get(name);
      return s ? seconds(s, target) : 1;
    });
    const where = laneIndex(split);
    const deps = new Map(present.map((s) => [s.name, s.dependsOn.filter((d) => byName.has(d))]));
    lanes.push(
      split.map((lane, index) => ({
        accountId: target.accountId,
        region: target.region,
        executionName: laneExecutionName(target.accountId, target.region, index, input.rolloutId),
        lane: {
          index,
          count: split.length,
          stacks: lane.stacks.map((name) => {
            const spec = byName.get(name) as StackSpec;
            return {
              name,
              parameters: stackParametersFor(spec, target.accountId, target.region),
              waitFor: (deps.get(name) ?? []).filter((d) => where.get(d) !== index),
              announce: present.some(
                (o) => where.get(o.name) !== index && (deps.get(o.name) ?? []).includes(name),
              ),
              executionName: stackExecutionName(target.accountId, target.region, name, input.rolloutId),
            };
          }),
        },
      })),
    );
  }
  return { lanes, skipped };
}

/**
 * Each lane's expected seconds from its start to the end of its target's graph: its own stacks in
 * order, and after each the longest chain of dependants in other lanes (classic list
 * scheduling's "static level"). A lane another lane waits for ranks at least as high as that one,
 * so ordering by rank never starts a lane before a lane it waits for (it could then hold a slot
 * waiting for an item that has none).
 */
export function laneRanks(lanes: readonly PlannedLane[], seconds: (stack: string) => number): number[] {
  const own = new Map<string, number>();
  const dependants = new Map<string, string[]>();
  const laneOf = new Map<string, number>();
  lanes.forEach((lane, i) => {
    for (const s of lane.lane.stacks) {
      own.set(s.name, seconds(s.name));
      laneOf.set(s.name, i);
    }
  });
  lanes.forEach((lane, i) => {
    const stacks = lane.lane.stacks;
    stacks.forEach((s, j) => {
      // The next stack of the lane follows it; other lanes' stacks follow what they wait for.
      const next = stacks[j + 1];
      if (next) dependants.set(s.name, [...(dependants.get(s.name) ?? []), next.name]);
      for (const d of s.waitFor)
        if (laneOf.get(d) !== i) dependants.set(d, [...(dependants.get(d) ?? []), s.name]);
    });
  });
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // lanes cannot wait in a circle (buildLanes); be safe anyway
    visiting.add(name);
    const after = Math.max(0, ...(dependants.get(name) ?? []).map(levelOf));
    visiting.delete(name);
    const out = (own.get(name) ?? 0) + after;
    level.set(name, out);
    return out;
  };
  const ranks = lanes.map((lane) => {
    const first = lane.lane.stacks[0];
    return first ? levelOf(first.name) : 0;
  });
  // A lane waited for must not rank below its waiter (ties keep lane order: the waited-for lane has the lower index).
  for (let i = lanes.length - 1; i >= 0; i--) {
    for (const s of lanes[i]?.lane.stacks ?? []) {
      for (const d of s.waitFor) {
        const j = laneOf.get(d);
        if (j !== undefined && j < i) ranks[j] = Math.max(ranks[j] ?? 0, ranks[i] ?? 0);
      }
    }
  }
  return ranks;
}

/**
 * The fan-out's items, longest expected first, lane by lane rather than target by target: every
 * target's long chain starts before any target's short one, and the short chains fill the slots
 * the long ones free. `seconds` estimates one stack in one target. Stable: equal ranks keep the
 * plan's order (account, region, lane index).
 */
export function orderLanesLongestFirst(
  targets: readonly PlannedLane[][],
  seconds: (stack: string, target: PlannedLane) => number,
): PlannedLane[] {
  const ranked = targets.flatMap((lanes) => {
    const first = lanes[0];
    const ranks = first ? laneRanks(lanes, (name) => seconds(name, first)) : [];
    return lanes.map((lane, i) => ({ lane, rank: ranks[i] ?? 0 }));
  });
  return ranked
    .map((x, index) => ({ ...x, index }))
    .sort((a, b) => b.rank - a.rank || a.index - b.index)
    .map((x) => x.lane);
}
