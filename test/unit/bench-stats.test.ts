import {
  countingFactor,
  listScheduleMakespan,
  makespanLowerBound,
  makespanRatio,
  median,
  quantile,
} from '../../scripts/bench/stats';

describe('makespanLowerBound', () => {
  it.each([
    { name: 'one long stack dominates', stacks: [900, 60, 60, 60], concurrency: 4, bound: 900 },
    { name: 'total work over the slots dominates', stacks: [120, 120, 120, 120], concurrency: 2, bound: 240 },
    { name: 'one slot runs everything in sequence', stacks: [10, 20, 30], concurrency: 1, bound: 60 },
    {
      name: 'more slots than stacks is the longest stack',
      stacks: [10, 20, 30],
      concurrency: 100,
      bound: 30,
    },
    { name: 'no stacks', stacks: [], concurrency: 3, bound: 0 },
  ])('$name', ({ stacks, concurrency, bound }) => {
    expect(makespanLowerBound(stacks, concurrency)).toBe(bound);
  });

  it('refuses a concurrency that is not a whole number of at least 1, naming it and the value', () => {
    expect(() => makespanLowerBound([1], 0)).toThrow(
      'concurrency must be a whole number of at least 1. Received: 0',
    );
    expect(() => makespanLowerBound([1], 2.5)).toThrow('Received: 2.5');
  });

  it('refuses negative or non-finite stack durations', () => {
    expect(() => makespanLowerBound([10, -1], 2)).toThrow('Received: -1');
    expect(() => makespanLowerBound([Number.NaN], 2)).toThrow('Received: NaN');
  });
});

describe('median and quantile', () => {
  it.each([
    { values: [3, 1, 2], median: 2 },
    { values: [4, 1, 3, 2], median: 2.5 },
    { values: [7], median: 7 },
  ])('median of $values is $median', ({ values, median: expected }) => {
    expect(median(values)).toBe(expected);
  });

  it('gives NaN for no values so an empty measurement shows instead of reading as 0', () => {
    expect(median([])).toBeNaN();
    expect(quantile([], 0.95)).toBeNaN();
  });

  it('takes the nearest-rank quantile without reordering the caller’s array', () => {
    const values = [50, 10, 40, 20, 30, 60, 70, 80, 90, 100];
    expect(quantile(values, 0.95)).toBe(100);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0)).toBe(10);
    expect(values[0]).toBe(50);
  });
});

describe('makespanRatio', () => {
  it('is makespan over bound, and NaN when there is no bound to compare with', () => {
    expect(makespanRatio(1050, 1000)).toBeCloseTo(1.05);
    expect(makespanRatio(10, 0)).toBeNaN();
  });
});

describe('countingFactor', () => {
  it('keeps the calibrated count so figures stay right whether the sandbox counts a call once or twice', () => {
    expect(countingFactor(1)).toBe(1);
    expect(countingFactor(2)).toBe(2);
  });

  it('refuses a calibration that saw no call', () => {
    expect(() => countingFactor(0)).toThrow('Received: 0');
  });
});

describe('listScheduleMakespan', () => {
  it.each([
    { name: 'a slow stack last waits for a slot', stacks: [60, 60, 60, 600], concurrency: 2, makespan: 660 },
    { name: 'longest first reaches the bound', stacks: [600, 60, 60, 60], concurrency: 2, makespan: 600 },
    {
      name: 'equal stacks fill the slots in waves',
      stacks: [100, 100, 100, 100, 100],
      concurrency: 2,
      makespan: 300,
    },
    { name: 'one slot is the sum', stacks: [1, 2, 3], concurrency: 1, makespan: 6 },
  ])('$name', ({ stacks, concurrency, makespan }) => {
    expect(listScheduleMakespan(stacks, concurrency)).toBe(makespan);
  });

  it('is never below the lower bound on a larger random-looking set', () => {
    const stacks = Array.from({ length: 500 }, (_, i) => 60 + ((i * 7919) % 840));
    for (const c of [1, 7, 50, 499, 1000]) {
      const bound = makespanLowerBound(stacks, c);
      const list = listScheduleMakespan(stacks, c);
      expect(list).toBeGreaterThanOrEqual(bound);
      // Graham: greedy list scheduling is within 2x of optimal, so within 2x of the bound
      expect(list).toBeLessThanOrEqual(2 * bound);
    }
  });
});
