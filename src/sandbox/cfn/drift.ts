/**
 * Drift in the sandbox: which resources differ from their template (injected with
 * `markDrifted` or by the scenario's `faults.drift` rules, until repaired), and the drift API
 * (DetectStackDrift, DescribeStackDriftDetectionStatus, DescribeStackResourceDrifts,
 * DetectStackResourceDrift). A detection takes virtual time; its result is fixed when it
 * starts and revealed when it completes.
 */
import { decide, iamEnforced } from '../iam/authorize';
import { denialMessage } from '../iam/messages';
import { asArray, type OpEnv, requireStack, templateOf, validationError } from './common';
import type { ResourceDrift } from './drift-types';
import { callerOf, forwardAccess } from './iam-env';
import { type PlanEnv, resolveAll } from './plan';
import { providerFor } from './providers/index';
import { driftSupported, stableUuid } from './resource-types';
import { typedParameters } from './stack-ops';
import { finalResources, isInProgress, nextSeq, type StackRecord, stackStatusAt } from './state';
import { durationOr } from './waves';

/** A drifted resource with the values a drift report shows. */
export interface CurrentDrift extends ResourceDrift {
  expected: string;
  /** Full resolved properties the template expects, and what the live resource has. */
  expectedProperties: Record<string, unknown>;
  actualProperties: Record<string, unknown>;
}

function expectedProperties(env: PlanEnv, stack: StackRecord): Record<string, Record<string, unknown>> {
  const template = templateOf(env.section, stack.config.templateHash);
  const physical: Record<string, { type: string; physicalId?: string }> = {};
  for (const [id, r] of Object.entries(finalResources(stack)))
    physical[id] = { type: r.type, physicalId: r.physicalId };
  return resolveAll(env, stack, template, typedParameters(template, stack.config.parameters), physical);
}

/**
 * The resources of a settled stack that differ from its template right now (injected drift,
 * then the scenario's rules for resources not yet repaired).
 */
export function currentDrift(env: PlanEnv, stack: StackRecord): Record<string, CurrentDrift> {
  const rules = (env.world.scenario.faults?.drift ?? []).filter(
    (r) =>
      (!r.accounts || r.accounts.includes(env.accountId)) && (!r.regions || r.regions.includes(env.region)),
  );
  const live = stack.drift.live;
  if (rules.length === 0 && Object.keys(live).length === 0) return {};
  const expected = expectedProperties(env, stack);
  const out: Record<string, CurrentDrift> = {};
  const consider = (logicalId: string, drift: ResourceDrift) => {
    const resource = finalResources(stack)[logicalId];
    if (!resource || resource.status === 'DELETE_COMPLETE' || resource.status === 'DELETE_SKIPPED') return;
    const props = expected[logicalId] ?? {};
    const property = drift.property || Object.keys(props)[0] || 'Tags';
    const expectedValue = drift.expected ?? JSON.stringify(props[property] ?? null);
    let actualValue: unknown;
    try {
      actualValue = JSON.parse(drift.actual);
    } catch {
      actualValue = drift.actual;
    }
    out[logicalId] = {
      property,
      expected: expectedValue,
      actual: drift.actual,
      ...(drift.deleted ? { deleted: true } : {}),
      expectedProperties: props,
      actualProperties: drift.deleted ? {} : { ...props, [property]: actualValue },
    };
  };
  for (const [logicalId, drift] of Object.entries(live)) consider(logicalId, drift);
  for (const rule of rules) {
    if (out[rule.logicalId] || stack.drift.scenarioRepaired.includes(rule.logicalId)) continue;
    consider(rule.logicalId, {
      property: rule.property ?? '',
      actual: JSON.stringify('changed-out-of-band (sandbox scenario)'),
    });
  }
  return out;
}

/** How AWS shows a property value in drift reports: strings as they are, anything else as JSON. */
export function renderDriftValue(json: string): string {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return json;
  }
}

const DETECTION_TYPE = 'AWS::CloudFormation::DriftDetection';

/**
 * Drift detection reads each resource's live state with the caller's credentials: the read calls
 * of its provider are authorized for the caller (a forward access session). A refused read leaves
 * the resource unchecked and the detection DETECTION_FAILED. That CloudFormation reads with the
 * caller's permissions is what AWS Config's managed rule cloudformation-stack-drift-detection-check
 * implies (its role needs read access to the stack's resource types) and what the
 * project's design brief states; no AWS page found here words it outright.
 */
function liveReadRefusals(
  env: OpEnv,
  stack: StackRecord,
): (logicalId: string, type: string, physicalId: string | undefined) => string | undefined {
  if (!iamEnforced(env.world)) return () => undefined;
  const reader = forwardAccess(callerOf(env.ctx));
  let expected: Record<string, Record<string, unknown>> | undefined;
  return (logicalId, type, physicalId) => {
    const provider = providerFor(type);
    if (!provider?.reads || physicalId === undefined) return undefined;
    expected ??= expectedProperties(env, stack);
    const specs = provider.reads(expected[logicalId] ?? {}, {
      world: env.world,
      accountId: env.accountId,
      region: env.region,
      stackId: stack.stackId,
      stackName: stack.stackName,
      logicalId,
      physicalId,
      now: env.now,
    });
    for (const spec of specs) {
      const { decision, request } = decide(env.world, reader.who, spec, reader.facts);
      if (decision.effect !== 'Allow') return denialMessage(request, decision) ?? 'Access Denied';
    }
    return undefined;
  };
}

/**
 * DetectionStatusReason of a failed detection: a summary and the failure of each resource, the
 * shape AWS returns (aws-cloudformation/cloudformation-coverage-roadmap#801).
 */
export function detectionFailureReason(failures: Array<{ logicalId: string; reason: string }>): string {
  return JSON.stringify({
    Summary: `Failed to detect drift on resources [${failures.map((f) => f.logicalId).join(',')}]`,
    Failures: failures.map((f) => ({ Resource: f.logicalId, FailureReason: f.reason })),
  });
}

export function detectStackDrift(env: OpEnv, params: Record<string, unknown>): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const { status } = stackStatusAt(stack, env.now);
  if (isInProgress(status) || status === 'ROLLBACK_COMPLETE' || status.endsWith('_FAILED')) {
    throw validationError(
      `Drift detection is not supported for stack [${stack.stackName}] in status ${status}.`,
    );
  }
  const only = new Set(asArray(params.LogicalResourceIds as string[] | undefined));
  const drifted = currentDrift(env, stack);
  const resources: Record<string, { status: string; drift?: ResourceDrift }> = {};
  const failures: Array<{ logicalId: string; reason: string }> = [];
  const unreadable = liveReadRefusals(env, stack);
  let count = 0;
  for (const [id, r] of Object.entries(finalResources(stack))) {
    if (only.size > 0 && !only.has(id)) continue;
    if (r.status === 'DELETE_COMPLETE') continue;
    if (!driftSupported(r.type)) {
      resources[id] = { status: 'NOT_CHECKED' };
      continue;
    }
    const refusal = unreadable(id, r.type, r.physicalId);
    if (refusal !== undefined) {
      failures.push({ logicalId: id, reason: refusal });
      continue;
    }
    const d = drifted[id];
    if (d) {
      count += 1;
      resources[id] = {
        status: d.deleted ? 'DELETED' : 'MODIFIED',
        drift: {
          property: d.property,
          expected: d.expected,
          actual: d.actual,
          ...(d.deleted ? { deleted: true } : {}),
        },
      };
    } else {
      resources[id] = { status: 'IN_SYNC' };
    }
  }
  const id = stableUuid(`${stack.stackId}/drift/${nextSeq(env.section)}`);
  env.target.driftDetections[id] = {
    id,
    stackId: stack.stackId,
    startedAt: env.now,
    readyAt: env.now + durationOr(env.world, DETECTION_TYPE, `${id}/detect`, 5),
    stackDriftStatus: count > 0 ? 'DRIFTED' : 'IN_SYNC',
    driftedCount: count,
    resources,
    ...(failures.length > 0 ? { failures } : {}),
  };
  return { StackDriftDetectionId: id };
}

export function describeStackDriftDetectionStatus(
  env: OpEnv,
  params: Record<string, unknown>,
): Record<string, unknown> {
  const id = params.StackDriftDetectionId as string | undefined;
  const detection = id ? env.target.driftDetections[id] : undefined;
  if (!detection) throw validationError(`Stack drift detection with id [${id}] does not exist`);
  const done = env.now >= detection.readyAt;
  const stack = env.target.stacks[detection.stackId];
  if (stack) requireStack(env, stack.stackId);
  const failed = done && (detection.failures?.length ?? 0) > 0;
  return {
    StackId: detection.stackId,
    StackDriftDetectionId: detection.id,
    DetectionStatus: done ? (failed ? 'DETECTION_FAILED' : 'DETECTION_COMPLETE') : 'DETECTION_IN_PROGRESS',
    ...(failed ? { DetectionStatusReason: detectionFailureReason(detection.failures ?? []) } : {}),
    ...(done
      ? { StackDriftStatus: detection.stackDriftStatus, DriftedStackResourceCount: detection.driftedCount }
      : {}),
    Timestamp: new Date(done ? detection.readyAt : detection.startedAt),
  };
}

function driftRow(
  env: OpEnv,
  stack: StackRecord,
  logicalId: string,
  status: string,
  at: number,
  drift?: ResourceDrift,
) {
  const r = finalResources(stack)[logicalId];
  const expected = expectedProperties(env, stack)[logicalId] ?? {};
  const row: Record<string, unknown> = {
    StackId: stack.stackId,
    LogicalResourceId: logicalId,
    ...(r?.physicalId ? { PhysicalResourceId: r.physicalId } : {}),
    ResourceType: r?.type ?? 'AWS::CloudFormation::CustomResource',
    StackResourceDriftStatus: status,
    Timestamp: new Date(at),
  };
  if (status === 'NOT_CHECKED') return row;
  row.ExpectedProperties = JSON.stringify(expected);
  if (status === 'DELETED') return row;
  if (drift && status === 'MODIFIED') {
    let actual: unknown = drift.actual;
    try {
      actual = JSON.parse(drift.actual);
    } catch {
      // keep the raw text
    }
    row.ActualProperties = JSON.stringify({ ...expected, [drift.property]: actual });
    row.PropertyDifferences = [
      {
        PropertyPath: `/${drift.property}`,
        ExpectedValue: renderDriftValue(drift.expected ?? JSON.stringify(expected[drift.property] ?? null)),
        ActualValue: renderDriftValue(drift.actual),
        DifferenceType: 'NOT_EQUAL',
      },
    ];
  } else {
    row.ActualProperties = JSON.stringify(expected);
    row.PropertyDifferences = [];
  }
  return row;
}

export function describeStackResourceDrifts(
  env: OpEnv,
  params: Record<string, unknown>,
): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const filters = asArray(params.StackResourceDriftStatusFilters as string[] | undefined);
  const rows = Object.entries(stack.drift.checked)
    .filter(([, c]) => filters.length === 0 || filters.includes(c.status))
    .map(([id, c]) => driftRow(env, stack, id, c.status, c.at, c.drift));
  const max = params.MaxResults === undefined ? 100 : Number(params.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw validationError(
      `1 validation error detected: Value '${String(params.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100`,
    );
  }
  const offset = params.NextToken
    ? Number(Buffer.from(String(params.NextToken), 'base64').toString('utf8'))
    : 0;
  if (!Number.isInteger(offset) || offset < 0) throw validationError('Invalid NextToken');
  const slice = rows.slice(offset, offset + max);
  const next = offset + max < rows.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
  return { StackResourceDrifts: slice, ...(next ? { NextToken: next } : {}) };
}

export function detectStackResourceDrift(
  env: OpEnv,
  params: Record<string, unknown>,
): Record<string, unknown> {
  const stack = requireStack(env, params.StackName as string | undefined);
  const logicalId = params.LogicalResourceId as string | undefined;
  const r = logicalId ? finalResources(stack)[logicalId] : undefined;
  if (!logicalId || !r || r.status === 'DELETE_COMPLETE') {
    throw validationError(`Resource ${logicalId} does not exist for stack ${stack.stackName}`);
  }
  if (!driftSupported(r.type)) {
    return { StackResourceDrift: driftRow(env, stack, logicalId, 'NOT_CHECKED', env.now) };
  }
  const d = currentDrift(env, stack)[logicalId];
  const status = d ? (d.deleted ? 'DELETED' : 'MODIFIED') : 'IN_SYNC';
  return { StackResourceDrift: driftRow(env, stack, logicalId, status, env.now, d) };
}
