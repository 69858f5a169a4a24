/**
 * Planning of stack operations: which resources a template wants (conditions evaluated), in
 * what order (Ref/GetAtt/DependsOn), what changed against the deployed stack (the diff that
 * both UpdateStack and change sets use), and the timed schedule of events an operation
 * produces: independent resources in parallel, each taking its type's scenario duration,
 * failures and rollbacks where the scenario's fault rules say so.
 */
import type { SandboxWorld } from '../types';
import { AwsError } from '../types';
import { type CheckedResource, resourceChecks, type WaveCheck } from './checks';
import type { Acting } from './iam-env';
import { containsUnresolved, type EvalContext, evaluateConditions, resolveValue } from './intrinsics';
import { attributeOf, nameProperty, physicalIdFor, Recreation, recreationFor } from './resource-types';
import {
  type CfnSection,
  type OperationKind,
  type OperationRecord,
  type OutputRecord,
  type PendingResult,
  packOperation,
  type ResourceFailureRule,
  type ResourceRecord,
  type StackConfig,
  type StackRecord,
  type StoredEvent,
  type TargetState,
} from './state';
import { collectReferences, dependsOnList, type ParsedTemplate, type TemplateValue } from './template';

/** Gap between a stack's phase changes and its first/last resource event. */
export const PHASE_GAP_MS = 1000;
/** Time a resource that never finished (failed or cancelled) takes to be cleaned up. */
const CLEANUP_MS = 1000;
const DEFAULT_DURATION_S = 5;

/** Everything planning needs to know about where it runs. */
export interface PlanEnv {
  world: SandboxWorld;
  section: CfnSection;
  target: TargetState;
  accountId: string;
  region: string;
  now: number;
  /**
   * Who makes the resource calls of the operation being planned (the service role session or the
   * caller's forward access session); absent: no plan-time checks (fault injection, seeding).
   */
  actor?: Acting;
}

export interface StackIdentity {
  stackId: string;
  stackName: string;
}

/** Resolved view of one template resource for a given deployment. */
export interface DesiredResource {
  logicalId: string;
  type: string;
  properties: Record<string, unknown>;
  /** Raw (unresolved) properties, to tell direct edits from parameter/resource-driven ones. */
  rawProperties: Record<string, unknown>;
  deps: string[];
}

export interface PropertyChange {
  name: string;
  recreation: Recreation;
  evaluation: 'Static' | 'Dynamic';
  changeSource: 'DirectModification' | 'ParameterReference' | 'ResourceReference' | 'ResourceAttribute';
  causingEntity?: string;
  before?: unknown;
  after?: unknown;
}

export interface ResourceDiff {
  logicalId: string;
  type: string;
  action: 'Add' | 'Modify' | 'Remove' | 'None';
  /** `True` replaces, `Conditional` may; execution treats Conditional as in-place. */
  replacement: 'True' | 'False' | 'Conditional';
  changes: PropertyChange[];
  oldPhysicalId?: string;
  /** Physical id after the operation (new for Add/replacement, when ids are assigned). */
  physicalId?: string;
}

export interface StackPlan {
  template: ParsedTemplate;
  conditions: Record<string, boolean>;
  /** Active resources, dependencies first. */
  order: string[];
  desired: Record<string, DesiredResource>;
  diffs: ResourceDiff[];
  /** Resolved properties of the deployed configuration (updates; what plan-time checks compare). */
  previousProperties?: Record<string, Record<string, unknown>>;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Equality of resolved values regardless of key order (what "changed" means in a diff). */
export function sameValue(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** Builds the evaluation context for a stack deployed with given parameters and physical ids. */
export function evalContext(
  env: PlanEnv,
  stack: StackIdentity,
  template: ParsedTemplate,
  parameters: Record<string, string | string[]>,
  physical: Record<string, { type: string; physicalId?: string }>,
): EvalContext {
  const where = { accountId: env.accountId, region: env.region };
  return {
    accountId: env.accountId,
    region: env.region,
    stackName: stack.stackName,
    stackId: stack.stackId,
    parameters,
    conditions: {},
    mappings: template.Mappings,
    resourceRef: (id) => physical[id]?.physicalId,
    resourceAttribute: (id, attribute) => {
      const r = physical[id];
      if (!r?.physicalId) return undefined;
      // A role's ARN carries its Path (`arn:aws:iam::A:role/stackfleet/target-access/Name`).
      const path = template.Resources[id]?.Properties?.Path;
      if (r.type === 'AWS::IAM::Role' && attribute === 'Arn' && typeof path === 'string' && path !== '/')
        return `arn:${where.region.startsWith('cn-') ? 'aws-cn' : 'aws'}:iam::${where.accountId}:role${path}${r.physicalId}`;
      return attributeOf(r.type, r.physicalId, attribute, where);
    },
    importValue: (name) => env.target.exports[name]?.value,
  };
}

const rawDepsCache = new WeakMap<ParsedTemplate, Record<string, string[]>>();

/** Every resource's dependencies in the template (Ref/GetAtt/Sub to resources, DependsOn), whatever the conditions; cached per template. */
export function rawDependencies(template: ParsedTemplate): Record<string, string[]> {
  const cached = rawDepsCache.get(template);
  if (cached) return cached;
  const deps: Record<string, string[]> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const refs = collectReferences(resource.Properties ?? {});
    for (const dep of dependsOnList(resource)) refs.add(dep);
    deps[id] = [...refs].filter((r) => r in template.Resources && r !== id);
  }
  rawDepsCache.set(template, deps);
  return deps;
}

const orderCache = new WeakMap<
  ParsedTemplate,
  Map<string, { order: string[]; deps: Record<string, string[]> }>
>();

/** Logical ids of resources whose Condition holds, in dependency order; refuses cycles like AWS. Cached per template and condition values. */
export function orderResources(
  template: ParsedTemplate,
  conditions: Record<string, boolean>,
): {
  order: string[];
  deps: Record<string, string[]>;
} {
  const key = Object.keys(conditions)
    .sort()
    .map((k) => (conditions[k] ? '1' : '0'))
    .join('');
  let perTemplate = orderCache.get(template);
  if (!perTemplate) {
    perTemplate = new Map();
    orderCache.set(template, perTemplate);
  }
  const cached = perTemplate.get(key);
  if (cached) return cached;
  const active = Object.keys(template.Resources).filter((id) => {
    const condition = template.Resources[id]?.Condition;
    return condition === undefined || conditions[condition] === true;
  });
  const activeSet = new Set(active);
  const all = rawDependencies(template);
  const deps: Record<string, string[]> = {};
  for (const id of active) deps[id] = (all[id] ?? []).filter((r) => activeSet.has(r));
  const order: string[] = [];
  const state: Record<string, 0 | 1 | 2> = {};
  const visit = (id: string, path: string[]): void => {
    if (state[id] === 2) return;
    if (state[id] === 1) {
      const cycle = path.slice(path.indexOf(id));
      throw new AwsError('ValidationError', `Circular dependency between resources: [${cycle.join(', ')}]`);
    }
    state[id] = 1;
    for (const dep of deps[id] ?? []) visit(dep, [...path, id]);
    state[id] = 2;
    order.push(id);
  };
  for (const id of active) visit(id, []);
  const result = { order, deps };
  perTemplate.set(key, result);
  return result;
}

export interface PlanInput {
  stack: StackIdentity;
  template: ParsedTemplate;
  parameters: Record<string, string | string[]>;
  /** Deployed state to diff against (absent for a new stack). */
  previous?: {
    template: ParsedTemplate;
    parameters: Record<string, string | string[]>;
    resources: Record<string, ResourceRecord>;
  };
  /** Give new/replaced resources their physical ids now (execution) or leave them unknown (change set preview). */
  assignIds: boolean;
  /** Seed for new physical ids (differs per operation). */
  idSeed: string;
}

/** Resolves the template for a deployment and diffs it against what is deployed. */
export function planStack(env: PlanEnv, input: PlanInput): StackPlan {
  const { template, stack } = input;
  const baseCtx = evalContext(env, stack, template, input.parameters, {});
  const conditions = evaluateConditions(template, baseCtx);
  const { order, deps } = orderResources(template, conditions);

  const prev = input.previous;
  const oldPhysical: Record<string, { type: string; physicalId?: string }> = {};
  let oldProps: Record<string, Record<string, unknown>> = {};
  const oldRaw: Record<string, Record<string, unknown>> = {};
  if (prev) {
    for (const [id, r] of Object.entries(prev.resources)) {
      if (r.status === 'DELETE_COMPLETE') continue;
      oldPhysical[id] = { type: r.type, physicalId: r.physicalId };
    }
    oldProps = resolveAll(env, stack, prev.template, prev.parameters, oldPhysical);
    for (const [id, r] of Object.entries(prev.template.Resources)) oldRaw[id] = r.Properties ?? {};
  }

  const newPhysical: Record<string, { type: string; physicalId?: string }> = {};
  const desired: Record<string, DesiredResource> = {};
  const diffs: ResourceDiff[] = [];
  const changedParams = new Set<string>();
  if (prev) {
    for (const key of new Set([...Object.keys(prev.parameters), ...Object.keys(input.parameters)])) {
      if (!sameValue(prev.parameters[key], input.parameters[key])) changedParams.add(key);
    }
  }
  const replaced = new Set<string>();
  const ctx = evalContext(env, stack, template, input.parameters, newPhysical);
  ctx.conditions = conditions;
  for (const id of order) {
    const resource = template.Resources[id];
    if (!resource) continue;
    const rawProperties = (resource.Properties ?? {}) as Record<string, unknown>;
    // A new stack needs only the naming property resolved (full properties cost time at 10,000 stacks).
    const nameProp = nameProperty(resource.Type);
    const properties = prev
      ? ((resolveValue(resource.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>)
      : nameProp && rawProperties[nameProp] !== undefined
        ? { [nameProp]: resolveValue(rawProperties[nameProp] as TemplateValue, ctx) }
        : {};
    desired[id] = { logicalId: id, type: resource.Type, properties, rawProperties, deps: deps[id] ?? [] };
    const old = oldPhysical[id];
    const assignNew = (): string | undefined => {
      if (!input.assignIds) return undefined;
      const explicit = nameProp ? properties[nameProp] : undefined;
      return physicalIdFor({
        type: resource.Type,
        logicalId: id,
        stackName: stack.stackName,
        accountId: env.accountId,
        region: env.region,
        explicitName: typeof explicit === 'string' && !containsUnresolved(explicit) ? explicit : undefined,
        seed: `${input.idSeed}/${id}`,
      });
    };
    if (!old || old.type !== resource.Type) {
      if (old && old.type !== resource.Type) {
        throw new AwsError(
          'ValidationError',
          `Update of resource type is not permitted. The new template modifies resource type of the following resources: [${id}]`,
        );
      }
      const physicalId = assignNew();
      newPhysical[id] = { type: resource.Type, physicalId };
      const diff: ResourceDiff = {
        logicalId: id,
        type: resource.Type,
        action: 'Add',
        replacement: 'False',
        changes: [],
      };
      if (physicalId !== undefined) diff.physicalId = physicalId;
      diffs.push(diff);
      continue;
    }
    const before = oldProps[id] ?? {};
    const changes: PropertyChange[] = [];
    for (const name of new Set([...Object.keys(before), ...Object.keys(properties)])) {
      if (sameValue(before[name], properties[name])) continue;
      const dynamic = containsUnresolved(properties[name]);
      const change: PropertyChange = {
        name,
        recreation: recreationFor(resource.Type, name),
        evaluation: dynamic ? 'Dynamic' : 'Static',
        changeSource: 'DirectModification',
        before: before[name],
        after: properties[name],
      };
      if (sameValue(oldRaw[id]?.[name], rawProperties[name])) {
        const refs = [...collectReferences(rawProperties[name] ?? null)];
        const resourceRef = refs.find((r) => replaced.has(r) || (desired[r] && !oldPhysical[r]));
        if (resourceRef) {
          change.changeSource = JSON.stringify(rawProperties[name]).includes('Fn::GetAtt')
            ? 'ResourceAttribute'
            : 'ResourceReference';
          change.causingEntity = resourceRef;
        } else {
          const param = refs.find((r) => changedParams.has(r));
          change.changeSource = 'ParameterReference';
          if (param) change.causingEntity = param;
        }
      }
      changes.push(change);
    }
    if (changes.length === 0) {
      newPhysical[id] = { type: resource.Type, physicalId: old.physicalId };
      diffs.push({
        logicalId: id,
        type: resource.Type,
        action: 'None',
        replacement: 'False',
        changes: [],
        ...(old.physicalId ? { oldPhysicalId: old.physicalId, physicalId: old.physicalId } : {}),
      });
      continue;
    }
    let replacement: ResourceDiff['replacement'] = 'False';
    for (const change of changes) {
      if (change.recreation === Recreation.Always && change.evaluation === 'Static') replacement = 'True';
      else if (change.recreation !== Recreation.Never && replacement === 'False') replacement = 'Conditional';
    }
    const physicalId = replacement === 'True' ? assignNew() : old.physicalId;
    if (replacement === 'True') replaced.add(id);
    newPhysical[id] = {
      type: resource.Type,
      physicalId: replacement === 'True' && !input.assignIds ? undefined : physicalId,
    };
    const diff: ResourceDiff = { logicalId: id, type: resource.Type, action: 'Modify', replacement, changes };
    if (old.physicalId !== undefined) diff.oldPhysicalId = old.physicalId;
    if (physicalId !== undefined) diff.physicalId = physicalId;
    diffs.push(diff);
  }
  for (const [id, old] of Object.entries(oldPhysical)) {
    if (desired[id]) continue;
    const diff: ResourceDiff = {
      logicalId: id,
      type: old.type,
      action: 'Remove',
      replacement: 'False',
      changes: [],
    };
    if (old.physicalId !== undefined) diff.oldPhysicalId = old.physicalId;
    diffs.push(diff);
  }
  return prev
    ? { template, conditions, order, desired, diffs, previousProperties: oldProps }
    : { template, conditions, order, desired, diffs };
}

/** Resolved properties of every active resource of a deployed stack (physical ids known). */
export function resolveAll(
  env: PlanEnv,
  stack: StackIdentity,
  template: ParsedTemplate,
  parameters: Record<string, string | string[]>,
  physical: Record<string, { type: string; physicalId?: string }>,
): Record<string, Record<string, unknown>> {
  const ctx = evalContext(env, stack, template, parameters, physical);
  ctx.conditions = evaluateConditions(template, ctx);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && ctx.conditions[resource.Condition] !== true) continue;
    try {
      out[id] = (resolveValue(resource.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>;
    } catch {
      out[id] = {};
    }
  }
  return out;
}

/** Outputs of a deployed stack (conditions honoured; exports named). */
export function evaluateOutputs(
  env: PlanEnv,
  stack: StackIdentity,
  template: ParsedTemplate,
  parameters: Record<string, string | string[]>,
  physical: Record<string, { type: string; physicalId?: string }>,
): OutputRecord[] {
  const ctx = evalContext(env, stack, template, parameters, physical);
  ctx.conditions = evaluateConditions(template, ctx);
  const outputs: OutputRecord[] = [];
  for (const [key, output] of Object.entries(template.Outputs)) {
    if (output.Condition !== undefined && ctx.conditions[output.Condition] !== true) continue;
    const value = resolveValue(output.Value, ctx);
    const record: OutputRecord = {
      OutputKey: key,
      OutputValue: Array.isArray(value) ? value.join(',') : String(value ?? ''),
    };
    if (output.Description !== undefined) record.Description = output.Description;
    if (output.Export?.Name !== undefined)
      record.ExportName = String(resolveValue(output.Export.Name, ctx) ?? '');
    outputs.push(record);
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------
// Durations and faults

/** Milliseconds a resource of `type` takes, drawn deterministically from the scenario's durations. */
export function durationMs(world: SandboxWorld, type: string, key: string): number {
  const durations = world.scenario.durations ?? {};
  const spec = durations[type] ?? durations.default ?? DEFAULT_DURATION_S;
  if (typeof spec === 'number') return Math.round(spec * 1000);
  const [min, max] = spec;
  return Math.round((min + (max - min) * world.random(key)) * 1000);
}

/** Like `durationMs`, but types the scenario rarely lists (change sets, drift checks) fall back to their own default, not the resource default. */
export function durationOr(world: SandboxWorld, type: string, key: string, fallbackSeconds: number): number {
  if (world.scenario.durations?.[type] !== undefined) return durationMs(world, type, key);
  return Math.round(fallbackSeconds * 1000);
}

type FaultPhase = 'create' | 'update' | 'delete' | 'rollback' | 'import';

function ruleApplies(
  rule: ResourceFailureRule,
  env: PlanEnv,
  phase: FaultPhase,
  logicalId: string,
  type: string,
): boolean {
  if (rule.accounts && !rule.accounts.includes(env.accountId)) return false;
  if (rule.regions && !rule.regions.includes(env.region)) return false;
  if (rule.logicalId !== undefined && rule.logicalId !== logicalId) return false;
  if (rule.resourceType !== undefined && rule.resourceType !== type) return false;
  const on = rule.on ?? 'any';
  if (on === 'any') return phase === 'create' || phase === 'update' || phase === 'import';
  return on === phase;
}

/** The first resource (in order of finishing) a fault rule makes fail, with its reason; records the firing. */
function pickFailure(
  env: PlanEnv,
  phase: FaultPhase,
  candidates: Array<{ logicalId: string; type: string }>,
): { logicalId: string; reason: string } | undefined {
  const rules: Array<[string, ResourceFailureRule]> = [
    ...(env.world.scenario.faults?.resourceFailures ?? []).map(
      (r, i) => [`scenario:${i}`, r as ResourceFailureRule] as [string, ResourceFailureRule],
    ),
    ...env.section.injectedFailures.map((r, i) => [`injected:${i}`, r] as [string, ResourceFailureRule]),
  ];
  if (rules.length === 0) return undefined;
  for (const candidate of candidates) {
    for (const [key, rule] of rules) {
      if (!ruleApplies(rule, env, phase, candidate.logicalId, candidate.type)) continue;
      const fired = env.section.firedFailures[key] ?? 0;
      if (rule.times !== undefined && fired >= rule.times) continue;
      env.section.firedFailures[key] = fired + 1;
      return {
        logicalId: candidate.logicalId,
        reason:
          rule.reason ??
          `Resource handler returned message: "Simulated ${phase} failure of ${candidate.logicalId} (sandbox scenario)" (HandlerErrorCode: GeneralServiceException)`,
      };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Waves: a set of resource actions run in dependency order, independent ones in parallel.

interface WaveItem {
  logicalId: string;
  type: string;
  /** Must finish before this one starts. */
  after: string[];
  duration: number;
  inProgress: string;
  complete: string;
  failed: string;
  cancelledReason: string;
  /** Physical id shown once the action started (create: the new id). */
  physicalId?: string;
  startReason?: string;
  /** AWS's second IN_PROGRESS event once the handler has the physical id ("Resource creation Initiated"). */
  initiatedReason?: string;
}

interface WaveResult {
  events: StoredEvent[];
  end: number;
  completed: string[];
  failed?: { logicalId: string; reason: string };
  cancelled: string[];
  /** Items that never started because the wave stopped. */
  skipped: string[];
  /** The wave hit its deadline (the stack's TimeoutInMinutes) before finishing. */
  timedOut?: boolean;
}

/** One resource event, built with a fixed shape (object spreads here cost more than the whole schedule). */
function resourceEvent(
  at: number,
  item: WaveItem,
  status: string,
  reason: string | undefined,
  physicalId: string | undefined,
): StoredEvent {
  const event: StoredEvent = { at, logicalId: item.logicalId, type: item.type, status };
  if (physicalId !== undefined) event.physicalId = physicalId;
  if (reason !== undefined) event.reason = reason;
  return event;
}

/** How long a handler takes to fail a refused call (the first API call is refused at once). */
const REFUSAL_MS = 1000;

function runWave(
  env: PlanEnv,
  phase: FaultPhase,
  items: WaveItem[],
  start: number,
  deadline = Number.POSITIVE_INFINITY,
  check?: WaveCheck,
): WaveResult {
  const times = new Map<string, { start: number; end: number }>();
  const byId = new Map(items.map((i) => [i.logicalId, i]));
  const visiting = new Set<string>();
  const timeOf = (item: WaveItem): { start: number; end: number } => {
    const known = times.get(item.logicalId);
    if (known) return known;
    visiting.add(item.logicalId);
    let s = start;
    for (const dep of item.after) {
      const d = byId.get(dep);
      if (d && !visiting.has(dep)) s = Math.max(s, timeOf(d).end);
    }
    visiting.delete(item.logicalId);
    const t = { start: s, end: s + item.duration };
    times.set(item.logicalId, t);
    return t;
  };
  for (const item of items) timeOf(item);
  const byEnd = [...items].sort(
    (a, b) => (times.get(a.logicalId)?.end ?? 0) - (times.get(b.logicalId)?.end ?? 0),
  );
  // Plan-time checks (IAM and service rules) in order of starting: the first refusal wins.
  let refused: { logicalId: string; reason: string; at: number } | undefined;
  if (check) {
    const byStart = [...items].sort(
      (a, b) => (times.get(a.logicalId)?.start ?? 0) - (times.get(b.logicalId)?.start ?? 0),
    );
    for (const item of byStart) {
      const t = times.get(item.logicalId) as { start: number; end: number };
      if (refused && t.start >= refused.at) break;
      const completed = items
        .filter((o) => o !== item && (times.get(o.logicalId)?.end ?? Number.POSITIVE_INFINITY) <= t.start)
        .map((o) => o.logicalId);
      const reason = check(item, t.start, completed);
      if (reason === undefined) continue;
      const at = t.start + Math.min(item.duration, REFUSAL_MS);
      if (!refused || at < refused.at) refused = { logicalId: item.logicalId, reason, at };
    }
  }
  const scenarioCandidates = refused
    ? byEnd.filter((i) => (times.get(i.logicalId)?.end ?? 0) < (refused as { at: number }).at)
    : byEnd;
  const picked = pickFailure(env, phase, scenarioCandidates);
  let failure: { logicalId: string; reason: string; at: number } | undefined = picked
    ? { ...picked, at: times.get(picked.logicalId)?.end ?? start }
    : refused;
  let failAt = failure ? failure.at : Number.POSITIVE_INFINITY;
  const lastEnd =
    byEnd.length > 0 ? (times.get((byEnd[byEnd.length - 1] as WaveItem).logicalId)?.end ?? start) : start;
  // The deadline matters only if it comes before the wave would finish or fail on its own.
  const timedOut = deadline < lastEnd && deadline < failAt;
  if (timedOut) {
    failure = undefined;
    failAt = deadline;
  }
  const events: StoredEvent[] = [];
  const completed: string[] = [];
  const cancelled: string[] = [];
  const skipped: string[] = [];
  const cancellations: StoredEvent[] = [];
  let end = start;
  for (const item of items) {
    const t = times.get(item.logicalId) as { start: number; end: number };
    const isFailed = failure?.logicalId === item.logicalId;
    if (!isFailed && t.start >= failAt) {
      skipped.push(item.logicalId);
      continue;
    }
    events.push(resourceEvent(t.start, item, item.inProgress, item.startReason, undefined));
    if (item.initiatedReason && item.physicalId) {
      events.push(resourceEvent(t.start, item, item.inProgress, item.initiatedReason, item.physicalId));
    }
    if (isFailed && failure) {
      events.push(resourceEvent(failure.at, item, item.failed, failure.reason, item.physicalId));
      end = Math.max(end, failure.at);
    } else if (t.end <= failAt) {
      events.push(resourceEvent(t.end, item, item.complete, undefined, item.physicalId));
      completed.push(item.logicalId);
      end = Math.max(end, t.end);
    } else {
      cancellations.push(resourceEvent(failAt, item, item.failed, item.cancelledReason, item.physicalId));
      cancelled.push(item.logicalId);
      end = Math.max(end, failAt);
    }
  }
  // Cancellations follow the failure that caused them (same timestamp; the sort is stable).
  events.push(...cancellations);
  events.sort((a, b) => a.at - b.at);
  const result: WaveResult = { events, end, completed, cancelled, skipped };
  if (failure) result.failed = { logicalId: failure.logicalId, reason: failure.reason };
  if (timedOut) result.timedOut = true;
  return result;
}

/** Dependents-first order: an item waits for everything that depends on it (deletes). */
function reverseDeps(ids: string[], deps: Record<string, string[]>): Record<string, string[]> {
  const set = new Set(ids);
  const out: Record<string, string[]> = {};
  for (const id of ids) out[id] = [];
  for (const id of ids) {
    for (const dep of deps[id] ?? []) if (set.has(dep)) out[dep]?.push(id);
  }
  return out;
}

function stackEvent(at: number, status: string, reason?: string): StoredEvent {
  return reason === undefined ? { at, status } : { at, status, reason };
}

export interface ScheduledOperation {
  op: OperationRecord;
  pending: PendingResult;
}

interface OpBase {
  env: PlanEnv;
  stack: StackRecord;
  kind: OperationKind;
  token?: string;
  opId: string;
  /** The stack's resources when the operation starts. */
  resources: Record<string, ResourceRecord>;
}

function deleteItems(
  env: PlanEnv,
  opId: string,
  resources: Array<{ logicalId: string; type: string; physicalId?: string; quick?: boolean }>,
  deps: Record<string, string[]>,
  retain: Set<string> = new Set(),
): WaveItem[] {
  const rev = reverseDeps(
    resources.map((r) => r.logicalId),
    deps,
  );
  return resources.map((r) => {
    const item: WaveItem = {
      logicalId: r.logicalId,
      type: r.type,
      after: rev[r.logicalId] ?? [],
      duration:
        r.quick || retain.has(r.logicalId)
          ? CLEANUP_MS
          : durationMs(env.world, r.type, `${opId}/${r.logicalId}/delete`),
      inProgress: 'DELETE_IN_PROGRESS',
      complete: retain.has(r.logicalId) ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE',
      failed: 'DELETE_FAILED',
      cancelledReason: 'Resource deletion cancelled',
    };
    if (r.physicalId !== undefined) item.physicalId = r.physicalId;
    return item;
  });
}

function finish(base: OpBase, events: StoredEvent[], pending: Omit<PendingResult, 'at'>): ScheduledOperation {
  let endAt = base.env.now;
  for (const e of events) if (e.at > endAt) endAt = e.at;
  const op = packOperation(
    {
      id: base.opId,
      kind: base.kind,
      startedAt: base.env.now,
      endAt,
      ...(base.token !== undefined ? { token: base.token } : {}),
    },
    events,
  );
  const result: PendingResult = { ...pending, at: endAt };
  // Unchanged configuration is not stored twice (10,000 stacks).
  if (result.config === base.stack.config) delete result.config;
  return { op, pending: result };
}

function livePhysical(
  resources: Record<string, ResourceRecord>,
): Record<string, { type: string; physicalId?: string }> {
  const out: Record<string, { type: string; physicalId?: string }> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.status !== 'DELETE_COMPLETE' && r.status !== 'DELETE_SKIPPED')
      out[id] = { type: r.type, physicalId: r.physicalId };
  }
  return out;
}

/** The plan-time checks of a wave of the operation (undefined when no actor is known). */
function waveCheck(
  base: OpBase,
  template: ParsedTemplate,
  parameters: Record<string, string | string[]>,
  conditions: Record<string, boolean> | undefined,
  physical: Record<string, { type: string; physicalId?: string }>,
  resources: Record<string, CheckedResource>,
): WaveCheck | undefined {
  const { env, stack } = base;
  if (!env.actor || Object.keys(resources).length === 0) return undefined;
  const ctx = evalContext(env, stack, template, parameters, physical);
  ctx.conditions = conditions ?? evaluateConditions(template, ctx);
  return resourceChecks(env.world, {
    actor: env.actor,
    accountId: env.accountId,
    region: env.region,
    stackId: stack.stackId,
    stackName: stack.stackName,
    ctx,
    resources,
    seed: base.opId,
  });
}

function cdkPath(template: ParsedTemplate, logicalId: string): string | undefined {
  const metadata = template.Resources[logicalId]?.Metadata as Record<string, unknown> | undefined;
  const path = metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

function checked(
  template: ParsedTemplate,
  logicalId: string,
  entry: Omit<CheckedResource, 'metadataPath' | 'rawProperties'> & {
    rawProperties?: Record<string, unknown>;
  },
): CheckedResource {
  const out: CheckedResource = {
    ...entry,
    rawProperties:
      entry.rawProperties ?? ((template.Resources[logicalId]?.Properties ?? {}) as Record<string, unknown>),
  };
  const path = cdkPath(template, logicalId);
  if (path) out.metadataPath = path;
  return out;
}

export interface CreateInput {
  plan: StackPlan;
  config: StackConfig;
  parameters: Record<string, string | string[]>;
  onFailure: 'ROLLBACK' | 'DO_NOTHING' | 'DELETE';
  changeSetId?: string;
}

/** CREATE: resources in dependency order; a failure cancels the rest and rolls back (or stops, or deletes). */
export function scheduleCreate(base: OpBase, input: CreateInput): ScheduledOperation {
  const { env, stack } = base;
  const t0 = env.now;
  const events: StoredEvent[] = [stackEvent(t0, 'CREATE_IN_PROGRESS', 'User Initiated')];
  const physicalIds = new Map<string, string>();
  for (const d of input.plan.diffs)
    if (d.physicalId !== undefined) physicalIds.set(d.logicalId, d.physicalId);
  const items: WaveItem[] = input.plan.order.map((id) => {
    const desired = input.plan.desired[id] as DesiredResource;
    const item: WaveItem = {
      logicalId: id,
      type: desired.type,
      after: desired.deps,
      duration: durationMs(env.world, desired.type, `${base.opId}/${id}/create`),
      inProgress: 'CREATE_IN_PROGRESS',
      complete: 'CREATE_COMPLETE',
      failed: 'CREATE_FAILED',
      cancelledReason: 'Resource creation cancelled',
      initiatedReason: 'Resource creation Initiated',
    };
    const physicalId = physicalIds.get(id);
    if (physicalId !== undefined) item.physicalId = physicalId;
    return item;
  });
  const deadline =
    input.config.timeoutInMinutes !== undefined && input.config.timeoutInMinutes > 0
      ? t0 + input.config.timeoutInMinutes * 60_000
      : Number.POSITIVE_INFINITY;
  const createPhysical: Record<string, { type: string; physicalId?: string }> = {};
  const createChecked: Record<string, CheckedResource> = {};
  for (const item of items) {
    createPhysical[item.logicalId] = { type: item.type, physicalId: item.physicalId };
    createChecked[item.logicalId] = checked(input.plan.template, item.logicalId, {
      type: item.type,
      phase: 'create',
      rawProperties: (input.plan.desired[item.logicalId] as DesiredResource).rawProperties,
      ...(item.physicalId !== undefined ? { physicalId: item.physicalId } : {}),
    });
  }
  const check = waveCheck(
    base,
    input.plan.template,
    input.parameters,
    input.plan.conditions,
    createPhysical,
    createChecked,
  );
  const wave = runWave(env, 'create', items, t0 + PHASE_GAP_MS, deadline, check);
  for (const e of wave.events) events.push(e);
  const common = {
    config: input.config,
    repairedDrift: [] as string[],
    ...(input.changeSetId ? { changeSetId: input.changeSetId } : {}),
  };
  if (!wave.failed && !wave.timedOut) {
    const physical: Record<string, { type: string; physicalId?: string }> = {};
    for (const item of items) physical[item.logicalId] = { type: item.type, physicalId: item.physicalId };
    events.push(stackEvent(wave.end + PHASE_GAP_MS, 'CREATE_COMPLETE'));
    const outputs = evaluateOutputs(env, stack, input.plan.template, input.parameters, physical);
    return finish(base, events, { ...common, status: 'CREATE_COMPLETE', outputs });
  }
  const failedIds = wave.failed ? [wave.failed.logicalId, ...wave.cancelled] : wave.cancelled;
  const failedReason = wave.timedOut
    ? 'Stack creation time exceeded the specified timeout. '
    : `The following resource(s) failed to create: [${failedIds.join(', ')}]. `;
  let t = wave.end + PHASE_GAP_MS;
  if (input.onFailure === 'DO_NOTHING') {
    events.push(stackEvent(t, 'CREATE_FAILED', failedReason));
    return finish(base, events, { ...common, status: 'CREATE_FAILED', reason: failedReason, outputs: [] });
  }
  events.push(stackEvent(t, 'ROLLBACK_IN_PROGRESS', `${failedReason}Rollback requested by user.`));
  const touched = [...wave.completed, ...failedIds];
  const typeOf = new Map(items.map((i) => [i.logicalId, i.type]));
  const rollbackItems = deleteItems(
    env,
    base.opId,
    touched.map((id) => {
      const r = {
        logicalId: id,
        type: typeOf.get(id) ?? 'AWS::CloudFormation::CustomResource',
        quick: id !== wave.failed?.logicalId && !wave.completed.includes(id),
      };
      const physicalId = physicalIds.get(id);
      return physicalId ? { ...r, physicalId } : r;
    }),
    Object.fromEntries(items.map((i) => [i.logicalId, i.after])),
  );
  const rollback = runWave(env, 'rollback', rollbackItems, t + PHASE_GAP_MS);
  for (const e of rollback.events) events.push(e);
  t = Math.max(rollback.end, t + PHASE_GAP_MS) + PHASE_GAP_MS;
  if (rollback.failed) {
    const reason = `The following resource(s) failed to delete: [${rollback.failed.logicalId}]. `;
    events.push(stackEvent(t, 'ROLLBACK_FAILED', reason));
    return finish(base, events, { ...common, status: 'ROLLBACK_FAILED', reason, outputs: [] });
  }
  events.push(stackEvent(t, 'ROLLBACK_COMPLETE'));
  if (input.onFailure === 'DELETE') {
    events.push(stackEvent(t + PHASE_GAP_MS, 'DELETE_IN_PROGRESS', 'User Initiated'));
    events.push(stackEvent(t + 2 * PHASE_GAP_MS, 'DELETE_COMPLETE'));
    return finish(base, events, { ...common, status: 'DELETE_COMPLETE', outputs: [] });
  }
  return finish(base, events, { ...common, status: 'ROLLBACK_COMPLETE', outputs: [] });
}

export interface UpdateInput {
  plan: StackPlan;
  /** The configuration the update moves to. */
  config: StackConfig;
  parameters: Record<string, string | string[]>;
  /** Deployed template/parameters (for the cleanup order and rollback). */
  previousTemplate: ParsedTemplate;
  changeSetId?: string;
  /** Drift the update repairs (REVERT_DRIFT change sets): these resources get an update event. */
  revertDrift?: string[];
}

const REPLACEMENT_REASON =
  'Requested update requires the creation of a new physical resource; hence creating one.';

/** UPDATE: adds, modifies and replacements in dependency order, then cleanup; a failure rolls back. */
export function scheduleUpdate(base: OpBase, input: UpdateInput): ScheduledOperation {
  const { env, stack } = base;
  const t0 = env.now;
  const events: StoredEvent[] = [stackEvent(t0, 'UPDATE_IN_PROGRESS', 'User Initiated')];
  const revert = new Set(input.revertDrift ?? []);
  const acting = input.plan.diffs.filter(
    (d) => d.action === 'Add' || d.action === 'Modify' || (d.action === 'None' && revert.has(d.logicalId)),
  );
  const actingIds = new Set(acting.map((d) => d.logicalId));
  const items: WaveItem[] = acting.map((d) => {
    const desired = input.plan.desired[d.logicalId] as DesiredResource;
    const isAdd = d.action === 'Add';
    const replace = d.replacement === 'True';
    const item: WaveItem = {
      logicalId: d.logicalId,
      type: d.type,
      after: desired.deps.filter((x) => actingIds.has(x)),
      duration: durationMs(env.world, d.type, `${base.opId}/${d.logicalId}/update`),
      inProgress: isAdd ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS',
      complete: isAdd ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE',
      failed: isAdd ? 'CREATE_FAILED' : 'UPDATE_FAILED',
      cancelledReason: isAdd ? 'Resource creation cancelled' : 'Resource update cancelled',
    };
    if (isAdd) item.initiatedReason = 'Resource creation Initiated';
    if (replace) {
      item.startReason = REPLACEMENT_REASON;
      item.initiatedReason = 'Resource creation Initiated';
    }
    if (d.physicalId !== undefined) item.physicalId = d.physicalId;
    return item;
  });
  const updatePhysical: Record<string, { type: string; physicalId?: string }> = {};
  for (const d of input.plan.diffs) {
    if (d.action === 'Remove') continue;
    updatePhysical[d.logicalId] = {
      type: d.type,
      physicalId: d.physicalId ?? base.resources[d.logicalId]?.physicalId,
    };
  }
  const updateChecked: Record<string, CheckedResource> = {};
  for (const d of acting) {
    if (d.action === 'None') continue; // a drift revert re-applies the template: no new calls to check
    const replace = d.replacement === 'True';
    const entry: CheckedResource = checked(input.plan.template, d.logicalId, {
      type: d.type,
      phase: d.action === 'Add' || replace ? 'create' : 'update',
      rawProperties: (input.plan.desired[d.logicalId] as DesiredResource).rawProperties,
      ...(updatePhysical[d.logicalId]?.physicalId !== undefined
        ? { physicalId: updatePhysical[d.logicalId]?.physicalId as string }
        : {}),
    });
    const previous = input.plan.previousProperties?.[d.logicalId];
    if (previous && d.action === 'Modify' && !replace) entry.previous = previous;
    updateChecked[d.logicalId] = entry;
  }
  const updateCheck = waveCheck(
    base,
    input.plan.template,
    input.parameters,
    input.plan.conditions,
    updatePhysical,
    updateChecked,
  );
  const wave = runWave(env, 'update', items, t0 + PHASE_GAP_MS, Number.POSITIVE_INFINITY, updateCheck);
  for (const e of wave.events) events.push(e);
  const oldDeps = rawDependencies(input.previousTemplate);
  const newDeps = Object.fromEntries(Object.values(input.plan.desired).map((d) => [d.logicalId, d.deps]));
  const common = {
    repairedDrift: [] as string[],
    ...(input.changeSetId ? { changeSetId: input.changeSetId } : {}),
  };
  if (!wave.failed) {
    let t = wave.end + PHASE_GAP_MS;
    events.push(stackEvent(t, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'));
    const effectsAt = t;
    const cleanup: Array<{ logicalId: string; type: string; physicalId?: string }> = [];
    for (const d of input.plan.diffs) {
      if (d.action !== 'Remove' && !(d.action === 'Modify' && d.replacement === 'True')) continue;
      cleanup.push(
        d.oldPhysicalId === undefined
          ? { logicalId: d.logicalId, type: d.type }
          : { logicalId: d.logicalId, type: d.type, physicalId: d.oldPhysicalId },
      );
    }
    const retainIds = new Set(
      cleanup
        .filter((r) => {
          const res = input.previousTemplate.Resources[r.logicalId];
          return res?.DeletionPolicy === 'Retain' || res?.UpdateReplacePolicy === 'Retain';
        })
        .map((r) => r.logicalId),
    );
    const cleanupWave = runWave(
      env,
      'delete',
      deleteItems(env, base.opId, cleanup, oldDeps, retainIds),
      t + PHASE_GAP_MS,
    );
    for (const e of cleanupWave.events) events.push(e);
    t = Math.max(cleanupWave.end, t) + PHASE_GAP_MS;
    events.push(stackEvent(t, 'UPDATE_COMPLETE'));
    const physical: Record<string, { type: string; physicalId?: string }> = {};
    for (const d of input.plan.diffs) {
      if (d.action === 'Remove') continue;
      physical[d.logicalId] = {
        type: d.type,
        physicalId: d.physicalId ?? base.resources[d.logicalId]?.physicalId,
      };
    }
    const repaired = input.plan.diffs
      .filter((d) => d.action === 'Modify' || revert.has(d.logicalId))
      .map((d) => d.logicalId);
    const outputs = evaluateOutputs(env, stack, input.plan.template, input.parameters, physical);
    return finish(base, events, {
      ...common,
      repairedDrift: repaired,
      effectsAt,
      config: input.config,
      status: 'UPDATE_COMPLETE',
      outputs,
    });
  }
  const failedIds = [wave.failed.logicalId, ...wave.cancelled];
  const failedAdd = acting.find((d) => d.logicalId === wave.failed?.logicalId)?.action === 'Add';
  const failedReason = `The following resource(s) failed to ${failedAdd ? 'create' : 'update'}: [${failedIds.join(', ')}]. `;
  let t = wave.end + PHASE_GAP_MS;
  if (stack.config.disableRollback || input.config.disableRollback) {
    events.push(stackEvent(t, 'UPDATE_FAILED', failedReason));
    return finish(base, events, {
      ...common,
      config: input.config,
      status: 'UPDATE_FAILED',
      reason: failedReason,
      outputs: stack.outputs,
    });
  }
  events.push(stackEvent(t, 'UPDATE_ROLLBACK_IN_PROGRESS', failedReason));
  // Roll back modified resources to their previous configuration (in old dependency order).
  const touched = new Set([...wave.completed, ...failedIds]);
  const rollbackModify = acting.filter((d) => d.action !== 'Add' && touched.has(d.logicalId));
  const rollbackIds = new Set(rollbackModify.map((d) => d.logicalId));
  const rollbackItems: WaveItem[] = rollbackModify.map((d) => {
    const item: WaveItem = {
      logicalId: d.logicalId,
      type: d.type,
      after: (oldDeps[d.logicalId] ?? []).filter((x) => rollbackIds.has(x)),
      duration: durationMs(env.world, d.type, `${base.opId}/${d.logicalId}/rollback`),
      inProgress: 'UPDATE_IN_PROGRESS',
      complete: 'UPDATE_COMPLETE',
      failed: 'UPDATE_FAILED',
      cancelledReason: 'Resource update cancelled',
    };
    if (d.oldPhysicalId !== undefined) item.physicalId = d.oldPhysicalId;
    return item;
  });
  const rollback = runWave(env, 'rollback', rollbackItems, t + PHASE_GAP_MS);
  for (const e of rollback.events) events.push(e);
  t = Math.max(rollback.end, t + PHASE_GAP_MS) + PHASE_GAP_MS;
  if (rollback.failed) {
    const reason = `The following resource(s) failed to update: [${rollback.failed.logicalId}]. `;
    events.push(stackEvent(t, 'UPDATE_ROLLBACK_FAILED', reason));
    return finish(base, events, {
      ...common,
      config: stack.config,
      status: 'UPDATE_ROLLBACK_FAILED',
      reason,
      outputs: stack.outputs,
    });
  }
  events.push(stackEvent(t, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'));
  // Delete what the failed update created: added resources and new replacement resources.
  const created = acting
    .filter((d) => touched.has(d.logicalId) && (d.action === 'Add' || d.replacement === 'True'))
    .map((d) => {
      const r = { logicalId: d.logicalId, type: d.type, quick: !wave.completed.includes(d.logicalId) };
      return d.physicalId ? { ...r, physicalId: d.physicalId } : r;
    });
  const cleanup = runWave(env, 'delete', deleteItems(env, base.opId, created, newDeps), t + PHASE_GAP_MS);
  for (const e of cleanup.events) events.push(e);
  t = Math.max(cleanup.end, t) + PHASE_GAP_MS;
  events.push(stackEvent(t, 'UPDATE_ROLLBACK_COMPLETE'));
  return finish(base, events, {
    ...common,
    config: stack.config,
    status: 'UPDATE_ROLLBACK_COMPLETE',
    outputs: stack.outputs,
  });
}

/** DELETE: every live resource, dependents first; `Retain` and `RetainResources` are skipped. */
export function scheduleDelete(
  base: OpBase,
  template: ParsedTemplate | undefined,
  retainResources: string[],
  parameters: Record<string, string | string[]> = {},
): ScheduledOperation {
  const { env, stack } = base;
  const t0 = env.now;
  const events: StoredEvent[] = [stackEvent(t0, 'DELETE_IN_PROGRESS', 'User Initiated')];
  const live = Object.entries(base.resources)
    .filter(([, r]) => r.status !== 'DELETE_COMPLETE' && r.status !== 'DELETE_SKIPPED')
    .map(([id, r]) =>
      r.physicalId
        ? { logicalId: id, type: r.type, physicalId: r.physicalId }
        : { logicalId: id, type: r.type, quick: true },
    );
  const retain = new Set(retainResources);
  if (template) {
    for (const [id, r] of Object.entries(template.Resources))
      if (r.DeletionPolicy === 'Retain') retain.add(id);
  }
  const deps = template ? rawDependencies(template) : {};
  const deleteChecked: Record<string, CheckedResource> = {};
  const deletePhysical: Record<string, { type: string; physicalId?: string }> = {};
  for (const r of live) {
    deletePhysical[r.logicalId] = { type: r.type, physicalId: r.physicalId };
    if (template && r.physicalId !== undefined && !retain.has(r.logicalId)) {
      deleteChecked[r.logicalId] = checked(template, r.logicalId, {
        type: r.type,
        phase: 'delete',
        physicalId: r.physicalId,
      });
    }
  }
  const deleteCheck = template
    ? waveCheck(base, template, parameters, undefined, deletePhysical, deleteChecked)
    : undefined;
  const wave = runWave(
    env,
    'delete',
    deleteItems(env, base.opId, live, deps, retain),
    t0 + PHASE_GAP_MS,
    Number.POSITIVE_INFINITY,
    deleteCheck,
  );
  for (const e of wave.events) events.push(e);
  const t = Math.max(wave.end, t0) + PHASE_GAP_MS;
  if (wave.failed) {
    const reason = `The following resource(s) failed to delete: [${wave.failed.logicalId}]. `;
    events.push(stackEvent(t, 'DELETE_FAILED', reason));
    return finish(base, events, {
      config: stack.config,
      status: 'DELETE_FAILED',
      reason,
      outputs: stack.outputs,
      repairedDrift: [],
    });
  }
  events.push(stackEvent(t, 'DELETE_COMPLETE'));
  return finish(base, events, {
    config: stack.config,
    status: 'DELETE_COMPLETE',
    outputs: [],
    repairedDrift: [],
  });
}

/** ContinueUpdateRollback: the resources that failed to roll back are rolled back again (or skipped). */
export function scheduleContinueRollback(base: OpBase, skip: string[]): ScheduledOperation {
  const { env, stack } = base;
  const t0 = env.now;
  const events: StoredEvent[] = [stackEvent(t0, 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated')];
  const failed = Object.entries(base.resources).filter(([, r]) => r.status.endsWith('_FAILED'));
  const skipSet = new Set(skip);
  const items: WaveItem[] = [];
  for (const [id, r] of failed) {
    if (skipSet.has(id)) {
      events.push({
        at: t0 + PHASE_GAP_MS,
        logicalId: id,
        type: r.type,
        status: 'UPDATE_COMPLETE',
        reason: 'Resource skipped during UpdateRollback',
        ...(r.physicalId ? { physicalId: r.physicalId } : {}),
      });
      continue;
    }
    const item: WaveItem = {
      logicalId: id,
      type: r.type,
      after: [],
      duration: durationMs(env.world, r.type, `${base.opId}/${id}/rollback`),
      inProgress: 'UPDATE_IN_PROGRESS',
      complete: 'UPDATE_COMPLETE',
      failed: 'UPDATE_FAILED',
      cancelledReason: 'Resource update cancelled',
    };
    if (r.physicalId) item.physicalId = r.physicalId;
    items.push(item);
  }
  const wave = runWave(env, 'rollback', items, t0 + PHASE_GAP_MS);
  for (const e of wave.events) events.push(e);
  events.sort((a, b) => a.at - b.at);
  let t = Math.max(wave.end, t0 + PHASE_GAP_MS) + PHASE_GAP_MS;
  if (wave.failed) {
    const reason = `The following resource(s) failed to update: [${wave.failed.logicalId}]. `;
    events.push(stackEvent(t, 'UPDATE_ROLLBACK_FAILED', reason));
    return finish(base, events, {
      config: stack.config,
      status: 'UPDATE_ROLLBACK_FAILED',
      reason,
      outputs: stack.outputs,
      repairedDrift: [],
    });
  }
  events.push(stackEvent(t, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'));
  t += PHASE_GAP_MS;
  events.push(stackEvent(t, 'UPDATE_ROLLBACK_COMPLETE'));
  return finish(base, events, {
    config: stack.config,
    status: 'UPDATE_ROLLBACK_COMPLETE',
    outputs: stack.outputs,
    repairedDrift: [],
  });
}

export interface ImportInput {
  template: ParsedTemplate;
  config: StackConfig;
  parameters: Record<string, string | string[]>;
  imports: Array<{ logicalId: string; type: string; physicalId: string }>;
  changeSetId: string;
}

/**
 * IMPORT (from an IMPORT change set): existing physical resources come under the stack; a
 * failure rolls the import back (the resources are left alone, only forgotten by the stack).
 */
export function scheduleImport(base: OpBase, input: ImportInput): ScheduledOperation {
  const { env, stack } = base;
  const t0 = env.now;
  const events: StoredEvent[] = [stackEvent(t0, 'IMPORT_IN_PROGRESS', 'User Initiated')];
  const items: WaveItem[] = input.imports.map((r) => ({
    logicalId: r.logicalId,
    type: r.type,
    after: [],
    duration: CLEANUP_MS,
    inProgress: 'IMPORT_IN_PROGRESS',
    complete: 'IMPORT_COMPLETE',
    failed: 'IMPORT_FAILED',
    cancelledReason: 'Resource import cancelled',
    physicalId: r.physicalId,
  }));
  const wave = runWave(env, 'import', items, t0 + PHASE_GAP_MS);
  for (const e of wave.events) events.push(e);
  let t = wave.end + PHASE_GAP_MS;
  if (!wave.failed) {
    events.push(stackEvent(t, 'IMPORT_COMPLETE'));
    const physical = livePhysical(base.resources);
    for (const r of input.imports) physical[r.logicalId] = { type: r.type, physicalId: r.physicalId };
    const outputs = evaluateOutputs(env, stack, input.template, input.parameters, physical);
    return finish(base, events, {
      config: input.config,
      status: 'IMPORT_COMPLETE',
      outputs,
      repairedDrift: [],
      changeSetId: input.changeSetId,
    });
  }
  const reason = `The following resource(s) failed to import: [${[wave.failed.logicalId, ...wave.cancelled].join(', ')}]. `;
  events.push(stackEvent(t, 'IMPORT_ROLLBACK_IN_PROGRESS', `${reason}Rollback requested by user.`));
  const rollbackItems: WaveItem[] = input.imports
    .filter((r) => !wave.skipped.includes(r.logicalId))
    .map((r) => ({
      logicalId: r.logicalId,
      type: r.type,
      after: [],
      duration: CLEANUP_MS,
      inProgress: 'IMPORT_ROLLBACK_IN_PROGRESS',
      complete: 'IMPORT_ROLLBACK_COMPLETE',
      failed: 'IMPORT_ROLLBACK_FAILED',
      cancelledReason: 'Resource import rollback cancelled',
      physicalId: r.physicalId,
    }));
  const rollback = runWave(env, 'rollback', rollbackItems, t + PHASE_GAP_MS);
  for (const e of rollback.events) events.push(e);
  t = Math.max(rollback.end, t + PHASE_GAP_MS) + PHASE_GAP_MS;
  if (rollback.failed) {
    const failedReason = `The following resource(s) failed to roll back the import: [${rollback.failed.logicalId}]. `;
    events.push(stackEvent(t, 'IMPORT_ROLLBACK_FAILED', failedReason));
    return finish(base, events, {
      config: stack.config,
      status: 'IMPORT_ROLLBACK_FAILED',
      reason: failedReason,
      outputs: stack.outputs,
      repairedDrift: [],
      changeSetId: input.changeSetId,
    });
  }
  events.push(stackEvent(t, 'IMPORT_ROLLBACK_COMPLETE'));
  return finish(base, events, {
    config: stack.config,
    status: 'IMPORT_ROLLBACK_COMPLETE',
    outputs: stack.outputs,
    repairedDrift: [],
    changeSetId: input.changeSetId,
  });
}
