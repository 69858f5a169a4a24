import { InvalidInputError } from './errors';
import { targetExecutionName } from './execution-name';
import { type PlannedLane, planLanes, stackAccounts } from './graph-plan';
import {
  ALL_ENABLED_REGIONS,
  type FailureTolerance,
  isStackGraph,
  type RolloutInput,
  type SingleStackRollout,
  type TargetSelection,
} from './rollout-input';
import type { StackSpec } from './stack-graph';

/**
 * Pure target resolution: which account x region pairs a rollout reaches, with which parameters and
 * under which execution name. The plan-targets function gathers the facts (Organizations, EC2
 * DescribeRegions) and this module decides, so every rule is testable without AWS.
 */

/** What the planner needs to know about the organisation (only the subtrees the rollout selects). */
export interface OrganizationView {
  managementAccountId: string;
  /** Every account of the organisation with its status (ACTIVE, SUSPENDED, PENDING_CLOSURE, ...). */
  accounts: Array<{ id: string; status: string; name?: string }>;
  /** Children of each walked parent (root or OU id): direct child OUs and direct member accounts. */
  children: Record<string, { organizationalUnits: string[]; accounts: string[] }>;
}

/** Which regions exist and which are enabled where. */
export interface RegionView {
  /** Every region of the partition (empty when unknown: then explicit regions are not checked). */
  allRegions: string[];
  /** Regions enabled in every account (DescribeRegions `opt-in-not-required`). */
  defaultRegions: string[];
  /**
   * Regions enabled per account, for accounts that were asked. Accounts missing here were either not
   * asked (no opt-in region in play) or could not be asked (see `unreachableAccounts`).
   */
  enabledByAccount: Record<string, string[]>;
  /** Accounts whose execution role could not be assumed to ask, with the reason. */
  unreachableAccounts: Record<string, string>;
}

/** One line of targets.jsonl / canaries.jsonl: everything per-target a child needs. */
export interface PlannedTarget {
  accountId: string;
  region: string;
  parameters: Record<string, string>;
  executionName: string;
}

/** One line of skipped.jsonl. */
export interface SkippedTarget {
  accountId: string;
  /** `*` when a whole account is skipped before its regions are known. */
  region: string;
  outcome: 'SKIPPED';
  reason: string;
}

export interface ResolvedAccounts {
  /** Accounts to deploy to, sorted. */
  accountIds: string[];
  /** Selected accounts that are not ACTIVE, with their status. */
  inactive: Array<{ accountId: string; status: string }>;
}

export interface RolloutPlan {
  /** Targets deployed by the main fan-out (canaries excluded), sorted by account then region. */
  targets: PlannedTarget[];
  canaries: PlannedTarget[];
  skipped: SkippedTarget[];
  /** The stacks form: each target's lanes (the fan-outs' items), in the order of `targets`/`canaries`. */
  graph?: { targets: PlannedLane[][]; canaries: PlannedLane[][] };
}

function byAccountThenRegion(
  a: { accountId: string; region: string },
  b: { accountId: string; region: string },
): number {
  return a.accountId === b.accountId
    ? a.region.localeCompare(b.region)
    : a.accountId.localeCompare(b.accountId);
}

/** Every account below an OU (or the root), depth first, including nested OUs. */
export function accountsUnder(parentId: string, org: OrganizationView, field: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const stack = [parentId];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    const node = org.children[current];
    if (!node) {
      throw new InvalidInputError(
        field,
        `${field} must be an OU or root of the organisation. Received: ${current}`,
      );
    }
    out.push(...node.accounts);
    stack.push(...node.organizationalUnits);
  }
  return out;
}

/**
 * The accounts a selection reaches: explicit ids plus every account under the selected OUs (nested
 * OUs included), minus exclusions, de-duplicated. The management account is left out unless
 * `includeManagementAccount` (then it is added); accounts that are not ACTIVE (SUSPENDED, closing) are
 * reported, not targeted.
 */
export function resolveAccounts(selection: TargetSelection, org: OrganizationView): ResolvedAccounts {
  const status = new Map(org.accounts.map((a) => [a.id, a.status]));
  const chosen = new Set<string>();
  selection.accounts.forEach((id, index) => {
    const field = `targets.accounts[${index}]`;
    if (!status.has(id)) {
      throw new InvalidInputError(field, `${field} must be an account of the organisation. Received: ${id}`);
    }
    if (id === org.managementAccountId && !selection.includeManagementAccount) {
      throw new InvalidInputError(
        field,
        `${field} is the management account; set targets.includeManagementAccount: true to deploy to it. Received: ${id}`,
      );
    }
    chosen.add(id);
  });
  selection.organizationalUnits.forEach((ou, index) => {
    for (const id of accountsUnder(ou, org, `targets.organizationalUnits[${index}]`)) chosen.add(id);
  });
  if (selection.includeManagementAccount) chosen.add(org.managementAccountId);
  else chosen.delete(org.managementAccountId);
  selection.excludeAccounts.forEach((id, index) => {
    // A mistyped exclusion would leave the account it meant to spare in the rollout.
    if (!status.has(id)) {
      const field = `targets.excludeAccounts[${index}]`;
      throw new InvalidInputError(field, `${field} must be an account of the organisation. Received: ${id}`);
    }
    chosen.delete(id);
  });

  const accountIds: string[] = [];
  const inactive: ResolvedAccounts['inactive'] = [];
  for (const id of [...chosen].sort()) {
    const s = status.get(id) ?? 'UNKNOWN';
    if (s === 'ACTIVE') accountIds.push(id);
    else inactive.push({ accountId: id, status: s });
  }
  return { accountIds, inactive };
}

/** Whether enabled regions must be asked per account: only when an opt-in region may be involved. */
export function needsPerAccountRegions(
  selection: TargetSelection,
  regions: Pick<RegionView, 'defaultRegions'>,
): boolean {
  if (selection.regions === ALL_ENABLED_REGIONS) return true;
  return selection.regions.some((r) => !regions.defaultRegions.includes(r));
}

/** Parameters for one target: the rollout's, then each matching override in order (later wins). */
export function parametersFor(
  input: Pick<SingleStackRollout, 'parameters' | 'parameterOverrides'>,
  accountId: string,
  region: string,
): Record<string, string> {
  let out = { ...input.parameters };
  for (const override of input.parameterOverrides) {
    const accountMatches = override.accounts === undefined || override.accounts.includes(accountId);
    const regionMatches = override.regions === undefined || override.regions.includes(region);
    if (accountMatches && regionMatches) out = { ...out, ...override.parameters };
  }
  return out;
}

/**
 * Turns resolved accounts and region facts into targets, canaries and skipped targets.
 * Explicit regions: each is checked against the account's enabled regions when known; a region not
 * enabled is SKIPPED (not failed). `ALL_ENABLED`: the account's enabled regions; for an account whose
 * role could not be assumed, the regions enabled everywhere (its children then fail with
 * RoleNotAssumable, which is the honest outcome). Exclusions apply last.
 */
export function buildPlan(input: RolloutInput, accounts: ResolvedAccounts, regions: RegionView): RolloutPlan {
  const { targets: selection } = input;
  if (Array.isArray(selection.regions) && regions.allRegions.length > 0) {
    selection.regions.forEach((r, index) => {
      if (!regions.allRegions.includes(r)) {
        const field = `targets.regions[${index}]`;
        throw new InvalidInputError(
          field,
          `${field} must be a region of this partition (${regions.allRegions.join(', ')}). Received: ${r}`,
        );
      }
    });
  }
  if (regions.allRegions.length > 0) {
    // A mistyped exclusion or override region would deploy what it meant to leave out or change.
    const checks: Array<[string, readonly string[]]> = [
      ['targets.excludeRegions', selection.excludeRegions],
      ...overridesOf(input).map(
        ({ field, override }) => [`${field}.regions`, override.regions ?? []] as [string, string[]],
      ),
      // The stacks form: a mistyped stack region would leave the stack out where it was meant to run.
      ...(isStackGraph(input) ? input.stacks : []).map(
        (stack, i) => [`stacks[${i}].regions`, stack.regions ?? []] as [string, string[]],
      ),
    ];
    for (const [base, list] of checks) {
      list.forEach((r, index) => {
        if (regions.allRegions.includes(r)) return;
        const field = `${base}[${index}]`;
        throw new InvalidInputError(
          field,
          `${field} must be a region of this partition (${regions.allRegions.join(', ')}). Received: ${r}`,
        );
      });
    }
  }
  const skipped: SkippedTarget[] = accounts.inactive.map(({ accountId, status }) => ({
    accountId,
    region: '*',
    outcome: 'SKIPPED',
    reason: `Account ${accountId} is ${status}; only ACTIVE accounts are deployed to.`,
  }));
  const all: PlannedTarget[] = [];
  for (const accountId of accounts.accountIds) {
    const enabled = regions.enabledByAccount[accountId];
    const candidates =
      selection.regions === ALL_ENABLED_REGIONS ? (enabled ?? regions.defaultRegions) : selection.regions;
    for (const region of [...new Set(candidates)].sort()) {
      if (selection.excludeRegions.includes(region)) continue;
      if (enabled && !enabled.includes(region)) {
        skipped.push({
          accountId,
          region,
          outcome: 'SKIPPED',
          reason: `Region ${region} is not enabled for account ${accountId} (opt-in region).`,
        });
        continue;
      }
      all.push({
        accountId,
        region,
        // The stacks form: each lane stack gets its own (src/core/graph-plan.ts).
        parameters: isStackGraph(input) ? {} : parametersFor(input, accountId, region),
        executionName: targetExecutionName(accountId, region, input.rolloutId),
      });
    }
  }
  const canaries: PlannedTarget[] = [];
  input.canaries.forEach((canary, index) => {
    const found = all.find((t) => t.accountId === canary.accountId && t.region === canary.region);
    if (!found) {
      const why = skipped.find(
        (s) => s.accountId === canary.accountId && (s.region === canary.region || s.region === '*'),
      );
      const field = `canaries[${index}]`;
      throw new InvalidInputError(
        field,
        `${field} must be one of the rollout's targets${why ? ` (${why.reason})` : ''}. Received: ${canary.accountId} ${canary.region}`,
      );
    }
    canaries.push(found);
  });
  const targets = all.filter((t) => !canaries.includes(t));
  skipped.sort(byAccountThenRegion);
  return { targets, canaries, skipped };
}

/**
 * The whole decision from the facts: the organisation's accounts, the region facts and the
 * request. Every account an override names must exist (a mistyped one would leave the account
 * it meant on the rollout's default parameters). The planner ("Plan targets"), "Validate input"
 * and the CLI all call this one function, so they cannot disagree about a rollout's targets.
 */
export function resolveTargets(
  input: RolloutInput,
  org: OrganizationView,
  regions: RegionView,
  estimate?: (stack: StackSpec, target: PlannedTarget) => number,
): { accounts: ResolvedAccounts; plan: RolloutPlan } {
  const known = new Set(org.accounts.map((a) => a.id));
  for (const { field: base, override } of overridesOf(input)) {
    (override.accounts ?? []).forEach((id, j) => {
      if (known.has(id)) return;
      const field = `${base}.accounts[${j}]`;
      throw new InvalidInputError(field, `${field} must be an account of the organisation. Received: ${id}`);
    });
  }
  const accounts = resolveAccounts(input.targets, org);
  const plan = buildPlan(input, accounts, regions);
  if (isStackGraph(input)) {
    const narrowed = stackAccounts(input, accounts.accountIds, org, accountsUnder);
    const targets = planLanes(input, plan.targets, narrowed, estimate);
    const canaries = planLanes(input, plan.canaries, narrowed, estimate);
    canaries.skipped.forEach((s) => {
      const index = input.canaries.findIndex((c) => c.accountId === s.accountId && c.region === s.region);
      const field = `canaries[${index}]`;
      throw new InvalidInputError(
        field,
        `${field} must run at least one stack. Received: ${s.accountId} ${s.region}`,
      );
    });
    const run = new Set(targets.lanes.map((l) => key(l[0] as PlannedLane)));
    plan.targets = plan.targets.filter((t) => run.has(key(t)));
    plan.skipped = [...plan.skipped, ...targets.skipped].sort(byAccountThenRegion);
    plan.graph = { targets: targets.lanes, canaries: canaries.lanes };
  }
  return { accounts, plan };
}

const key = (t: { accountId: string; region: string }) => `${t.accountId}/${t.region}`;

/** Every parameter override of the request with its field (the stacks form: each stack's). */
function overridesOf(input: RolloutInput) {
  if (!isStackGraph(input))
    return input.parameterOverrides.map((override, i) => ({ field: `parameterOverrides[${i}]`, override }));
  return input.stacks.flatMap((stack, s) =>
    stack.parameterOverrides.map((override, i) => ({
      field: `stacks[${s}].parameterOverrides[${i}]`,
      override,
    })),
  );
}

/**
 * Distributed Map tolerance fields from the request. AWS fails the Map Run when either threshold is
 * exceeded, so the unused one is set to a value that can never trip: 100 % for a count, the number of
 * targets for a percentage.
 */
export function toleranceFor(
  tolerance: FailureTolerance,
  targetCount: number,
): { toleratedFailureCount: number; toleratedFailurePercentage: number } {
  if ('count' in tolerance)
    return { toleratedFailureCount: tolerance.count, toleratedFailurePercentage: 100 };
  return { toleratedFailureCount: targetCount, toleratedFailurePercentage: tolerance.percent };
}

/** What the fan-outs of a rollout run, and their Distributed Map tolerance. */
export interface FanOut {
  targets: PlannedTarget[];
  canaries: PlannedTarget[];
  /** The stacks form: the fan-outs' items are lanes (each target's, in target order). */
  lanes?: { targets: PlannedLane[][]; canaries: PlannedLane[][] };
  toleratedFailureCount: number;
  toleratedFailurePercentage: number;
}

/** The items each fan-out reads from S3: targets, or (the stacks form) every target's lanes. */
export function fanOutItems(fanOut: FanOut): { targets: unknown[]; canaries: unknown[] } {
  if (!fanOut.lanes) return { targets: fanOut.targets, canaries: fanOut.canaries };
  return { targets: fanOut.lanes.targets.flat(), canaries: fanOut.lanes.canaries.flat() };
}

/**
 * The fan-outs of a plan. A preview changes nothing, so nothing is gained by stopping it: it has
 * no canary phase (canaries are previewed with the rest) and no failure tolerance (the Map Run
 * never fails for failed targets), so every target is previewed and the summary says which could
 * not be. Other modes deploy canaries first and stop past the request's tolerance.
 */
export function fanOutFor(input: Pick<RolloutInput, 'mode' | 'failureTolerance'>, plan: RolloutPlan): FanOut {
  const graph = plan.graph;
  if (input.mode === 'preview') {
    const targets = [...plan.canaries, ...plan.targets].sort(byAccountThenRegion);
    const lanes = graph && {
      targets: [...graph.canaries, ...graph.targets].sort((a, b) =>
        byAccountThenRegion(a[0] as PlannedLane, b[0] as PlannedLane),
      ),
      canaries: [],
    };
    const items = lanes ? lanes.targets.flat().length : targets.length;
    return {
      targets,
      canaries: [],
      ...(lanes ? { lanes } : {}),
      toleratedFailureCount: items,
      toleratedFailurePercentage: 100,
    };
  }
  // The Map counts failed items: targets, or in the stacks form lanes (a lane fails when one of its stacks fails).
  const items = graph ? graph.targets.flat().length : plan.targets.length;
  return {
    targets: plan.targets,
    canaries: plan.canaries,
    ...(graph ? { lanes: { targets: graph.targets, canaries: graph.canaries } } : {}),
    ...toleranceFor(input.failureTolerance, items),
  };
}

/** S3 keys of one rollout's files in the artifact bucket. */
export function rolloutKeys(rolloutId: string) {
  const base = `rollouts/${rolloutId}`;
  return {
    targetsKey: `${base}/targets.jsonl`,
    canariesKey: `${base}/canaries.jsonl`,
    skippedKey: `${base}/skipped.jsonl`,
    /** ResultWriter prefix of the main fan-out; AWS writes `<prefix>/<mapRunId>/manifest.json`. */
    resultsPrefix: `${base}/results`,
    canaryResultsPrefix: `${base}/canary-results`,
    summaryKey: `${base}/summary.json`,
    /** The stacks form: results of stacks another lane waits for, `<prefix>/<account>/<region>/<stack>.json`. */
    stackResultsPrefix: `${base}/stack-results`,
    /** Which execution owns this rollout id; a second execution with the same id is refused. */
    executionKey: `${base}/execution.json`,
  } as const;
}

/** JSON Lines: one compact JSON document per line, newline-terminated (empty string for no items). */
export function toJsonLines(items: readonly unknown[]): string {
  return items.map((item) => `${JSON.stringify(item)}\n`).join('');
}

/** Parses JSON Lines, ignoring blank lines. */
export function parseJsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

/**
 * Longest expected first: a Distributed Map starts items in manifest order, and with limited
 * concurrency starting the long stacks last leaves a tail where a few slow targets run alone
 * (the benchmark measured 1.30x the makespan lower bound in plan order, 1.01x longest-first).
 * Stable, so targets with equal estimates keep the plan's account/region order.
 */
export function orderLongestFirst<T>(targets: readonly T[], expectedSeconds: (target: T) => number): T[] {
  return targets
    .map((target, index) => ({ target, index, seconds: expectedSeconds(target) }))
    .sort((a, b) => b.seconds - a.seconds || a.index - b.index)
    .map((x) => x.target);
}
