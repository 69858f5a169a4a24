/**
 * The world's seeded randomness and region rules: the same scenario and seed must give the same
 * simulated rollout on every machine, and opt-in regions exist only where an account enabled them.
 */
import { parseScenario } from '../../src/sandbox/scenario';
import { World } from '../../src/sandbox/world';

const scenario = (seed: number) =>
  parseScenario(`
seed: ${seed}
organization:
  accounts:
    - { id: "111111111111", name: management }
    - { id: "222222222222", name: opted, optInRegionsEnabled: [af-south-1] }
    - { id: "333333333333", name: plain }
regions: [us-east-1, eu-west-1]
optInRegions: [af-south-1, me-south-1]
`);

test('random(key) is a stable function of seed and key, spread over [0, 1)', () => {
  const a = new World(scenario(7), {});
  const b = new World(scenario(7), {});
  const c = new World(scenario(8), {});
  const keys = Array.from({ length: 2000 }, (_, i) => `duration:AWS::S3::Bucket:${i}`);
  const values = keys.map((k) => a.random(k));
  expect(keys.map((k) => b.random(k))).toEqual(values);
  expect(keys.map((k) => c.random(k))).not.toEqual(values);
  expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...values)).toBeLessThan(1);
  const mean = values.reduce((x, y) => x + y, 0) / values.length;
  expect(mean).toBeGreaterThan(0.45);
  expect(mean).toBeLessThan(0.55);
  const belowTenth = values.filter((v) => v < 0.1).length / values.length;
  expect(belowTenth).toBeGreaterThan(0.07);
  expect(belowTenth).toBeLessThan(0.13);
});

test.each([
  ['222222222222', 'us-east-1', true],
  ['222222222222', 'af-south-1', true],
  ['222222222222', 'me-south-1', false],
  ['333333333333', 'af-south-1', false],
  ['333333333333', 'ap-east-1', false],
])('isRegionEnabled(%s, %s) is %s', (account, region, expected) => {
  expect(new World(scenario(1), {}).isRegionEnabled(account, region)).toBe(expected);
});

test('sections are created once and live in the persisted state', () => {
  const state: Record<string, unknown> = {};
  const world = new World(scenario(1), state);
  const first = world.section('demo', () => ({ n: 1 }));
  first.n = 2;
  expect(world.section('demo', () => ({ n: 99 })).n).toBe(2);
  expect(state.demo).toEqual({ n: 2 });
});

test('the clock continues from a persisted time and moves forward on advance()', () => {
  const future = Date.now() + 5 * 3600_000;
  const world = new World(scenario(1), {}, future);
  expect(world.now()).toBeGreaterThanOrEqual(future);
  const before = world.now();
  world.advance(60_000);
  expect(world.now() - before).toBeGreaterThanOrEqual(60_000);
  expect(() => world.advance(-1)).toThrow('Received: -1');
});
