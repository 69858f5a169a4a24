/**
 * Stacks settle lazily (when someone reads them); their effects on the other services (an IAM
 * role a stack made) must be visible to the next request of any service as soon as the operation
 * ended. `settleDue(world, now)` folds every operation that ended by `now`, cheaply: a min-heap of
 * pending operation end times, built from the persisted world on first use and fed by every
 * operation that starts (`notePending`). The request path calls it before each request.
 */
import type { SandboxWorld } from '../types';
import './effects';
import { cfnSection, type StackRecord, settleStack, targetKey } from './state';

interface Due {
  at: number;
  target: string;
  stackId: string;
}

class MinHeap {
  private readonly items: Due[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Due | undefined {
    return this.items[0];
  }
  push(item: Due): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((a[parent] as Due).at <= item.at) break;
      a[i] = a[parent] as Due;
      i = parent;
    }
    a[i] = item;
  }
  pop(): Due | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] as Due).at < (a[l] as Due).at ? r : l;
      if ((a[c] as Due).at >= last.at) break;
      a[i] = a[c] as Due;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const heaps = new WeakMap<SandboxWorld, MinHeap>();

function heapOf(world: SandboxWorld): MinHeap {
  let heap = heaps.get(world);
  if (heap) return heap;
  heap = new MinHeap();
  heaps.set(world, heap);
  const section = world.state.cloudformation === undefined ? undefined : cfnSection(world);
  for (const [key, target] of Object.entries(section?.targets ?? {})) {
    for (const stack of Object.values(target.stacks)) {
      if (!stack.pending) continue;
      heap.push({ at: stack.pending.at, target: key, stackId: stack.stackId });
      if (inPlaceDue(stack))
        heap.push({ at: stack.pending.effectsAt as number, target: key, stackId: stack.stackId });
    }
  }
  return heap;
}

/** Records that a stack's running operation ends at `stack.pending.at` (call when one starts). */
export function notePending(world: SandboxWorld, stack: StackRecord): void {
  if (!stack.pending) return;
  const heap = heaps.get(world);
  // Without a heap yet, the first settleDue builds it from the world, this stack included.
  const target = targetKey(stack.accountId, stack.region);
  heap?.push({ at: stack.pending.at, target, stackId: stack.stackId });
  if (inPlaceDue(stack))
    heap?.push({ at: stack.pending.effectsAt as number, target, stackId: stack.stackId });
}

/** An update whose resources are in place before it ends, and whose effects have not run yet. */
function inPlaceDue(stack: StackRecord): boolean {
  return stack.pending?.effectsAt !== undefined && !stack.pending.effectsApplied;
}

/** Settles every stack operation that ended by `now` (its effects reach the services); returns how many. */
export function settleDue(world: SandboxWorld, now: number): number {
  const heap = heapOf(world);
  let settled = 0;
  for (let top = heap.peek(); top && top.at <= now; top = heap.peek()) {
    heap.pop();
    const target = cfnSection(world).targets[top.target];
    const stack = target?.stacks[top.stackId];
    if (!target || !stack?.pending) continue;
    if (stack.pending.at > now) {
      // An update's in-place moment: its resources take effect now, the rest when it ends.
      if (inPlaceDue(stack) && (stack.pending.effectsAt as number) <= now)
        settleStack(target, stack, now, world);
      heap.push({ at: stack.pending.at, target: top.target, stackId: top.stackId });
      continue;
    }
    settleStack(target, stack, now, world);
    settled += 1;
  }
  return settled;
}
