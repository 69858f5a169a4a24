import {
  type ChangeGroup,
  changeSeverity,
  describeChange,
  groupChanges,
  type ResourceChange,
} from '../core/changes';
import { DRIFT_FOUND_OUTCOMES } from '../core/drift';
import { printableDeep } from '../core/printable';
import { wrap } from './failures-render';
import type { RolloutReport, Style, TargetReport } from './render';

/** Outcomes of a preview target that was not previewed (its change set could not be made). */
const NOT_PREVIEWED = new Set(['FAILED', 'NOT_STARTED', 'ABORTED', 'TIMED_OUT']);

/** Drift outcomes of a target that differs from the request and was left as found (--no-repair). */
const DIFFERS = new Set(['MISSING', 'OUTDATED', 'INOPERABLE']);

/** How many targets of a preview could not be previewed (the CLI then exits 1). */
export function previewIncomplete(report: Pick<RolloutReport, 'targets'>): number {
  return report.targets.filter((t) => NOT_PREVIEWED.has(t.outcome)).length;
}

/** How many targets of a drift run differed from the request, repaired or not (`--fail-on-drift`). */
export function driftFound(report: Pick<RolloutReport, 'targets'>): number {
  return report.targets.filter((t) => (DRIFT_FOUND_OUTCOMES as readonly string[]).includes(t.outcome)).length;
}

/**
 * The preview summary: identical change lists across targets are grouped, so 312 targets that
 * would all modify the same trail read as one line, and replacements and removals are flagged
 * loudly (a warning at the top and a marker on every such change). Pure: returns a string.
 */

const codes = { red: 31, yellow: 33, gray: 90, bold: 1 } as const;
function paint(style: Style, color: keyof typeof codes, text: string): string {
  return style.color ? `\u001b[${codes[color]}m${text}\u001b[0m` : text;
}

export interface PreviewRenderOptions {
  /** Targets named per group before "+N more". @default 3 */
  readonly namedTargets?: number;
  /** Groups shown before "... and N more groups". @default 20 */
  readonly maxGroups?: number;
}

/** The options with their defaults filled in. */
interface Limits {
  readonly named: number;
  readonly maxGroups: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "  in 111111111111 eu-west-1, 222222222222 eu-west-1, +3 more": the first `named` targets of a group. */
function inTargets(names: readonly string[], named: number): string {
  const more = names.length - named;
  return `  in ${names.slice(0, named).join(', ')}${more > 0 ? `, +${more} more` : ''}`;
}

/** Each parameter the targets take from a stack not deployed yet, once: "BucketName (from logging.BucketName)". */
function pendingSources(targets: readonly TargetReport[]): string {
  return [
    ...new Set(
      targets.flatMap((t) =>
        Object.entries(t.pendingInputs ?? {}).map(([parameter, source]) => `${parameter} (from ${source})`),
      ),
    ),
  ].join(', ');
}

/**
 * One section per stack in the stacks form, in the request's order, each over that stack's
 * targets and titled "<what> of stack <name>" (a target appears once per stack); one section
 * titled `what` otherwise. Sections with nothing to say (an empty string) are left out.
 */
function perStack(
  unsafe: RolloutReport,
  options: PreviewRenderOptions,
  what: string,
  section: (targets: readonly TargetReport[], title: string, limits: Limits) => string,
): string {
  const report = printableDeep(unsafe);
  const limits: Limits = { named: options.namedTargets ?? 3, maxGroups: options.maxGroups ?? 20 };
  if (!report.graph) return section(report.targets, what, limits);
  return report.graph.stacks
    .map((stack) =>
      section(
        report.targets.filter((t) => t.stack === stack),
        `${what} of stack ${stack}`,
        limits,
      ),
    )
    .filter((text) => text !== '')
    .join('\n');
}

function marker(change: ResourceChange, style: Style): string {
  switch (changeSeverity(change)) {
    case 'removal':
      return paint(style, 'red', '!! REMOVAL     ');
    case 'replacement':
      return paint(style, 'red', '!! REPLACEMENT ');
    case 'conditional':
      return paint(style, 'yellow', '!  MAY REPLACE ');
    default:
      return '               ';
  }
}

/**
 * The grouped preview for a finished preview rollout: a warning line per dangerous kind, then each
 * group of targets with identical changes ("312 targets: Modify AWS::CloudTrail::Trail Trail (no
 * replacement)"), most dangerous first. Empty when the report holds no target with changes.
 */
export function renderPreview(
  unsafe: RolloutReport,
  style: Style,
  options: PreviewRenderOptions = {},
): string {
  return perStack(unsafe, options, 'Preview', (targets, title, limits) =>
    renderPreviewOf(targets, style, title, limits),
  );
}

/**
 * Parameters a group's targets take from a dependency that would change or be created: their
 * values are known only once it is deployed, so they read `(from logging.BucketName)`.
 */
function pendingLine(group: ChangeGroup, byTarget: Map<string, TargetReport>): string | undefined {
  const pending = new Map<string, string>();
  for (const t of group.targets) {
    for (const [parameter, source] of Object.entries(
      byTarget.get(`${t.accountId} ${t.region}`)?.pendingInputs ?? {},
    ))
      pending.set(parameter, source);
  }
  if (pending.size === 0) return undefined;
  const shown = [...pending].map(([parameter, source]) => `${parameter} (from ${source})`).join(', ');
  return `  parameters known once their stack is deployed: ${shown}`;
}

function renderPreviewOf(
  list: readonly TargetReport[],
  style: Style,
  title: string,
  { named, maxGroups }: Limits,
): string {
  const byTarget = new Map(list.map((t) => [`${t.accountId} ${t.region}`, t]));
  const targets = list.map((t) => {
    // summary.json carries the exact count when a long list was cut; the report may pass it on.
    const count = (t as TargetReport & { changeCount?: unknown }).changeCount;
    return {
      accountId: t.accountId,
      region: t.region,
      outcome: t.outcome,
      ...(t.changes ? { changes: t.changes } : {}),
      ...(typeof count === 'number' ? { changeCount: count } : {}),
    };
  });
  const groups = groupChanges(targets);
  // The stacks form: dependants whose inputs come from stacks this preview would create could not
  // have a change set yet (next-stack.ts, previewAwaitingInputs); they would change all the same.
  const awaiting = list.filter(
    (t) => t.outcome === 'CHANGES' && !t.changes?.length && Object.keys(t.pendingInputs ?? {}).length > 0,
  );
  const withChanges = groups.reduce((n, g) => n + g.targets.length, 0) + awaiting.length;
  const unchanged = list.filter((t) => t.outcome === 'NO_CHANGE').length;
  const notPreviewed = list.filter((t) => NOT_PREVIEWED.has(t.outcome));
  const lines: string[] = [
    paint(
      style,
      'bold',
      `${title}: ${plural(withChanges, 'target')} would change, ${unchanged} would not` +
        (notPreviewed.length > 0 ? `, ${notPreviewed.length} could not be previewed` : '') +
        '. Nothing was changed.',
    ),
  ];
  if (notPreviewed.length > 0) {
    // A preview that missed targets must not read as "nothing would change": say so, and why
    // (the summary above lists each reason with its targets).
    const byError = new Map<string, number>();
    for (const t of notPreviewed)
      byError.set(t.error ?? t.outcome, (byError.get(t.error ?? t.outcome) ?? 0) + 1);
    const why = [...byError]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([error, n]) => `${error}: ${n}`)
      .join(', ');
    const warning = `!! ${plural(notPreviewed.length, 'target')} could not be previewed (${why}; the reasons are listed with the failed targets), so this preview is incomplete.`;
    lines.push(...wrap(warning, 100).map((line) => paint(style, 'red', line)));
  }
  // A dependant that reads an output its dependency would change is previewed with today's value:
  // "would not change" is then only as good as that value, so say which parameters are pending.
  const pendingUnchanged = list.filter(
    (t) => t.outcome === 'NO_CHANGE' && Object.keys(t.pendingInputs ?? {}).length > 0,
  );
  if (pendingUnchanged.length > 0) {
    const sources = pendingSources(pendingUnchanged);
    lines.push(
      ...wrap(
        `${plural(pendingUnchanged.length, 'target')} would not change with the current values of ${sources}, which their stack would change: preview again once it is deployed.`,
        100,
      ).map((line) => paint(style, 'yellow', line)),
    );
  }
  if (awaiting.length > 0) {
    const sources = pendingSources(awaiting);
    const names = awaiting.map((t) => `${t.accountId} ${t.region}`);
    lines.push(
      '',
      ...wrap(
        `${plural(awaiting.length, 'target')}: not previewed yet, their parameters ${sources} are known only once the stacks they come from are deployed (preview again afterwards)`,
        100,
      ).map((line) => paint(style, 'yellow', line)),
      paint(style, 'gray', inTargets(names, named)),
    );
  }
  if (groups.length === 0) return `${lines.join('\n')}\n`;

  const removing = groups.filter((g) => g.removals > 0).reduce((n, g) => n + g.targets.length, 0);
  const replacing = groups.filter((g) => g.replacements > 0).reduce((n, g) => n + g.targets.length, 0);
  if (removing > 0)
    lines.push(
      paint(
        style,
        'red',
        `!! ${plural(removing, 'target')} would REMOVE resources (deleted with their data).`,
      ),
    );
  if (replacing > 0)
    lines.push(
      paint(
        style,
        'red',
        `!! ${plural(replacing, 'target')} would REPLACE resources (new physical resource, old one deleted).`,
      ),
    );

  for (const group of groups.slice(0, maxGroups)) {
    lines.push('');
    const head = `${plural(group.targets.length, 'target')}`;
    const only = group.changes.length === 1 && group.changeCount === 1 ? group.changes[0] : undefined;
    if (only) {
      const loud = changeSeverity(only) === 'normal' ? '' : marker(only, style).trimEnd();
      lines.push(`${head}: ${loud ? `${loud} ` : ''}${describeChange(only)}`);
    } else {
      lines.push(`${head}: ${plural(group.changeCount, 'change')}`);
      for (const change of group.changes) lines.push(`  ${marker(change, style)}${describeChange(change)}`);
      if (group.changeCount > group.changes.length) {
        lines.push(`  ... and ${group.changeCount - group.changes.length} more changes (see --json)`);
      }
    }
    const pending = pendingLine(group, byTarget);
    if (pending) lines.push(paint(style, 'yellow', pending));
    lines.push(
      paint(
        style,
        'gray',
        inTargets(
          group.targets.map((t) => `${t.accountId} ${t.region}`),
          named,
        ),
      ),
    );
  }
  if (groups.length > maxGroups) {
    lines.push(
      '',
      `... and ${groups.length - maxGroups} more groups of targets (use --json for every target)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A drifted resource as the report carries it (summary.json `drifted`). */
interface DriftedEntry {
  readonly logicalId: string;
  readonly type?: string;
  readonly status?: string;
  readonly properties?: readonly string[];
}

function describeDriftedEntry(d: DriftedEntry): string {
  const props = d.properties?.length ? ` ${d.properties.join(', ')}` : '';
  return `${d.logicalId} (${d.type ?? '?'}) ${d.status ?? 'DRIFTED'}${props}`;
}

/**
 * The drift findings of a finished drift rollout: targets whose resources drifted the same way are
 * one group, repaired ones apart from those only reported (`repair: false`). Empty when nothing
 * drifted.
 */
export function renderDrift(unsafe: RolloutReport, style: Style, options: PreviewRenderOptions = {}): string {
  return perStack(unsafe, options, 'Drift', (targets, title, limits) =>
    renderDriftOf(targets, style, title, limits),
  );
}

function renderDriftOf(
  list: readonly TargetReport[],
  style: Style,
  title: string,
  { named, maxGroups }: Limits,
): string {
  const groups = new Map<string, { outcome: string; drifted: DriftedEntry[]; targets: string[] }>();
  for (const t of list) {
    if ((t.outcome !== 'DRIFT_REPAIRED' && t.outcome !== 'DRIFTED') || !t.drifted?.length) continue;
    const drifted = t.drifted as DriftedEntry[];
    const key = JSON.stringify([t.outcome, drifted.map(describeDriftedEntry)]);
    const group = groups.get(key) ?? { outcome: t.outcome, drifted, targets: [] };
    group.targets.push(`${t.accountId} ${t.region}`);
    groups.set(key, group);
  }
  const differing = list.filter((t) => DIFFERS.has(t.outcome));
  if (groups.size === 0 && differing.length === 0) return '';
  const sorted = [...groups.values()].sort(
    (a, b) =>
      (a.outcome === b.outcome ? 0 : a.outcome === 'DRIFTED' ? -1 : 1) || b.targets.length - a.targets.length,
  );
  const repaired = sorted
    .filter((g) => g.outcome === 'DRIFT_REPAIRED')
    .reduce((n, g) => n + g.targets.length, 0);
  const reported = sorted.filter((g) => g.outcome === 'DRIFTED').reduce((n, g) => n + g.targets.length, 0);
  const lines = [
    paint(
      style,
      'bold',
      `${title}: ${plural(repaired, 'target')} repaired, ${reported} drifted and left as found` +
        (differing.length > 0 ? `, ${differing.length} not as requested and left as found` : '') +
        '.',
    ),
  ];
  if (differing.length > 0) {
    // MISSING, OUTDATED, INOPERABLE: only reported (--no-repair); a drift run without it deploys them.
    const byReason = new Map<string, string[]>();
    for (const t of differing) {
      const key = JSON.stringify([t.outcome, t.reason ?? '']);
      byReason.set(key, [...(byReason.get(key) ?? []), `${t.accountId} ${t.region}`]);
    }
    for (const [key, names] of [...byReason].sort((a, b) => b[1].length - a[1].length).slice(0, maxGroups)) {
      const [outcome, reason] = JSON.parse(key) as [string, string];
      lines.push('', `${plural(names.length, 'target')} ${paint(style, 'yellow', outcome)} (NOT changed):`);
      lines.push(...wrap(reason, 100, '  '));
      lines.push(paint(style, 'gray', inTargets(names, named)));
    }
  }
  for (const group of sorted.slice(0, maxGroups)) {
    const verb = group.outcome === 'DRIFT_REPAIRED' ? 'repaired' : paint(style, 'yellow', 'NOT repaired');
    lines.push('', `${plural(group.targets.length, 'target')} (${verb}):`);
    for (const d of group.drifted) lines.push(`  ${describeDriftedEntry(d)}`);
    lines.push(paint(style, 'gray', inTargets(group.targets, named)));
  }
  if (sorted.length > maxGroups)
    lines.push('', `... and ${sorted.length - maxGroups} more groups (use --json)`);
  return `${lines.join('\n')}\n`;
}
