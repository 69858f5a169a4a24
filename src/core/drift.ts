import { InvalidInputError } from './errors';
import { clientRequestToken, StackTagKeys } from './names';
import { planStackAction, StackActions } from './stack-status';

/**
 * Drift mode, the pure part: whether a target is converged like a deploy (missing, failed or
 * outdated stack) or checked for drift, what DescribeStackResourceDrifts rows mean, the `repair`
 * flag, and the reasons a person reads.
 */

/** How a drift target ended (targets that converge end like deploy targets: CREATED, UPDATED). */
export const DriftOutcomes = {
  InSync: 'IN_SYNC',
  /** Drift found and reported, not repaired (`repair: false`). */
  Drifted: 'DRIFTED',
  /** Drift found and reverted to the template with a REVERT_DRIFT change set. */
  DriftRepaired: 'DRIFT_REPAIRED',
} as const;
export type DriftOutcome = (typeof DriftOutcomes)[keyof typeof DriftOutcomes];

/** Most drifted resources a target's output carries; the count stays exact. */
export const MAX_DRIFTED_IN_OUTPUT = 100;
/** Most property paths kept per drifted resource. */
export const MAX_PROPERTIES_PER_DRIFT = 20;
/** Most bytes (as JSON) the carried drifted list may take. */
export const MAX_DRIFTED_BYTES = 48 * 1024;
/** Pages of DescribeStackResourceDrifts read at most (100 rows a page). */
export const MAX_DRIFT_PAGES = 20;

/** What the drift workflow does with a stack it finds. */
export type DriftPlan =
  | {
      readonly action: 'converge';
      readonly reason: string;
      /** Set when only the version tag differs: the same bytes published again may still be current. */
      readonly versionOnly?: true;
    }
  | { readonly action: 'detect'; readonly reason: string };

/** The parts of a described stack the drift plan reads (the SDK's `Stack` fits). */
export interface StackLike {
  readonly StackStatus?: string;
  readonly Tags?: ReadonlyArray<{ readonly Key?: string; readonly Value?: string }>;
}

/**
 * Converge (deploy as in deploy mode) a stack that is missing, not in a usable settled status
 * (failed create, failed rollback, busy) or tagged with another template version than the pinned
 * one; otherwise detect drift. A stack without the version tag was not deployed by stackfleet at
 * this version, so it converges too: drift against an unknown template means nothing.
 */
export function planDrift(stackName: string, stack: StackLike | undefined, pinnedVersion: string): DriftPlan {
  if (!stack || stack.StackStatus === undefined || stack.StackStatus === 'DELETE_COMPLETE') {
    return { action: 'converge', reason: `Stack ${stackName} does not exist: deploying the baseline` };
  }
  const status = stack.StackStatus;
  if (planStackAction(status) !== StackActions.Update) {
    return {
      action: 'converge',
      reason: `Stack ${stackName} is ${status}, not a usable settled stack: deploying it as in deploy mode`,
    };
  }
  const version = stack.Tags?.find((t) => t.Key === StackTagKeys.TemplateVersion)?.Value;
  if (version !== pinnedVersion) {
    return {
      action: 'converge',
      versionOnly: true,
      reason:
        version === undefined
          ? `Stack ${stackName} has no ${StackTagKeys.TemplateVersion} tag: updating it to template version ${pinnedVersion}`
          : `Stack ${stackName} is on template version ${version}: updating it to ${pinnedVersion}`,
    };
  }
  return {
    action: 'detect',
    reason: `Stack ${stackName} is ${status} on template version ${pinnedVersion}: detecting drift`,
  };
}

/**
 * Whether a stack tagged with another version already runs the pinned template: the same bytes
 * (published again under a new S3 version) and the same values for every parameter the rollout
 * sets. Then drift is what matters, not a tag-only update. Unknown (`undefined`) bodies are
 * never the same: when in doubt the target converges, which is always safe.
 */
export function runsPinnedTemplate(
  deployedBody: string | undefined,
  pinnedBody: string | undefined,
  stackParameters: ReadonlyArray<{ ParameterKey?: string; ParameterValue?: string }> | undefined,
  wantedParameters: Readonly<Record<string, string>>,
): boolean {
  if (deployedBody === undefined || pinnedBody === undefined || deployedBody !== pinnedBody) return false;
  const current = new Map((stackParameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
  return Object.entries(wantedParameters).every(([key, value]) => current.get(key) === value);
}

/**
 * The deploy-target input's `repair` flag. Absent means false: reporting is the safe default for
 * a hand-started run; the CLI and the schedule ask for repair explicitly.
 */
export function parseRepairFlag(input: unknown): boolean {
  const raw =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>).repair : undefined;
  if (raw === undefined || raw === null) return false;
  if (typeof raw !== 'boolean') {
    throw new InvalidInputError('repair', `repair must be true or false. Received: ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** A drifted resource as stackfleet shows it. */
export interface DriftedResource {
  readonly logicalId: string;
  readonly type: string;
  /** MODIFIED or DELETED. */
  readonly status: string;
  readonly physicalId?: string;
  /** MODIFIED only: property paths that differ, e.g. `/IsLogging`. */
  readonly properties?: readonly string[];
}

/** The fields of the SDK's `StackResourceDrift` stackfleet reads. */
export interface ResourceDriftLike {
  readonly LogicalResourceId?: string;
  readonly ResourceType?: string;
  readonly PhysicalResourceId?: string;
  readonly StackResourceDriftStatus?: string;
  readonly PropertyDifferences?: ReadonlyArray<{ readonly PropertyPath?: string }>;
}

/** Statuses of a resource that has drifted (IN_SYNC and NOT_CHECKED are not drift). */
export const DRIFTED_RESOURCE_STATUSES = ['MODIFIED', 'DELETED'] as const;

/** Drifted rows only, sorted by logical id, property paths sorted. */
export function normaliseResourceDrifts(rows: readonly ResourceDriftLike[]): DriftedResource[] {
  const out: DriftedResource[] = [];
  for (const row of rows) {
    const status = row.StackResourceDriftStatus ?? '';
    if (!(DRIFTED_RESOURCE_STATUSES as readonly string[]).includes(status)) continue;
    const properties = [
      ...new Set((row.PropertyDifferences ?? []).map((d) => d.PropertyPath).filter((p): p is string => !!p)),
    ].sort();
    out.push({
      logicalId: row.LogicalResourceId ?? '(unnamed)',
      type: row.ResourceType ?? 'Unknown',
      status,
      ...(row.PhysicalResourceId ? { physicalId: row.PhysicalResourceId } : {}),
      ...(properties.length > 0 ? { properties } : {}),
    });
  }
  return out.sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** What a target's output and state carry about its drift. */
export interface DriftFindings {
  readonly drifted: DriftedResource[];
  /** Exact number of drifted resources (CloudFormation's count when it gave one). */
  readonly driftedCount: number;
  readonly driftedTruncated?: true;
  /** The reason a repaired target ends with. */
  readonly repairReason: string;
}

/** "Trail (AWS::CloudTrail::Trail) MODIFIED /IsLogging". */
export function describeDrifted(resource: DriftedResource): string {
  const props = resource.properties?.length ? ` ${resource.properties.join(', ')}` : '';
  return `${resource.logicalId} (${resource.type}) ${resource.status}${props}`;
}

function listed(resources: readonly DriftedResource[], count: number, max = 5): string {
  const shown = resources.slice(0, max);
  const text = shown.map(describeDrifted).join('; ');
  return count > shown.length ? `${text}; and ${count - shown.length} more` : text;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Findings cut to the output limit, with the reasons for both endings. */
export function driftFindings(
  resources: readonly DriftedResource[],
  reportedCount?: number,
  max = MAX_DRIFTED_IN_OUTPUT,
): DriftFindings {
  const count = Math.max(reportedCount ?? 0, resources.length);
  // A count and a byte limit: long ids and many differing properties could otherwise fill the state.
  const drifted: DriftedResource[] = [];
  let bytes = 2;
  for (const resource of resources.slice(0, max)) {
    const kept =
      resource.properties && resource.properties.length > MAX_PROPERTIES_PER_DRIFT
        ? { ...resource, properties: resource.properties.slice(0, MAX_PROPERTIES_PER_DRIFT) }
        : resource;
    bytes += Buffer.byteLength(JSON.stringify(kept)) + 1;
    if (bytes > MAX_DRIFTED_BYTES) break;
    drifted.push(kept);
  }
  return {
    drifted,
    driftedCount: count,
    ...(drifted.length < resources.length ? { driftedTruncated: true as const } : {}),
    repairReason: `Reverted ${plural(count, 'drifted resource')} to the template with a REVERT_DRIFT change set: ${listed(resources, count)}`,
  };
}

/** Reason of a target left DRIFTED because `repair` is false. */
export function driftedReason(findings: Pick<DriftFindings, 'drifted' | 'driftedCount'>): string {
  return `${plural(findings.driftedCount, 'resource')} drifted from the template (not repaired: repair is false): ${listed(findings.drifted, findings.driftedCount)}`;
}

/** ClientRequestToken of the ExecuteChangeSet that repairs a target (`sf-repair-<rollout>-<account>-<region>`). */
export function repairRequestToken(rolloutId: string, accountId: string, region: string): string {
  // Same shape and length rules as the deploy tokens; "repair" and "update" are equally long.
  return clientRequestToken('update', rolloutId, accountId, region).replace(/^sf-update-/, 'sf-repair-');
}

/** Seconds until the next look at a change set or a drift detection: 5, 10, 15 ... at most 30. */
export function pollSeconds(polls: number): number {
  return Math.min(30, 5 * (Math.max(0, polls) + 1));
}
