/**
 * The sandbox CloudFormation's persisted state and the lazy views over it. An operation is a
 * schedule of timed events computed when it starts; a stack's status, resources and events at
 * any moment are read from that schedule, and the operation's result is folded into the stack
 * the first time someone looks after it ended. No timers: 10,000 stacks cost only their data.
 */
import type { SandboxWorld } from '../types';
import type { ResourceDrift } from './drift-types';

export const SECTION_NAME = 'cloudformation';

/** A resource-failure rule: the scenario's, or one injected at run time (`injectResourceFailure`). */
export interface ResourceFailureRule {
  accounts?: string[];
  regions?: string[];
  logicalId?: string;
  resourceType?: string;
  reason?: string;
  /** `create`/`update` stack operations (default both); `delete` and `rollback` make DELETE_FAILED / *_ROLLBACK_FAILED. */
  on?: 'create' | 'update' | 'any' | 'delete' | 'rollback';
  /** Fire only this many times (default: every time). */
  times?: number;
}

export interface CfnSection {
  version: 1;
  /** Template bodies by content hash: stacks on one template share one copy. */
  templates: Record<string, string>;
  /** Per `account/region`. */
  targets: Record<string, TargetState>;
  /** Faults injected at run time, on top of the scenario's. */
  injectedFailures: ResourceFailureRule[];
  /** How often each failure rule fired (for `times`). Keyed `scenario:N` / `injected:N`. */
  firedFailures: Record<string, number>;
  /** Counter that makes ids unique and deterministic. */
  seq: number;
}

export interface TargetState {
  /** Every stack ever made here, by StackId (deleted ones stay listable, as in AWS). */
  stacks: Record<string, StackRecord>;
  /** Live stack name -> StackId. */
  byName: Record<string, string>;
  changeSets: Record<string, ChangeSetRecord>;
  /** Export name -> exporting stack and value. */
  exports: Record<string, { stackId: string; value: string }>;
  driftDetections: Record<string, DriftDetectionRecord>;
}

export interface StackTag {
  Key: string;
  Value: string;
}

/** What a stack is deployed with (its template by hash, parameters, options). */
export interface StackConfig {
  templateHash: string;
  /** Resolved values, list parameters comma-joined (as AWS reports them). */
  parameters: Record<string, string>;
  tags: StackTag[];
  capabilities: string[];
  notificationARNs: string[];
  roleARN?: string;
  disableRollback: boolean;
  timeoutInMinutes?: number;
}

export interface ResourceRecord {
  type: string;
  physicalId?: string;
  status: string;
  reason?: string;
  updatedAt: number;
}

export interface OutputRecord {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
  ExportName?: string;
}

/** One event of an operation's schedule; stack-level events have no `logicalId`. */
export interface StoredEvent {
  at: number;
  logicalId?: string;
  type?: string;
  physicalId?: string;
  status: string;
  reason?: string;
}

export type OperationKind = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONTINUE_ROLLBACK' | 'IMPORT';

export interface OperationRecord {
  id: string;
  kind: OperationKind;
  token?: string;
  startedAt: number;
  endAt: number;
  /** Chronological; the stack's status at a time is the last stack-level event at or before it. */
  events: StoredEvent[];
}

/** What the stack becomes when its running operation ends. */
export interface PendingResult {
  at: number;
  status: string;
  reason?: string;
  config: StackConfig;
  resources: Record<string, ResourceRecord>;
  outputs: OutputRecord[];
  /** Logical ids whose drift the operation repaired (updated, replaced or reverted). */
  repairedDrift: string[];
  /** Change set that started the operation (becomes EXECUTE_COMPLETE/FAILED). */
  changeSetId?: string;
}

export interface StackRecord {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  description?: string;
  createdAt: number;
  lastUpdatedAt?: number;
  deletedAt?: number;
  /** Settled configuration (while an update runs, `pending.config` is what it moves to). */
  config: StackConfig;
  resources: Record<string, ResourceRecord>;
  outputs: OutputRecord[];
  /** Settled status (valid when no operation is running). */
  status: string;
  statusReason?: string;
  terminationProtection: boolean;
  ops: OperationRecord[];
  pending?: PendingResult;
  /** ClientRequestToken -> operation kind it started. */
  tokens: Record<string, OperationKind>;
  /** Last executed change set. */
  changeSetId?: string;
  drift: StackDriftState;
}

export interface StackDriftState {
  /** Result of the last completed detection. */
  status: 'NOT_CHECKED' | 'IN_SYNC' | 'DRIFTED';
  lastCheckAt?: number;
  /** Live drift injected by `markDrifted` (until repaired). */
  live: Record<string, ResourceDrift>;
  /** Scenario drift rules that were repaired for these logical ids. */
  scenarioRepaired: string[];
  /** Per resource, the result of the last detection. */
  checked: Record<string, { status: string; at: number; drift?: ResourceDrift }>;
}

export interface ChangeSetRecord {
  id: string;
  name: string;
  stackId: string;
  stackName: string;
  type: 'CREATE' | 'UPDATE' | 'IMPORT';
  createdAt: number;
  /** When the change set becomes CREATE_COMPLETE (or FAILED). */
  readyAt: number;
  outcome: 'CREATE_COMPLETE' | 'FAILED';
  statusReason?: string;
  executionStatus:
    | 'UNAVAILABLE'
    | 'AVAILABLE'
    | 'EXECUTE_IN_PROGRESS'
    | 'EXECUTE_COMPLETE'
    | 'EXECUTE_FAILED'
    | 'OBSOLETE';
  description?: string;
  config: StackConfig;
  changes: unknown[];
  deploymentMode?: string;
  clientToken?: string;
  executedAt?: number;
}

export interface DriftDetectionRecord {
  id: string;
  stackId: string;
  startedAt: number;
  readyAt: number;
  stackDriftStatus: 'IN_SYNC' | 'DRIFTED';
  driftedCount: number;
  /** Per resource result, known when the detection started and revealed at `readyAt`. */
  resources: Record<string, { status: string; drift?: ResourceDrift }>;
  /** Folded into the stack's drift information. */
  applied?: boolean;
}

/** The CloudFormation section of the world (created on first use, seeded with the scenario's pre-existing stacks). */
export function cfnSection(world: SandboxWorld, init?: () => CfnSection): CfnSection {
  return world.section<CfnSection>(SECTION_NAME, init ?? emptySection);
}

export function emptySection(): CfnSection {
  return { version: 1, templates: {}, targets: {}, injectedFailures: [], firedFailures: {}, seq: 0 };
}

export function targetKey(accountId: string, region: string): string {
  return `${accountId}/${region}`;
}

export function targetOf(section: CfnSection, accountId: string, region: string): TargetState {
  const key = targetKey(accountId, region);
  let target = section.targets[key];
  if (!target) {
    target = { stacks: {}, byName: {}, changeSets: {}, exports: {}, driftDetections: {} };
    section.targets[key] = target;
  }
  return target;
}

/** Status of the stack at `t`: the running operation's last stack event, else the settled one. */
export function stackStatusAt(stack: StackRecord, t: number): { status: string; reason?: string } {
  if (stack.pending && t < stack.pending.at) {
    const op = stack.ops[stack.ops.length - 1];
    if (op) {
      for (let i = op.events.length - 1; i >= 0; i--) {
        const event = op.events[i] as StoredEvent;
        if (event.logicalId === undefined && event.at <= t) {
          return event.reason === undefined
            ? { status: event.status }
            : { status: event.status, reason: event.reason };
        }
      }
    }
  }
  return stack.statusReason === undefined
    ? { status: stack.status }
    : { status: stack.status, reason: stack.statusReason };
}

/**
 * Folds a finished operation into the stack (status, resources, outputs, exports, change set
 * status). Idempotent; call before reading or changing a stack.
 */
export function settleStack(target: TargetState, stack: StackRecord, t: number): void {
  const pending = stack.pending;
  if (!pending || t < pending.at) {
    applyDetections(target, stack, t);
    return;
  }
  stack.pending = undefined;
  stack.status = pending.status;
  stack.statusReason = pending.reason;
  stack.config = pending.config;
  stack.resources = pending.resources;
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
}

function isFailedOutcome(status: string): boolean {
  return status.includes('ROLLBACK') || status.endsWith('FAILED');
}

/** Resources as they stand at `t` (during an operation: the settled ones plus the events so far). */
export function resourcesAt(stack: StackRecord, t: number): Record<string, ResourceRecord> {
  if (!stack.pending) return stack.resources;
  if (t >= stack.pending.at) return stack.pending.resources;
  const op = stack.ops[stack.ops.length - 1];
  const out: Record<string, ResourceRecord> = {};
  for (const [id, r] of Object.entries(stack.resources)) out[id] = { ...r };
  if (!op) return out;
  for (const event of op.events) {
    if (event.at > t) break;
    if (event.logicalId === undefined) continue;
    const record: ResourceRecord = {
      type: event.type ?? out[event.logicalId]?.type ?? 'AWS::CloudFormation::CustomResource',
      status: event.status,
      updatedAt: event.at,
    };
    const physicalId = event.physicalId ?? out[event.logicalId]?.physicalId;
    if (physicalId !== undefined) record.physicalId = physicalId;
    if (event.reason !== undefined) record.reason = event.reason;
    out[event.logicalId] = record;
  }
  return out;
}

/** Whether a stack status means an operation is running (updates and deletes are refused). */
export function isInProgress(status: string): boolean {
  return status.endsWith('_IN_PROGRESS');
}

/** Next deterministic sequence number. */
export function nextSeq(section: CfnSection): number {
  section.seq += 1;
  return section.seq;
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
