/**
 * The sandbox CloudFormation's persisted state and the lazy views over it. An operation is a
 * schedule of timed events computed when it starts; a stack's status, resources and events at
 * any moment are read from that schedule, and the operation's result is folded into the stack
 * the first time someone looks after it ended. No timers: 10,000 stacks cost only their data.
 */

import { StackStatuses } from '../../core/stack-status';
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

export type OperationKind = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONTINUE_ROLLBACK' | 'IMPORT';

/**
 * An operation's events, packed for 10,000 stacks: one string per operation instead of an
 * object per event keeps the persisted world small and the garbage collector idle.
 * - `res`: the resources the events name, one per line: `logicalId<TAB>type[<TAB>physicalId]`.
 * - `ev`: events separated by `;`, fields by `,`: `ms since start, resource index (-1 = the
 *   stack), status code, reason (`c<n>` coded, `t<n>` in texts, or empty), physical id when it
 *   differs from res (`t<n>`)`.
 * - `phases`: the stack-level events again as `[ms, status code, reason?]`, for cheap status reads.
 */
export interface OperationRecord {
  id: string;
  kind: OperationKind;
  token?: string;
  startedAt: number;
  endAt: number;
  res: string;
  ev: string;
  phases: Array<[number, number, string?]>;
  /** Free-text reasons and overriding physical ids the events refer to. */
  texts?: string[];
  /** How many of `phases` were sent as Stack Status Change events (stack-events-schedule.ts); absent: none are. */
  emitted?: number;
}

/**
 * Status names by code (the persisted events store the index, so the order only ever grows at
 * the end): the 23 stack statuses, then the resource-only ones.
 */
export const STATUS_CODES = [...StackStatuses, 'DELETE_SKIPPED', 'IMPORT_FAILED'] as const;

/** Frequent reasons by code. */
export const REASON_CODES = [
  'User Initiated',
  'Resource creation Initiated',
  'Resource creation cancelled',
  'Resource update cancelled',
  'Requested update requires the creation of a new physical resource; hence creating one.',
  'Resource deletion cancelled',
] as const;

const statusIndex = new Map<string, number>(STATUS_CODES.map((s, i) => [s, i]));
const reasonIndex = new Map<string, number>(REASON_CODES.map((s, i) => [s, i]));

/** Packs scheduled events into an operation record. */
export function packOperation(
  base: { id: string; kind: OperationKind; token?: string; startedAt: number; endAt: number },
  unsorted: StoredEvent[],
): OperationRecord {
  // Stable: events at the same moment keep their scheduled order (a failure before its cancellations).
  const events = [...unsorted].sort((a, b) => a.at - b.at);
  const resLines: string[] = [];
  const resPid: Array<string | undefined> = [];
  const index = new Map<string, number>();
  const texts: string[] = [];
  const textIndex = new Map<string, number>();
  const text = (value: string): string => {
    let i = textIndex.get(value);
    if (i === undefined) {
      i = texts.length;
      texts.push(value);
      textIndex.set(value, i);
    }
    return `t${i}`;
  };
  // Physical ids are learnt from later events of the same resource; collect them first.
  for (const e of events) {
    if (e.logicalId === undefined) continue;
    let i = index.get(e.logicalId);
    if (i === undefined) {
      i = resLines.length;
      index.set(e.logicalId, i);
      resLines.push(`${e.logicalId}\t${e.type ?? 'AWS::CloudFormation::CustomResource'}`);
      resPid.push(undefined);
    }
    if (resPid[i] === undefined && e.physicalId !== undefined) resPid[i] = e.physicalId;
  }
  const parts: string[] = [];
  const phases: Array<[number, number, string?]> = [];
  for (const e of events) {
    const code = statusIndex.get(e.status);
    if (code === undefined) throw new Error(`Unknown CloudFormation status ${e.status}`);
    const dt = e.at - base.startedAt;
    let i = -1;
    let pid = '';
    if (e.logicalId !== undefined) {
      i = index.get(e.logicalId) as number;
      if (e.physicalId !== undefined && e.physicalId !== resPid[i]) pid = text(e.physicalId);
    } else {
      phases.push(e.reason === undefined ? [dt, code] : [dt, code, e.reason]);
    }
    let reason = '';
    if (e.reason !== undefined) {
      const coded = reasonIndex.get(e.reason);
      reason = coded === undefined ? text(e.reason) : `c${coded}`;
    }
    parts.push(
      pid
        ? `${dt},${i},${code},${reason},${pid}`
        : reason
          ? `${dt},${i},${code},${reason}`
          : `${dt},${i},${code}`,
    );
  }
  const res = resLines
    .map((line, i) => (resPid[i] === undefined ? line : `${line}\t${resPid[i]}`))
    .join('\n');
  const op: OperationRecord = {
    id: base.id,
    kind: base.kind,
    startedAt: base.startedAt,
    endAt: base.endAt,
    res,
    ev: parts.join(';'),
    phases,
  };
  if (texts.length > 0) op.texts = texts;
  if (base.token !== undefined) op.token = base.token;
  return op;
}

interface DecodedEvent {
  dt: number;
  res: number;
  code: number;
  reason?: string;
  pid?: string;
}

function decodeText(op: OperationRecord, ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const n = Number(ref.slice(1));
  if (ref[0] === 'c') return REASON_CODES[n] ?? ref;
  return op.texts?.[n] ?? ref;
}

function decodeOperation(op: OperationRecord): {
  res: Array<[string, string, string | undefined]>;
  events: DecodedEvent[];
} {
  const res = op.res
    ? op.res.split('\n').map((line) => {
        const [logicalId, type, pid] = line.split('\t');
        return [logicalId as string, type as string, pid] as [string, string, string | undefined];
      })
    : [];
  const events: DecodedEvent[] = [];
  if (op.ev) {
    for (const part of op.ev.split(';')) {
      const [dt, i, code, reason, pid] = part.split(',');
      const event: DecodedEvent = { dt: Number(dt), res: Number(i), code: Number(code) };
      const r = decodeText(op, reason);
      if (r !== undefined) event.reason = r;
      const p = decodeText(op, pid);
      if (p !== undefined) event.pid = p;
      events.push(event);
    }
  }
  return { res, events };
}

/** The events of an operation, unpacked. A resource's first CREATE_IN_PROGRESS precedes its physical id, as in AWS. */
export function unpackEvents(op: OperationRecord): StoredEvent[] {
  const { res, events } = decodeOperation(op);
  const out: StoredEvent[] = [];
  const seen = new Set<number>();
  for (const e of events) {
    const event: StoredEvent = { at: op.startedAt + e.dt, status: STATUS_CODES[e.code] ?? 'UNKNOWN' };
    if (e.res >= 0) {
      const [logicalId, type, resPid] = res[e.res] as [string, string, string | undefined];
      event.logicalId = logicalId;
      event.type = type;
      const first = !seen.has(e.res);
      seen.add(e.res);
      const physicalId = e.pid ?? resPid;
      if (physicalId !== undefined && !(first && e.code === 0 && e.reason === undefined))
        event.physicalId = physicalId;
    }
    if (e.reason !== undefined) event.reason = e.reason;
    out.push(event);
  }
  return out;
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

/** What a stack was before the operation that just settled (for effects on the service state). */
export interface SettledFrom {
  config: StackConfig;
  /** Resources when the operation started. */
  resources: Record<string, ResourceRecord>;
  /** When the operation ended. */
  at: number;
  /** Resources whose drift the operation repaired: their template takes effect again. */
  repaired?: string[];
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

function isFailedOutcome(status: string): boolean {
  return status.includes('ROLLBACK') || status.endsWith('FAILED');
}

/** A few recent folds, so one request that reads a stack's resources twice folds once. */
const resourceMemo = new Map<
  StackRecord,
  { ops: number; at: number; value: Record<string, ResourceRecord> }
>();

/**
 * Resources as they stand at `t`, folded from every operation's events (the one source of
 * truth). The delete of a replaced resource's old physical id does not touch the logical record.
 * Pass `Number.POSITIVE_INFINITY` for "after everything scheduled".
 */
export function resourcesAt(stack: StackRecord, t: number): Record<string, ResourceRecord> {
  const lastEnd = stack.ops.length > 0 ? (stack.ops[stack.ops.length - 1] as OperationRecord).endAt : 0;
  const at = t >= lastEnd ? Number.POSITIVE_INFINITY : t;
  const memo = resourceMemo.get(stack);
  if (memo && memo.ops === stack.ops.length && memo.at === at) return memo.value;
  const out: Record<string, ResourceRecord> = {};
  for (const op of stack.ops) {
    if (op.startedAt > at) break;
    const limit = at - op.startedAt;
    const { res, events } = decodeOperation(op);
    for (const e of events) {
      if (e.dt > limit) break;
      if (e.res < 0) continue;
      const [logicalId, type, resPid] = res[e.res] as [string, string, string | undefined];
      const status = STATUS_CODES[e.code] ?? 'UNKNOWN';
      const physicalId = e.pid ?? resPid;
      const prev = out[logicalId];
      if (
        prev?.physicalId !== undefined &&
        physicalId !== undefined &&
        physicalId !== prev.physicalId &&
        status.startsWith('DELETE_')
      ) {
        continue; // cleanup of the old (or abandoned new) physical resource of a replacement
      }
      if (status === 'IMPORT_ROLLBACK_COMPLETE') {
        delete out[logicalId]; // the import was undone: the stack forgets the resource
        continue;
      }
      const record: ResourceRecord = { type, status, updatedAt: op.startedAt + e.dt };
      const id = physicalId ?? prev?.physicalId;
      if (id !== undefined) record.physicalId = id;
      if (e.reason !== undefined) record.reason = e.reason;
      out[logicalId] = record;
    }
  }
  if (resourceMemo.size >= 64) resourceMemo.clear();
  resourceMemo.set(stack, { ops: stack.ops.length, at, value: out });
  return out;
}

/** Resources once every scheduled operation has run (what planning starts from). */
export function finalResources(stack: StackRecord): Record<string, ResourceRecord> {
  return resourcesAt(stack, Number.POSITIVE_INFINITY);
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
