/**
 * When a stack's status changes, its "Stack Status Change" event is sent (stack-events.ts). An
 * operation's schedule is fixed when it starts (state.ts), so so are the moments of its status
 * changes: the ones due now are sent at once, later ones wait in a min-heap until the virtual
 * clock reaches them, on a timer under virtual time (so an event is sent when its stack finishes
 * even if nobody calls the sandbox then) and on every request otherwise. A change that a later
 * operation overtook (a stack deleted by hand while it was being created) never happens, so it is
 * never sent. What was sent is kept on the operation (`emitted`), so a reopened world goes on.
 */
import { outsideAmbientIdentity } from '../../aws/ambient-identity';
import { isVirtualTimeActive } from '../clock';
import type { SandboxWorld } from '../types';
import { settleDue } from './settle-due';
import { emitStatusChange, type StatusChange } from './stack-events';
import { cfnSection, type OperationRecord, STATUS_CODES, type StackRecord, targetKey } from './state';

interface Pending {
  at: number;
  target: string;
  stackId: string;
  opId: string;
  index: number;
}

interface Schedule {
  heap: Pending[];
  timer?: ReturnType<typeof setTimeout>;
  timerAt?: number;
  /** The setTimeout the timer was made with: a new virtual clock means the old timer is gone. */
  timerWith?: typeof setTimeout;
}

const schedules = new WeakMap<SandboxWorld, Schedule>();

function push(heap: Pending[], item: Pending): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as Pending).at <= item.at) break;
    heap[i] = heap[parent] as Pending;
    i = parent;
  }
  heap[i] = item;
}

function pop(heap: Pending[]): Pending | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && (heap[r] as Pending).at < (heap[l] as Pending).at ? r : l;
    if ((heap[c] as Pending).at >= last.at) break;
    heap[i] = heap[c] as Pending;
    i = c;
  }
  heap[i] = last;
  return top;
}

function changeOf(stack: StackRecord, op: OperationRecord, index: number): StatusChange | undefined {
  const phase = op.phases[index];
  if (!phase) return undefined;
  const [dt, code, reason] = phase;
  return {
    accountId: stack.accountId,
    region: stack.region,
    stackId: stack.stackId,
    operationId: op.id,
    index,
    at: op.startedAt + dt,
    status: STATUS_CODES[code] ?? 'UNKNOWN',
    ...(reason === undefined ? {} : { reason }),
    ...(op.token === undefined ? {} : { clientRequestToken: op.token }),
  };
}

/** The schedule of a world, rebuilt on first use from the operations whose changes were not all sent. */
function scheduleOf(world: SandboxWorld): Schedule {
  let schedule = schedules.get(world);
  if (schedule) return schedule;
  schedule = { heap: [] };
  schedules.set(world, schedule);
  if (world.state.cloudformation === undefined) return schedule;
  for (const [key, target] of Object.entries(cfnSection(world).targets)) {
    for (const stack of Object.values(target.stacks)) {
      const op = stack.ops[stack.ops.length - 1];
      if (!op || op.emitted === undefined) continue;
      for (let i = op.emitted; i < op.phases.length; i++) {
        const change = changeOf(stack, op, i) as StatusChange;
        push(schedule.heap, { at: change.at, target: key, stackId: stack.stackId, opId: op.id, index: i });
      }
    }
  }
  return schedule;
}

/**
 * Schedules the status changes of the operation a stack just started (its last one): call right
 * after pushing it. Changes before `now` are history (a scenario's earlier stacks) and not sent.
 */
export function scheduleStackStatusChanges(world: SandboxWorld, stack: StackRecord): void {
  const op = stack.ops[stack.ops.length - 1];
  if (!op) return;
  const now = world.now();
  const schedule = scheduleOf(world);
  op.emitted = 0;
  for (let i = 0; i < op.phases.length; i++) {
    const change = changeOf(stack, op, i) as StatusChange;
    if (change.at < now) {
      op.emitted = i + 1;
      continue;
    }
    push(schedule.heap, {
      at: change.at,
      target: targetKey(stack.accountId, stack.region),
      stackId: stack.stackId,
      opId: op.id,
      index: i,
    });
  }
  emitDueStackStatusChanges(world, now);
}

/**
 * Sends every scheduled status change due by `now` (the request path calls this before each
 * request; the timer calls it under virtual time) and arms the timer for the next one.
 */
export function emitDueStackStatusChanges(world: SandboxWorld, now: number): void {
  const schedule = scheduleOf(world);
  const heap = schedule.heap;
  for (let top = heap[0]; top && top.at <= now; top = heap[0]) {
    pop(heap);
    const stack = cfnSection(world).targets[top.target]?.stacks[top.stackId];
    const at = stack?.ops.findIndex((o) => o.id === top.opId) ?? -1;
    const op = stack?.ops[at];
    if (!stack || !op || (op.emitted ?? 0) > top.index) continue;
    const later = stack.ops[at + 1];
    op.emitted = top.index + 1;
    // An operation that started before this change was due overtook it: it never happened.
    if (later && later.startedAt <= top.at) continue;
    const change = changeOf(stack, op, top.index) as StatusChange;
    emitStatusChange(world, change, changeOf(stack, op, top.index + 1));
  }
  arm(world, schedule);
}

/** Under virtual time, a timer for the next change (so it is sent on time with nobody calling). */
function arm(world: SandboxWorld, schedule: Schedule): void {
  const next = schedule.heap[0];
  const sameClock = schedule.timerWith === globalThis.setTimeout;
  if (schedule.timer !== undefined && sameClock && schedule.timerAt === next?.at) return;
  if (schedule.timer !== undefined && sameClock) clearTimeout(schedule.timer);
  schedule.timer = undefined;
  schedule.timerAt = undefined;
  if (!next || !isVirtualTimeActive()) return;
  schedule.timerWith = globalThis.setTimeout;
  schedule.timerAt = next.at;
  // CloudFormation sends the event, not whichever function's request armed the timer.
  schedule.timer = outsideAmbientIdentity(() =>
    setTimeout(
      () => {
        schedule.timer = undefined;
        const now = world.now();
        // The stack's end takes effect before its event says so.
        settleDue(world, now);
        emitDueStackStatusChanges(world, now);
      },
      Math.max(0, next.at - world.now()),
    ),
  );
}
