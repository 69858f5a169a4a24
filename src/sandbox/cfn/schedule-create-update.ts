import type { CheckedResource } from './checks';
import { type DesiredResource, evaluateOutputs, PHASE_GAP_MS, rawDependencies, type StackPlan } from './plan';
import type { StackConfig, StoredEvent } from './state';
import type { ParsedTemplate } from './template';
import {
  checked,
  deleteItems,
  durationMs,
  finish,
  type OpBase,
  runWave,
  type ScheduledOperation,
  stackEvent,
  type WaveItem,
  waveCheck,
} from './waves';

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
