/**
 * Planning of stack operations: which resources a template wants (conditions evaluated), in
 * what order (Ref/GetAtt/DependsOn), what changed against the deployed stack (the diff that
 * both UpdateStack and change sets use). The timed schedules of the operations are in
 * waves.ts, schedule-create-update.ts and schedule-delete-import.ts.
 */
import type { SandboxWorld } from '../types';
import { AwsError } from '../types';
import type { Acting } from './iam-env';
import { containsUnresolved, type EvalContext, evaluateConditions, resolveValue } from './intrinsics';
import { attributeOf, nameProperty, physicalIdFor, Recreation, recreationFor } from './resource-types';
import type { CfnSection, OutputRecord, ResourceRecord, TargetState } from './state';
import { collectReferences, dependsOnList, type ParsedTemplate, type TemplateValue } from './template';

/** Gap between a stack's phase changes and its first/last resource event. */
export const PHASE_GAP_MS = 1000;

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
