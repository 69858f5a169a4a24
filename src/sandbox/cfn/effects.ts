/**
 * What a stack's resources do in the sandbox: when an operation settles, the service state is
 * reconciled with the stack's resources as they stand afterwards. Resources the operation added
 * or changed are applied (an IAM role with its policies, a bucket policy, a key policy ...);
 * resources it deleted, replaced or rolled back are removed; a stack deleted removes everything
 * it created except what DeletionPolicy Retain keeps (DELETE_SKIPPED). A failed update that rolled
 * back changes nothing: effects only ever reach the services when an operation ends.
 */

import type { SandboxWorld } from '../types';
import { evaluateConditions, resolveValue } from './intrinsics';
import { evalContext, type PlanEnv, sameValue } from './plan';
import { providerFor, type ResourceRef } from './providers/index';
import {
  cfnSection,
  finalResources,
  onStackSettled,
  type ResourceRecord,
  type SettledFrom,
  type StackConfig,
  type StackRecord,
  targetOf,
} from './state';
import { type ParsedTemplate, parseTemplate, type TemplateValue } from './template';

/** Resource statuses of a resource that exists (and that the stack manages). */
function exists(r: ResourceRecord | undefined): r is ResourceRecord & { physicalId: string } {
  if (!r?.physicalId) return false;
  const s = r.status;
  return (
    s === 'CREATE_COMPLETE' ||
    s === 'UPDATE_COMPLETE' ||
    s === 'UPDATE_FAILED' ||
    s === 'DELETE_FAILED' ||
    s === 'IMPORT_COMPLETE' ||
    s === 'UPDATE_IN_PROGRESS'
  );
}

function typedParameters(
  template: ParsedTemplate,
  values: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(values)) {
    const type = template.Parameters[k]?.Type ?? 'String';
    out[k] = type === 'CommaDelimitedList' || type.startsWith('List<') ? (v === '' ? [] : v.split(',')) : v;
  }
  return out;
}

/** Resolved properties of the given resources of a deployed configuration. */
function resolveSome(
  world: SandboxWorld,
  stack: StackRecord,
  config: StackConfig,
  resources: Record<string, ResourceRecord>,
  ids: string[],
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (ids.length === 0) return out;
  const section = cfnSection(world);
  const body = section.templates[config.templateHash];
  if (body === undefined) return out;
  const template = parseTemplate(body);
  const env: PlanEnv = {
    world,
    section,
    target: targetOf(section, stack.accountId, stack.region),
    accountId: stack.accountId,
    region: stack.region,
    now: world.now(),
  };
  const physical: Record<string, { type: string; physicalId?: string }> = {};
  for (const [id, r] of Object.entries(resources))
    if (exists(r)) physical[id] = { type: r.type, physicalId: r.physicalId };
  const ctx = evalContext(env, stack, template, typedParameters(template, config.parameters), physical);
  ctx.conditions = evaluateConditions(template, ctx);
  for (const id of ids) {
    const raw = template.Resources[id]?.Properties;
    try {
      out[id] = (resolveValue((raw ?? {}) as TemplateValue, ctx) ?? {}) as Record<string, unknown>;
    } catch {
      out[id] = {};
    }
  }
  return out;
}

function cdkPathOf(world: SandboxWorld, config: StackConfig, logicalId: string): string | undefined {
  const body = cfnSection(world).templates[config.templateHash];
  if (body === undefined) return undefined;
  const metadata = parseTemplate(body).Resources[logicalId]?.Metadata as Record<string, unknown> | undefined;
  const path = metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

const reported = new Set<string>();

/**
 * Runs one effect. An effect that throws (a state machine definition the local engine refuses) is
 * a limit of the sandbox, not a failure of the stack, which CloudFormation already reported as
 * complete: it is reported once per type and message, and the other resources still take effect.
 */
function guarded(type: string, effect: () => void): void {
  try {
    effect();
  } catch (error) {
    const message = `${type}: ${error instanceof Error ? error.message : String(error)}`;
    if (reported.has(message)) return;
    reported.add(message);
    process.emitWarning(`a stack's ${message} did not take effect in the sandbox`, 'SandboxEffectWarning');
  }
}

/** Reconciles the service state with a stack whose operation just settled. */
export function applyStackEffects(world: SandboxWorld, stack: StackRecord, from: SettledFrom): void {
  const after = finalResources(stack);
  const before = from.resources;
  const modelled = (r: ResourceRecord | undefined) => r !== undefined && providerFor(r.type) !== undefined;
  const beforeIds = Object.keys(before).filter((id) => exists(before[id]) && modelled(before[id]));
  const afterIds = Object.keys(after).filter((id) => exists(after[id]) && modelled(after[id]));
  if (beforeIds.length === 0 && afterIds.length === 0) return;
  const beforeProps = resolveSome(world, stack, from.config, before, beforeIds);
  const afterConfig = from.afterConfig ?? stack.config;
  const afterProps = resolveSome(world, stack, afterConfig, after, afterIds);
  const ref = (logicalId: string, physicalId: string, config: StackConfig): ResourceRef => {
    const out: ResourceRef = {
      world,
      accountId: stack.accountId,
      region: stack.region,
      stackId: stack.stackId,
      stackName: stack.stackName,
      logicalId,
      physicalId,
      now: from.at,
    };
    const path = cdkPathOf(world, config, logicalId);
    if (path) out.metadataPath = path;
    return out;
  };
  const priority = (type: string) => providerFor(type)?.priority ?? 0;
  // Removals: what existed before and is gone or was replaced (dependents first).
  const removals = beforeIds
    .filter((id) => {
      const now = after[id];
      if (now?.status === 'DELETE_SKIPPED') return false; // retained: it stays, unmanaged
      return !(exists(now) && now.physicalId === before[id]?.physicalId);
    })
    .sort(
      (a, b) => priority((before[b] as ResourceRecord).type) - priority((before[a] as ResourceRecord).type),
    );
  const part = from.part ?? 'all';
  if (part !== 'applies')
    for (const id of removals) {
      const r = before[id] as ResourceRecord & { physicalId: string };
      guarded(r.type, () =>
        providerFor(r.type)?.remove?.(beforeProps[id] ?? {}, ref(id, r.physicalId, from.config)),
      );
    }
  // Applies: what exists now and is new or changed (roles before their policies).
  if (part === 'removals') return;
  const applies = afterIds.sort(
    (a, b) => priority((after[a] as ResourceRecord).type) - priority((after[b] as ResourceRecord).type),
  );
  for (const id of applies) {
    const r = after[id] as ResourceRecord & { physicalId: string };
    const was = before[id];
    const samePhysical = exists(was) && was.physicalId === r.physicalId;
    const previous = samePhysical ? beforeProps[id] : undefined;
    // Unchanged and not repaired: nothing to do. A repaired (reverted) resource is made to match
    // its template again, even when the template did not change (a trail deleted out of band).
    if (previous && sameValue(previous, afterProps[id]) && !from.repaired?.includes(id)) continue;
    guarded(r.type, () =>
      providerFor(r.type)?.apply?.(afterProps[id] ?? {}, ref(id, r.physicalId, afterConfig), previous),
    );
  }
}

onStackSettled(applyStackEffects);
