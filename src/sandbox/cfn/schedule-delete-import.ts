import type { CheckedResource } from './checks';
import { evaluateOutputs, PHASE_GAP_MS, rawDependencies } from './plan';
import type { StackConfig, StoredEvent } from './state';
import type { ParsedTemplate } from './template';
import {
  CLEANUP_MS,
  checked,
  deleteItems,
  durationMs,
  finish,
  livePhysical,
  type OpBase,
  runWave,
  type ScheduledOperation,
  stackEvent,
  type WaveItem,
  waveCheck,
} from './waves';

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
