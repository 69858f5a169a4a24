import { createHash } from 'node:crypto';
import { planStackAction, StackActions } from './stack-status';

/**
 * Preview mode, the pure part: which change set a target gets, what a CloudFormation change
 * set's answer means, the normalised change list a person reads, and the grouping of identical
 * change lists across hundreds of targets ("312 targets: Modify AWS::CloudTrail::Trail Trail").
 */

/** How a preview target ended. */
export const PreviewOutcomes = {
  /** The stack already matches the pinned template and parameters. */
  NoChange: 'NO_CHANGE',
  /** Deploying would change resources; the list says which. */
  Changes: 'CHANGES',
} as const;
export type PreviewOutcome = (typeof PreviewOutcomes)[keyof typeof PreviewOutcomes];

/**
 * Most changes a target's execution output carries. A baseline has tens of resources; a list
 * longer than this is cut (the count stays exact) so a target's state stays far below 256 KiB.
 */
export const MAX_CHANGES_IN_OUTPUT = 200;
/** Most changed property names kept per change. */
export const MAX_PROPERTIES_PER_CHANGE = 20;
/**
 * Most bytes (as JSON) the carried change list may take, whatever the count: a state holds at most
 * 256 KiB, and long logical ids with many properties could otherwise approach it.
 */
export const MAX_CHANGES_BYTES = 64 * 1024;
/** Pages of DescribeChangeSet read at most (100 changes a page). */
export const MAX_CHANGE_SET_PAGES = 20;

/** One resource change as stackfleet shows it. */
export interface ResourceChange {
  /** Add, Modify, Remove, Import, Dynamic. */
  readonly action: string;
  readonly logicalId: string;
  readonly type: string;
  /** Modify only: True (the resource is replaced), False, or Conditional. */
  readonly replacement?: string;
  /** Modify only: the properties (or `Tags`) that change, sorted. */
  readonly properties?: readonly string[];
}

/** The fields of the SDK's `Change` stackfleet reads (the SDK type fits). */
export interface ChangeLike {
  readonly Type?: string;
  readonly ResourceChange?: {
    readonly Action?: string;
    readonly LogicalResourceId?: string;
    readonly ResourceType?: string;
    readonly Replacement?: string;
    readonly Details?: ReadonlyArray<{
      readonly Target?: { readonly Attribute?: string; readonly Name?: string };
    }>;
  };
}

/** Change set type for a stack in a given status, or why no change set can be made now. */
export type PreviewPlan =
  | { readonly kind: 'CREATE' }
  | { readonly kind: 'UPDATE' }
  | { readonly kind: 'busy'; readonly reason: string }
  | { readonly kind: 'blocked'; readonly reason: string };

/**
 * What a preview does with a stack in a given status (`undefined`: no stack). It mirrors what
 * deploy mode would do: a new stack previews as CREATE, a usable one as UPDATE, a stack another
 * operation holds is retried later, and one deploy would delete or repair first cannot be diffed.
 */
export function planPreview(stackName: string, status: string | undefined): PreviewPlan {
  if (status === undefined || status === 'DELETE_COMPLETE') return { kind: 'CREATE' };
  // A stack holding only an unexecuted change set (a preview that never cleaned up) has no resources.
  if (status === 'REVIEW_IN_PROGRESS') return { kind: 'CREATE' };
  const action = planStackAction(status);
  if (action === StackActions.Update) return { kind: 'UPDATE' };
  if (action === StackActions.Wait) {
    return {
      kind: 'busy',
      reason: `Stack ${stackName} is ${status}: previewing once that operation finishes`,
    };
  }
  const what =
    action === StackActions.Recreate
      ? 'a deploy would delete it and create it again, so every resource would be added'
      : action === StackActions.ContinueRollback
        ? 'a deploy would first continue its rollback, then update it'
        : 'a deploy would refuse to touch it until a person resolves it';
  return {
    kind: 'blocked',
    reason: `Stack ${stackName} is ${status}: ${what}. No change set can be previewed for a stack in this status.`,
  };
}

const CHANGE_SET_NAME_MAX = 128;

/**
 * A change set name unique to the rollout and its purpose (`stackfleet-preview-<rolloutId>`):
 * CloudFormation allows `[a-zA-Z][-a-zA-Z0-9]*`, at most 128 characters, so other characters
 * become `-` and a name that would be too long ends with a hash of the whole, staying unique.
 */
export function changeSetName(purpose: 'preview' | 'repair', rolloutId: string): string {
  const raw = `stackfleet-${purpose}-${rolloutId}`;
  const clean = raw.replace(/[^a-zA-Z0-9-]/g, '-');
  if (clean.length <= CHANGE_SET_NAME_MAX) return clean;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  return `${clean.slice(0, CHANGE_SET_NAME_MAX - hash.length - 1)}-${hash}`;
}

/**
 * Whether a FAILED change set only failed because nothing would change. CloudFormation words it
 * "The submitted information didn't contain changes..." or "No updates are to be performed.".
 */
export function isNoChangeReason(reason: string | undefined): boolean {
  if (!reason) return false;
  return /didn'?t contain changes/i.test(reason) || reason.includes('No updates are to be performed');
}

/** Change set statuses that mean "not ready yet". */
export function isChangeSetPending(status: string | undefined): boolean {
  return status === 'CREATE_PENDING' || status === 'CREATE_IN_PROGRESS';
}

function byLogicalId(a: ResourceChange, b: ResourceChange): number {
  return a.logicalId.localeCompare(b.logicalId) || a.action.localeCompare(b.action);
}

/**
 * CloudFormation's changes as stackfleet's list: resource changes only, sorted by logical id,
 * property names de-duplicated and sorted, so two targets with the same changes compare equal.
 */
export function normaliseChanges(changes: readonly ChangeLike[]): ResourceChange[] {
  const out: ResourceChange[] = [];
  for (const change of changes) {
    const rc = change.ResourceChange;
    if (!rc || (change.Type !== undefined && change.Type !== 'Resource')) continue;
    const action = rc.Action ?? 'Unknown';
    const base = {
      action,
      logicalId: rc.LogicalResourceId ?? '(unnamed)',
      type: rc.ResourceType ?? 'Unknown',
    };
    if (action !== 'Modify') {
      out.push(base);
      continue;
    }
    const names = new Set<string>();
    for (const detail of rc.Details ?? []) {
      const target = detail.Target;
      if (!target) continue;
      const name = target.Attribute === 'Properties' ? target.Name : target.Attribute;
      if (name) names.add(name);
    }
    out.push({
      ...base,
      ...(rc.Replacement ? { replacement: rc.Replacement } : {}),
      properties: [...names].sort(),
    });
  }
  return out.sort(byLogicalId);
}

/** A change list cut to what a target's output carries, with the exact count. */
export interface CappedChanges {
  readonly changes: ResourceChange[];
  readonly changeCount: number;
  /** Set when `changes` holds fewer than `changeCount`. */
  readonly changesTruncated?: true;
}

/** Cuts a change list (and each change's property list) to the output limits. */
export function capChanges(
  changes: readonly ResourceChange[],
  max = MAX_CHANGES_IN_OUTPUT,
  maxProperties = MAX_PROPERTIES_PER_CHANGE,
  maxBytes = MAX_CHANGES_BYTES,
): CappedChanges {
  const kept: ResourceChange[] = [];
  let bytes = 2;
  for (const c of changes.slice(0, max)) {
    const change =
      c.properties && c.properties.length > maxProperties
        ? {
            ...c,
            properties: [
              ...c.properties.slice(0, maxProperties),
              `(+${c.properties.length - maxProperties} more)`,
            ],
          }
        : c;
    bytes += Buffer.byteLength(JSON.stringify(change)) + 1;
    if (bytes > maxBytes) break;
    kept.push(change);
  }
  return {
    changes: kept,
    changeCount: changes.length,
    ...(kept.length < changes.length ? { changesTruncated: true as const } : {}),
  };
}

/** Whether a change is dangerous enough to shout about: a replacement (possibly) or a removal. */
export function changeSeverity(change: ResourceChange): 'removal' | 'replacement' | 'conditional' | 'normal' {
  if (change.action === 'Remove') return 'removal';
  if (change.action === 'Modify' && change.replacement === 'True') return 'replacement';
  if (change.action === 'Modify' && change.replacement === 'Conditional') return 'conditional';
  return 'normal';
}

/** "Modify AWS::CloudTrail::Trail Trail (no replacement): IsLogging, S3KeyPrefix". */
export function describeChange(change: ResourceChange): string {
  const head = `${change.action} ${change.type} ${change.logicalId}`;
  if (change.action !== 'Modify') return head;
  const replacement =
    change.replacement === 'True'
      ? 'REPLACEMENT'
      : change.replacement === 'Conditional'
        ? 'MAY BE REPLACED'
        : 'no replacement';
  const props = change.properties && change.properties.length > 0 ? `: ${change.properties.join(', ')}` : '';
  return `${head} (${replacement})${props}`;
}

/** A target's preview result as the summary carries it. */
export interface PreviewedTarget {
  readonly accountId: string;
  readonly region: string;
  readonly outcome: string;
  readonly changes?: readonly ResourceChange[];
  readonly changeCount?: number;
}

/** Targets that would see exactly the same changes. */
export interface ChangeGroup {
  readonly changes: readonly ResourceChange[];
  /** Exact number of changes (may exceed `changes.length` when the lists were cut). */
  readonly changeCount: number;
  readonly targets: ReadonlyArray<{ readonly accountId: string; readonly region: string }>;
  readonly replacements: number;
  readonly removals: number;
}

function changeListKey(changes: readonly ResourceChange[], count: number): string {
  return JSON.stringify([count, changes]);
}

/**
 * Groups previewed targets by identical change lists, most dangerous groups first (removals,
 * then replacements), then the largest. Targets with NO_CHANGE or no list are left out: the
 * outcome counts cover them.
 */
export function groupChanges(targets: readonly PreviewedTarget[]): ChangeGroup[] {
  const groups = new Map<
    string,
    {
      changes: readonly ResourceChange[];
      count: number;
      targets: Array<{ accountId: string; region: string }>;
    }
  >();
  for (const t of targets) {
    if (t.outcome !== PreviewOutcomes.Changes || !t.changes) continue;
    const count = t.changeCount ?? t.changes.length;
    const key = changeListKey(t.changes, count);
    let group = groups.get(key);
    if (!group) {
      group = { changes: t.changes, count, targets: [] };
      groups.set(key, group);
    }
    group.targets.push({ accountId: t.accountId, region: t.region });
  }
  const out: ChangeGroup[] = [...groups.values()].map((g) => ({
    changes: g.changes,
    changeCount: g.count,
    targets: [...g.targets].sort(
      (a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region),
    ),
    replacements: g.changes.filter((c) => changeSeverity(c) === 'replacement').length,
    removals: g.changes.filter((c) => changeSeverity(c) === 'removal').length,
  }));
  return out.sort(
    (a, b) =>
      b.removals - a.removals ||
      b.replacements - a.replacements ||
      b.targets.length - a.targets.length ||
      changeListKey(a.changes, a.changeCount).localeCompare(changeListKey(b.changes, b.changeCount)),
  );
}
