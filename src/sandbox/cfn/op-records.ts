/**
 * A stack operation's schedule as the sandbox stores it: events packed into one record per
 * operation (10,000 stacks), unpacked on demand, and the stack's resources folded from them at
 * any moment. Split from state.ts, which keeps the section's shapes and the stack status view.
 */

import { StackStatuses } from '../../core/stack-status';
import type { ResourceRecord, StackRecord, StoredEvent } from './state';

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
