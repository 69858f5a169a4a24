/**
 * The sandbox CloudFormation's persisted state and the lazy views over it. An operation is a
 * schedule of timed events computed when it starts; a stack's status, resources and events at
 * any moment are read from that schedule, and the operation's result is folded into the stack
 * the first time someone looks after it ended. No timers: 10,000 stacks cost only their data.
 */

import type { SandboxWorld } from '../types';
import type { ResourceDrift } from './drift-types';
import { type OperationKind, type OperationRecord, STATUS_CODES } from './op-records';

// The operation records and the settle fold live in their own modules; their names stay
// importable from here, where the rest of the sandbox's CloudFormation reads its state.
export {
  finalResources,
  type OperationKind,
  type OperationRecord,
  packOperation,
  REASON_CODES,
  resourcesAt,
  STATUS_CODES,
  unpackEvents,
} from './op-records';
export {
  applyDetections,
  onStackSettled,
  type SettledFrom,
  type SettledHook,
  settleStack,
} from './settle';

export const SECTION_NAME = 'cloudformation';

/** A resource-failure rule: the scenario's, or one injected at run time (`injectResourceFailure`). */
export interface ResourceFailureRule {
  accounts?: string[];
  regions?: string[];
  logicalId?: string;
  resourceType?: string;
  reason?: string;
  /** `create`/`update` stack operations (default both); `delete` and `rollback` make DELETE_FAILED / *_ROLLBACK_FAILED. */
  on?: 'create' | 'update' | 'any' | 'delete' | 'rollback' | 'import';
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

/** One event of an operation's schedule (in memory); stack-level events have no `logicalId`. */
export interface StoredEvent {
  at: number;
  logicalId?: string;
  type?: string;
  physicalId?: string;
  status: string;
  reason?: string;
}

/** What the stack becomes when its running operation ends. */
export interface PendingResult {
  at: number;
  status: string;
  reason?: string;
  /** The configuration in force afterwards (absent: unchanged). */
  config?: StackConfig;
  outputs: OutputRecord[];
  /** Logical ids whose drift the operation repaired (updated, replaced or reverted). */
  repairedDrift: string[];
  /** Change set that started the operation (becomes EXECUTE_COMPLETE/FAILED). */
  changeSetId?: string;
  /**
   * When the resources the operation created or updated are in place, before `at` (a successful
   * update's UPDATE_COMPLETE_CLEANUP_IN_PROGRESS): their effects reach the services then.
   */
  effectsAt?: number;
  /** The in-place effects ran (settle.ts); the end only removes what the cleanup deleted. */
  effectsApplied?: boolean;
}

export interface StackRecord {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  createdAt: number;
  lastUpdatedAt?: number;
  deletedAt?: number;
  /** Settled configuration (while an update runs, `pending.config` is what it moves to). */
  config: StackConfig;
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
  /** IMPORT change sets: the existing physical resources brought under the stack. */
  imports?: Array<{ logicalId: string; type: string; physicalId: string }>;
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
  /** Resources whose live state the caller could not read: the detection ends DETECTION_FAILED. */
  failures?: Array<{ logicalId: string; reason: string }>;
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
      for (let i = op.phases.length - 1; i >= 0; i--) {
        const [dt, code, reason] = op.phases[i] as [number, number, string?];
        if (op.startedAt + dt <= t) {
          const status = STATUS_CODES[code] ?? 'UNKNOWN';
          return reason === undefined ? { status } : { status, reason };
        }
      }
    }
  }
  return stack.statusReason === undefined
    ? { status: stack.status }
    : { status: stack.status, reason: stack.statusReason };
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
