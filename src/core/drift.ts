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
  /** `repair: false`: no stack exists (a repairing run would create it). Nothing was changed. */
  Missing: 'MISSING',
  /**
   * `repair: false`: the stack runs another template version, or other parameter values or tags
   * than the request (a repairing run would update it). Nothing was changed.
   */
  Outdated: 'OUTDATED',
  /**
   * `repair: false`: the stack is failed or busy (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED, an
   * operation in progress), so drift cannot be detected; a repairing run would redeploy it.
   */
  Inoperable: 'INOPERABLE',
} as const;
export type DriftOutcome = (typeof DriftOutcomes)[keyof typeof DriftOutcomes];

/**
 * Outcomes of a drift run that mean "this target was not as the request says": found drifted
 * (repaired or not), or missing, outdated, inoperable; converged targets end CREATED or UPDATED.
 * `stackfleet drift --fail-on-drift` exits 4 when any target ends with one of them.
 */
export const DRIFT_FOUND_OUTCOMES = [
  DriftOutcomes.Drifted,
  DriftOutcomes.DriftRepaired,
  DriftOutcomes.Missing,
  DriftOutcomes.Outdated,
  DriftOutcomes.Inoperable,
  'CREATED',
  'UPDATED',
] as const;

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
      /** Why the stack is not as requested: missing, unusable, or differing (template version, parameters, tags). */
      readonly kind: 'missing' | 'inoperable' | 'outdated';
      /** Set when only the version tag differs: the same bytes published again may still be current. */
      readonly versionOnly?: true;
    }
  | { readonly action: 'detect'; readonly reason: string };

/** The parts of a described stack the drift plan reads (the SDK's `Stack` fits). */
export interface StackLike {
  readonly StackStatus?: string;
  readonly Tags?: ReadonlyArray<{ readonly Key?: string; readonly Value?: string }>;
  readonly Parameters?: ReadonlyArray<{ readonly ParameterKey?: string; readonly ParameterValue?: string }>;
}

/** What the request wants the stack to run with, besides the template version. */
export interface WantedStack {
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** DescribeStacks shows a NoEcho parameter's value as asterisks: it cannot be compared. */
const MASKED = /^\*+$/;

function shown(value: string | undefined): string {
  return value === undefined ? '(not set)' : JSON.stringify(value);
}

/**
 * How a stack differs from the request, besides the template version: each parameter the request
 * sets (NoEcho ones cannot be read back, so they are not compared; parameters it leaves out get
 * the template's defaults on the next deploy and are not compared either), and the stack's tags,
 * which a deploy replaces with exactly the request's tags plus stackfleet's own.
 */
export function stackDifferences(stack: StackLike, wanted: WantedStack): string[] {
  const out: string[] = [];
  const current = new Map((stack.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
  for (const [key, value] of Object.entries(wanted.parameters)) {
    const now = current.get(key);
    if (now !== undefined && MASKED.test(now)) continue;
    if (now !== value)
      out.push(`parameter ${key} is ${shown(now)}, the request sets ${JSON.stringify(value)}`);
  }
  const tags = new Map(
    (stack.Tags ?? [])
      .filter((t) => t.Key && !t.Key.startsWith('stackfleet:') && !t.Key.startsWith('aws:'))
      .map((t) => [t.Key as string, t.Value ?? '']),
  );
  for (const [key, value] of Object.entries(wanted.tags)) {
    if (tags.get(key) !== value)
      out.push(`tag ${key} is ${shown(tags.get(key))}, the request sets ${JSON.stringify(value)}`);
  }
  for (const [key, value] of tags) {
    if (!(key in wanted.tags))
      out.push(`tag ${key} is ${JSON.stringify(value)}, the request does not set it`);
  }
  return out;
}

/**
 * Converge (deploy as in deploy mode) a stack that is missing, not in a usable settled status
 * (failed create, failed rollback, busy), tagged with another template version than the pinned
 * one, or running other parameter values or tags than the request; otherwise detect drift. A
 * stack without the version tag was not deployed by stackfleet at this version, so it converges
 * too: drift against an unknown template means nothing. With `repair: false` the detect-drift
 * function reports a converge plan as MISSING, INOPERABLE or OUTDATED and changes nothing.
 */
export function planDrift(
  stackName: string,
  stack: StackLike | undefined,
  pinnedVersion: string,
  wanted: WantedStack = { parameters: {}, tags: {} },
): DriftPlan {
  if (!stack || stack.StackStatus === undefined || stack.StackStatus === 'DELETE_COMPLETE') {
    return {
      action: 'converge',
      kind: 'missing',
      reason: `Stack ${stackName} does not exist: deploying the baseline`,
    };
  }
  const status = stack.StackStatus;
  if (planStackAction(status) !== StackActions.Update) {
    return {
      action: 'converge',
      kind: 'inoperable',
      reason: `Stack ${stackName} is ${status}, not a usable settled stack: deploying it as in deploy mode`,
    };
  }
  const differences = stackDifferences(stack, wanted);
  const version = stack.Tags?.find((t) => t.Key === StackTagKeys.TemplateVersion)?.Value;
  if (version !== pinnedVersion) {
    const what =
      version === undefined
        ? `has no ${StackTagKeys.TemplateVersion} tag`
        : `is on template version ${version}`;
    return {
      action: 'converge',
      kind: 'outdated',
      ...(differences.length === 0 ? { versionOnly: true as const } : {}),
      reason: `Stack ${stackName} ${what}${differences.length > 0 ? `; ${differences.join('; ')}` : ''}: updating it to ${pinnedVersion}`,
    };
  }
  if (differences.length > 0) {
    return {
      action: 'converge',
      kind: 'outdated',
      reason: `Stack ${stackName} differs from the request: ${differences.join('; ')}: updating it`,
    };
  }
  return {
    action: 'detect',
    reason: `Stack ${stackName} is ${status} on template version ${pinnedVersion}: detecting drift`,
  };
}

/**
 * The report-only ending of a converge plan (`repair: false`): the outcome and a reason that says
 * nothing was changed and what a repairing run would do.
 */
export function reportOnlyOutcome(plan: Extract<DriftPlan, { action: 'converge' }>): {
  outcome: DriftOutcome;
  reason: string;
} {
  const outcome =
    plan.kind === 'missing'
      ? DriftOutcomes.Missing
      : plan.kind === 'inoperable'
        ? DriftOutcomes.Inoperable
        : DriftOutcomes.Outdated;
  // "...: deploying the baseline" -> "... Not changed (repair is false); a drift run with repair deploys the baseline."
  const [what, action] = splitReason(plan.reason);
  return {
    outcome,
    reason: `${what}. Not changed (repair is false); a drift run with repair would be ${action}.`,
  };
}

function splitReason(reason: string): [string, string] {
  const at = reason.lastIndexOf(': ');
  return at < 0 ? [reason, 'converging it'] : [reason.slice(0, at), reason.slice(at + 2)];
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
