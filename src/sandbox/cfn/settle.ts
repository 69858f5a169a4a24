/**
 * How a finished stack operation is folded into the stack (status, configuration, outputs,
 * exports, change set status, repaired drift) and when its resources take effect in the other
 * services. An update's created and updated resources are in place once CloudFormation reports
 * UPDATE_COMPLETE_CLEANUP_IN_PROGRESS (the moment a caller may use the stack; CloudFormation User
 * Guide, stack status codes: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: ... removal of any old
 * resources"), so they take effect then; the cleanup's removals, and everything else, when the
 * operation ends.
 */

import type { SandboxWorld } from '../types';
import { resourcesAt } from './op-records';
import type { ResourceRecord, StackConfig, StackRecord, TargetState } from './state';

/** What a stack was before the operation that just settled (for effects on the service state). */
export interface SettledFrom {
  config: StackConfig;
  /** Resources when the operation started. */
  resources: Record<string, ResourceRecord>;
  /** When the operation ended. */
  at: number;
  /** Resources whose drift the operation repaired: their template takes effect again. */
  repaired?: string[];
  /**
   * Which effects to run: `applies` when an update's resources are in place (before its cleanup),
   * `removals` at the end of an update whose applies already ran, `all` (default) otherwise.
   */
  part?: 'applies' | 'removals' | 'all';
  /** With `applies`: the configuration the update moves to (not folded into the stack yet). */
  afterConfig?: StackConfig;
}

/** Called once per settled operation, after the fold (src/sandbox/cfn/effects.ts registers it). */
export type SettledHook = (world: SandboxWorld, stack: StackRecord, from: SettledFrom) => void;

let settledHook: SettledHook | undefined;

/** Registers what happens when an operation settles (the effects of the stack's resources). */
export function onStackSettled(hook: SettledHook): void {
  settledHook = hook;
}

/**
 * Folds a finished operation into the stack (status, resources, outputs, exports, change set
 * status). Idempotent; call before reading or changing a stack. With `world`, the settled
 * operation's resources also take effect in the sandbox's services (IAM, S3, KMS ...).
 */
export function settleStack(target: TargetState, stack: StackRecord, t: number, world?: SandboxWorld): void {
  const pending = stack.pending;
  if (!pending || t < pending.at) {
    if (pending && world) applyInPlace(world, stack, t);
    applyDetections(target, stack, t);
    return;
  }
  const lastOp = stack.ops[stack.ops.length - 1];
  const from: SettledFrom | undefined =
    world && settledHook && lastOp
      ? {
          config: stack.config,
          resources: resourcesAt(stack, lastOp.startedAt - 1),
          at: pending.at,
          repaired: [...pending.repairedDrift],
          part: pending.effectsApplied ? 'removals' : 'all',
        }
      : undefined;
  stack.pending = undefined;
  stack.status = pending.status;
  stack.statusReason = pending.reason;
  if (pending.config) stack.config = pending.config;
  stack.outputs = pending.outputs;
  for (const logicalId of pending.repairedDrift) {
    delete stack.drift.live[logicalId];
    if (!stack.drift.scenarioRepaired.includes(logicalId)) stack.drift.scenarioRepaired.push(logicalId);
  }
  for (const [name, exported] of Object.entries(target.exports)) {
    if (exported.stackId === stack.stackId) delete target.exports[name];
  }
  if (pending.status === 'DELETE_COMPLETE') {
    stack.deletedAt = stack.deletedAt ?? pending.at;
    if (target.byName[stack.stackName] === stack.stackId) delete target.byName[stack.stackName];
    for (const [id, cs] of Object.entries(target.changeSets))
      if (cs.stackId === stack.stackId) delete target.changeSets[id];
  } else if (stack.status.endsWith('_COMPLETE') && !stack.status.includes('ROLLBACK')) {
    for (const output of stack.outputs) {
      if (output.ExportName)
        target.exports[output.ExportName] = { stackId: stack.stackId, value: output.OutputValue };
    }
  } else {
    // A rolled-back stack keeps the exports of the configuration it returned to.
    for (const output of stack.outputs) {
      if (output.ExportName)
        target.exports[output.ExportName] = { stackId: stack.stackId, value: output.OutputValue };
    }
  }
  applyDetections(target, stack, t);
  if (pending.changeSetId) {
    const cs = target.changeSets[pending.changeSetId];
    if (cs) cs.executionStatus = isFailedOutcome(pending.status) ? 'EXECUTE_FAILED' : 'EXECUTE_COMPLETE';
  }
  if (world && from && settledHook) settledHook(world, stack, from);
}

/**
 * An update past its in-place moment (`pending.effectsAt`): the resources it created, updated or
 * reverted take effect now, once, and the drift it repaired is gone (a deleted delivery channel
 * is back before the update's cleanup ends, as DescribeDeliveryChannels shows in AWS).
 */
function applyInPlace(world: SandboxWorld, stack: StackRecord, t: number): void {
  const pending = stack.pending;
  const lastOp = stack.ops[stack.ops.length - 1];
  if (!pending || pending.effectsAt === undefined || pending.effectsApplied || t < pending.effectsAt) return;
  if (!settledHook || !lastOp) return;
  pending.effectsApplied = true;
  for (const logicalId of pending.repairedDrift) delete stack.drift.live[logicalId];
  settledHook(world, stack, {
    config: stack.config,
    resources: resourcesAt(stack, lastOp.startedAt - 1),
    at: pending.effectsAt,
    repaired: [...pending.repairedDrift],
    part: 'applies',
    afterConfig: pending.config ?? stack.config,
  });
}

function isFailedOutcome(status: string): boolean {
  return status.includes('ROLLBACK') || status.endsWith('FAILED');
}

/** Folds finished drift detections into the stack's drift information (lazily, like operations). */
export function applyDetections(target: TargetState, stack: StackRecord, t: number): void {
  for (const detection of Object.values(target.driftDetections)) {
    if (detection.applied || detection.stackId !== stack.stackId || detection.readyAt > t) continue;
    detection.applied = true;
    if (stack.drift.lastCheckAt !== undefined && stack.drift.lastCheckAt > detection.readyAt) continue;
    stack.drift.status = detection.stackDriftStatus;
    stack.drift.lastCheckAt = detection.readyAt;
    stack.drift.checked = {};
    for (const [id, r] of Object.entries(detection.resources)) {
      stack.drift.checked[id] = r.drift
        ? { status: r.status, at: detection.readyAt, drift: r.drift }
        : { status: r.status, at: detection.readyAt };
    }
  }
}
