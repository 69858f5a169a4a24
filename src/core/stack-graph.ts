import type { ParameterOverride, StackCapability, TemplateLocation } from './rollout-input';

/**
 * A baseline of several stacks: the graph a rollout request's `stacks` describe, and the pure
 * decisions made on it (order, cycles, which stacks a target runs, how a target's stacks are
 * split into lanes). Each target walks its own copy of the graph, so nothing here waits for
 * another target.
 */

/** A parameter whose value is another stack's output in the same target, read when that stack has finished. */
export interface OutputReference {
  fromStack: string;
  output: string;
}

/** Which of the rollout's accounts a stack is limited to; absent fields do not narrow. */
export interface StackTargetNarrowing {
  accounts?: string[];
  organizationalUnits?: string[];
  excludeAccounts?: string[];
}

/** One stack of the graph, validated, defaults filled in. */
export interface StackSpec {
  /** The graph's name for it (dependsOn, fromStack, results, execution names). */
  name: string;
  /** The CloudFormation stack name in every target. */
  stackName: string;
  template: TemplateLocation;
  /** Literal values. */
  parameters: Record<string, string>;
  /** Values taken from a dependency's outputs in the same target. */
  outputParameters: Record<string, OutputReference>;
  parameterOverrides: ParameterOverride[];
  /** The rollout's tags with the stack's own on top. */
  tags: Record<string, string>;
  capabilities: StackCapability[];
  /** Stacks that must have succeeded in a target before this one starts there: `dependsOn` plus every `fromStack`. */
  dependsOn: string[];
  targets?: StackTargetNarrowing;
  regions?: string[];
}

/** Names in an order where every stack comes after its dependencies (request order among equals). */
export function topologicalOrder(stacks: readonly Pick<StackSpec, 'name' | 'dependsOn'>[]): string[] {
  const known = new Set(stacks.map((s) => s.name));
  const remaining = new Map(stacks.map((s) => [s.name, s.dependsOn.filter((d) => known.has(d))]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = stacks.find(
      (s) => remaining.has(s.name) && (remaining.get(s.name) ?? []).every((d) => !remaining.has(d)),
    );
    // A cycle: the caller validates first (findCycle); keep the rest in request order.
    if (!ready) {
      for (const s of stacks) if (remaining.has(s.name)) order.push(s.name);
      break;
    }
    order.push(ready.name);
    remaining.delete(ready.name);
  }
  return order;
}

/**
 * One dependency cycle, as the names along it with the first repeated at the end
 * (`logging -> config -> logging`), or undefined. Unknown names are ignored (reported apart).
 */
export function findCycle(stacks: readonly Pick<StackSpec, 'name' | 'dependsOn'>[]): string[] | undefined {
  const deps = new Map(stacks.map((s) => [s.name, s.dependsOn]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const d of deps.get(name) ?? []) {
      if (!deps.has(d)) continue;
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const s of stacks) {
    const cycle = visit(s.name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every stack a stack waits for, directly or through others. */
export function ancestorsOf(
  stacks: readonly Pick<StackSpec, 'name' | 'dependsOn'>[],
  name: string,
): Set<string> {
  const deps = new Map(stacks.map((s) => [s.name, s.dependsOn]));
  const out = new Set<string>();
  const stack = [...(deps.get(name) ?? [])];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    if (out.has(d)) continue;
    out.add(d);
    stack.push(...(deps.get(d) ?? []));
  }
  return out;
}

/**
 * A lane is the part of one target's graph that one item of the fan-out deploys, one stack at a
 * time and in order. A stack waits in its lane only for dependencies in lanes with a lower index
 * (those items start earlier, and the first lane never waits), so lanes cannot wait on each other
 * in a circle; at most `cap` lanes per target means at most `cap` of its stacks in flight.
 */
export interface Lane {
  stacks: string[];
}

/**
 * Splits the stacks one target runs (any order; `dependsOn` may name stacks the target does not
 * run, which then do not hold it up) into at most `cap` lanes. In graph order, each stack goes to
 * the lane that ends with one of its dependencies (it would wait for that one anyway), else to a
 * new lane while there is room, else to the least loaded lane at or after its dependencies'
 * lanes. `weight` estimates a stack's seconds, for "least loaded".
 */
export function buildLanes(
  stacks: readonly Pick<StackSpec, 'name' | 'dependsOn'>[],
  cap: number,
  weight: (name: string) => number = () => 1,
): Lane[] {
  const present = new Set(stacks.map((s) => s.name));
  const deps = new Map(stacks.map((s) => [s.name, s.dependsOn.filter((d) => present.has(d))]));
  const lanes: Array<{ stacks: string[]; load: number }> = [];
  const laneOf = new Map<string, number>();
  for (const name of topologicalOrder(stacks)) {
    const mine = deps.get(name) ?? [];
    const lowest = mine.reduce((m, d) => Math.max(m, laneOf.get(d) ?? 0), 0);
    let chosen = -1;
    // Continue the lane of the latest dependency when that dependency is its last stack.
    for (let i = lanes.length - 1; i >= lowest && chosen < 0; i--) {
      const tail = lanes[i]?.stacks.at(-1);
      if (tail !== undefined && mine.includes(tail)) chosen = i;
    }
    if (chosen < 0 && lanes.length < Math.max(1, cap)) {
      lanes.push({ stacks: [], load: 0 });
      chosen = lanes.length - 1;
    }
    if (chosen < 0) {
      chosen = lowest;
      for (let i = lowest; i < lanes.length; i++)
        if ((lanes[i]?.load ?? 0) < (lanes[chosen]?.load ?? 0)) chosen = i;
    }
    const lane = lanes[chosen] as { stacks: string[]; load: number };
    lane.stacks.push(name);
    lane.load += weight(name);
    laneOf.set(name, chosen);
  }
  return lanes.map((l) => ({ stacks: l.stacks }));
}

/** For each stack of a lane set, the lane index it runs in. */
export function laneIndex(lanes: readonly Lane[]): Map<string, number> {
  const out = new Map<string, number>();
  lanes.forEach((lane, i) => {
    for (const s of lane.stacks) out.set(s, i);
  });
  return out;
}

/**
 * The longest chain of estimated seconds through a target's stacks (its critical path): no
 * schedule of that target can finish sooner.
 */
export function criticalPathSeconds(
  stacks: readonly Pick<StackSpec, 'name' | 'dependsOn'>[],
  seconds: (name: string) => number,
): number {
  const present = new Set(stacks.map((s) => s.name));
  const deps = new Map(stacks.map((s) => [s.name, s.dependsOn.filter((d) => present.has(d))]));
  const finish = new Map<string, number>();
  for (const name of topologicalOrder(stacks)) {
    const start = Math.max(0, ...(deps.get(name) ?? []).map((d) => finish.get(d) ?? 0));
    finish.set(name, start + seconds(name));
  }
  return Math.max(0, ...finish.values());
}
