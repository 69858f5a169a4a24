import fc from 'fast-check';
import {
  ancestorsOf,
  buildLanes,
  criticalPathSeconds,
  findCycle,
  laneIndex,
  topologicalOrder,
} from '../../src/core/stack-graph';

/**
 * The graph decisions of the stacks form: order, cycles, and how a target's stacks are split into
 * lanes (one fan-out item each) so that lanes never wait on each other in a circle and a target
 * never has more than its cap of stacks in flight.
 */

const g = (edges: Record<string, string[]>) =>
  Object.entries(edges).map(([name, dependsOn]) => ({ name, dependsOn }));

describe('order and cycles', () => {
  it('orders every stack after its dependencies, request order among equals', () => {
    expect(
      topologicalOrder(g({ detection: ['config'], config: ['logging'], logging: [], guard: [] })),
    ).toEqual(['logging', 'config', 'detection', 'guard']);
  });

  it('finds a cycle as the names along it', () => {
    expect(findCycle(g({ a: ['c'], b: ['a'], c: ['b'] }))).toEqual(['a', 'c', 'b', 'a']);
    expect(findCycle(g({ a: [], b: ['a'], c: ['a', 'b'] }))).toBeUndefined();
  });

  it('knows every stack a stack waits for, through others', () => {
    expect([...ancestorsOf(g({ a: [], b: ['a'], c: ['b'], d: [] }), 'c')].sort()).toEqual(['a', 'b']);
  });

  it('gives the longest chain of seconds as the critical path', () => {
    const seconds = { a: 60, b: 30, c: 10, d: 95 } as Record<string, number>;
    expect(criticalPathSeconds(g({ a: [], b: ['a'], c: ['b'], d: [] }), (n) => seconds[n] ?? 0)).toBe(100);
  });
});

describe('lanes', () => {
  it('keeps a chain in one lane and puts an independent stack in a lane of its own', () => {
    const lanes = buildLanes(g({ logging: [], config: ['logging'], detection: ['config'], guard: [] }), 3);
    expect(lanes).toEqual([{ stacks: ['logging', 'config', 'detection'] }, { stacks: ['guard'] }]);
  });

  it('a branch goes to a new lane while the cap allows, and joins wait only on lower lanes', () => {
    const lanes = buildLanes(g({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }), 3);
    expect(lanes).toEqual([{ stacks: ['a', 'b'] }, { stacks: ['c', 'd'] }]);
  });

  it('never makes more lanes than the cap: stacks beyond it share the least loaded lane', () => {
    const weights = { a: 100, b: 10, c: 10 } as Record<string, number>;
    const lanes = buildLanes(g({ a: [], b: [], c: [] }), 2, (n) => weights[n] ?? 1);
    expect(lanes).toEqual([{ stacks: ['a'] }, { stacks: ['b', 'c'] }]);
    expect(buildLanes(g({ a: [], b: [], c: [] }), 1)).toEqual([{ stacks: ['a', 'b', 'c'] }]);
  });

  it('ignores dependencies on stacks the target does not run', () => {
    expect(buildLanes(g({ b: ['a'], c: [] }), 3)).toEqual([{ stacks: ['b'] }, { stacks: ['c'] }]);
  });

  const dags = fc
    .integer({ min: 1, max: 12 })
    .chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
      ),
    )
    .map(([n, pairs, cap]) => {
      // Edges only from a later to an earlier index: a DAG, in any request order.
      const deps: Record<string, string[]> = {};
      for (let i = 0; i < n; i++) deps[`s${i}`] = [];
      for (const [x, y] of pairs)
        if (x > y && !deps[`s${x}`]?.includes(`s${y}`)) deps[`s${x}`]?.push(`s${y}`);
      return { stacks: g(deps).reverse(), cap };
    });

  it('for any graph: every stack once, at most cap lanes, each lane in graph order, waits only downwards', () => {
    fc.assert(
      fc.property(dags, ({ stacks, cap }) => {
        const lanes = buildLanes(stacks, cap);
        const where = laneIndex(lanes);
        const all = lanes.flatMap((l) => l.stacks);
        expect(all.sort()).toEqual(stacks.map((s) => s.name).sort());
        expect(lanes.length).toBeLessThanOrEqual(cap);
        for (const [i, lane] of lanes.entries()) {
          for (const [j, name] of lane.stacks.entries()) {
            for (const d of stacks.find((s) => s.name === name)?.dependsOn ?? []) {
              const dl = where.get(d) as number;
              // A dependency is earlier in the same lane, or in a lane with a lower index.
              if (dl === i) expect(lane.stacks.indexOf(d)).toBeLessThan(j);
              else expect(dl).toBeLessThan(i);
            }
          }
        }
      }),
    );
  });
});
