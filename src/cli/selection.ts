import type { FanOut, ResolvedAccounts, RolloutPlan, SkippedTarget } from '../core/plan';
import { ALL_ENABLED_REGIONS, type StackGraphRollout, type TargetSelection } from '../core/rollout-input';

/**
 * The lines that say, before anything starts, what a rollout will reach: the selection as asked
 * (and which flags replaced the config's) and as resolved against the organisation, e.g.
 * "29 accounts x 4 regions = 116 targets, 3 skipped: af-south-1 is not enabled in 3 accounts
 * (...)". Pure: computed from the same plan "Plan targets" will write.
 */

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function listed(items: readonly string[], max = 4): string {
  const shown = items.slice(0, max);
  return `${shown.join(', ')}${items.length > max ? `, +${items.length - max} more` : ''}`;
}

/** "accounts 200000000001 (from --accounts); regions us-east-1, eu-west-1; excluding accounts 2000..." */
export function describeSelection(selection: TargetSelection, flagged: Record<string, string> = {}): string {
  const from = (field: string) => (flagged[field] ? ` (from ${flagged[field]})` : '');
  const parts: string[] = [];
  const who: string[] = [];
  if (selection.accounts.length > 0) who.push(`accounts ${listed(selection.accounts)}`);
  if (selection.organizationalUnits.length > 0)
    who.push(`accounts under ${listed(selection.organizationalUnits)}`);
  if (selection.includeManagementAccount) who.push('the management account');
  parts.push(`${who.join(' and ') || 'no accounts'}${from('targets.accounts')}`);
  parts.push(
    `${selection.regions === ALL_ENABLED_REGIONS ? 'every enabled region' : `regions ${listed(selection.regions, 8)}`}${from('targets.regions')}`,
  );
  if (selection.excludeAccounts.length > 0)
    parts.push(`excluding accounts ${listed(selection.excludeAccounts)}${from('targets.excludeAccounts')}`);
  if (selection.excludeRegions.length > 0)
    parts.push(`excluding regions ${listed(selection.excludeRegions)}${from('targets.excludeRegions')}`);
  return `Targets: ${parts.join('; ')}`;
}

/** Skipped targets grouped by why: "af-south-1 is not enabled in 26 accounts (2000..., +22 more)". */
function skippedGroups(skipped: readonly SkippedTarget[]): string[] {
  const groups = new Map<string, string[]>();
  for (const s of skipped) {
    const key = s.region === '*' ? (/ is ([A-Z_]+);/.exec(s.reason)?.[1] ?? 'not ACTIVE') : s.region;
    groups.set(key, [...(groups.get(key) ?? []), s.accountId]);
  }
  return [...groups].map(([key, accounts]) =>
    /^[A-Z_]+$/.test(key) || key === 'not ACTIVE'
      ? `${plural(accounts.length, 'account')} ${key} (${listed(accounts)})`
      : `${key} is not enabled in ${plural(accounts.length, 'account')} (${listed(accounts)})`,
  );
}

/**
 * "Resolved: 29 accounts x 4 regions = 116 targets, 3 skipped", then one line per reason for
 * skipping and per thing the count could not know.
 */
export function describeResolution(
  accounts: ResolvedAccounts,
  plan: RolloutPlan,
  fanOut: FanOut,
  unreachable: Record<string, string>,
): string[] {
  const all = [...fanOut.canaries, ...fanOut.targets];
  const accountCount = new Set(all.map((t) => t.accountId)).size;
  const regionCount = new Set(all.map((t) => t.region)).size;
  const shape =
    accountCount * regionCount === all.length
      ? `${plural(accountCount, 'account')} x ${plural(regionCount, 'region')}`
      : `${plural(accountCount, 'account')} in ${plural(regionCount, 'region')}`;
  const canaries = fanOut.canaries.length > 0 ? ` (${fanOut.canaries.length} canary first)` : '';
  const lines = [
    `Resolved: ${shape} = ${plural(all.length, 'target')}${canaries}, ${plan.skipped.length} skipped`,
  ];
  for (const group of skippedGroups(plan.skipped)) lines.push(`  skipped: ${group}`);
  const unknown = Object.keys(unreachable);
  if (unknown.length > 0) {
    lines.push(
      `  note: enabled regions could not be read in ${plural(unknown.length, 'account')} (${listed(unknown)}); planned on the regions enabled everywhere`,
    );
  }
  const idle = accounts.accountIds.filter((id) => !all.some((t) => t.accountId === id));
  if (idle.length > 0 && idle.length < accounts.accountIds.length) {
    lines.push(`  note: no target in ${plural(idle.length, 'account')} (${listed(idle)})`);
  }
  return lines;
}

/**
 * The stacks form, before anything starts: the graph as chains of dependencies, where stacks are
 * narrowed, and how many of a target's stacks run at once. "Stacks: logging -> config ->
 * detection, account-guard (regions us-east-1); 149 lanes, at most 3 stacks of a target at once".
 */
export function describeGraph(input: StackGraphRollout, fanOut: FanOut): string[] {
  const shown = input.stacks.map((s) => {
    const deps = s.dependsOn.length > 0 ? ` (after ${s.dependsOn.join(', ')})` : '';
    const narrowed = [
      s.regions ? `regions ${listed(s.regions)}` : '',
      s.targets ? 'some accounts' : '',
    ].filter(Boolean);
    return `${s.name}${deps}${narrowed.length > 0 ? ` [${narrowed.join('; ')}]` : ''}`;
  });
  const lanes = [...(fanOut.lanes?.canaries ?? []), ...(fanOut.lanes?.targets ?? [])].flat().length;
  return [
    `Stacks: ${shown.join(', ')}`,
    `  ${plural(lanes, 'lane')} (a target's stacks in dependency order; at most ${input.maxStacksPerTarget} of a target's at once, at most ${input.maxConcurrency} stacks in flight)`,
  ];
}
