/**
 * The figures of the benchmark, kept pure so they can be checked by table tests: the
 * makespan lower bound a perfect scheduler with perfect knowledge would reach, and medians.
 */

/**
 * The makespan no scheduler can beat with `concurrency` stacks at once: the longest stack,
 * or all stack time spread perfectly over the slots, whichever is larger.
 */
export function makespanLowerBound(stackSeconds: readonly number[], concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`concurrency must be a whole number of at least 1. Received: ${concurrency}`);
  let longest = 0;
  let total = 0;
  for (const s of stackSeconds) {
    if (!Number.isFinite(s) || s < 0)
      throw new Error(`stack durations must be seconds of at least 0. Received: ${s}`);
    longest = Math.max(longest, s);
    total += s;
  }
  return Math.max(longest, total / concurrency);
}

/** Median (mean of the middle two for an even count); NaN for no values, so a gap is visible. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Value at quantile q (0..1) by nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Makespan over the bound; 1 is perfect, 1.05 the target. */
export function makespanRatio(makespanSeconds: number, lowerBoundSeconds: number): number {
  return lowerBoundSeconds > 0 ? makespanSeconds / lowerBoundSeconds : Number.NaN;
}

/**
 * How many times the sandbox counts one CloudFormation call, from a calibration call: the
 * sandbox counted each call twice at the time of writing (world.countCall and the service's
 * own count); dividing by the measured factor keeps the figures right before and after the fix.
 */
export function countingFactor(countedForOneCall: number): number {
  if (!Number.isInteger(countedForOneCall) || countedForOneCall < 1)
    throw new Error(
      `one calibration call must be counted a whole number of times, at least once. Received: ${countedForOneCall}`,
    );
  return countedForOneCall;
}

/**
 * Makespan of greedy list scheduling with no polling delay: each stack, in the given order,
 * starts the moment a slot frees. It separates what the start order costs (a slow stack that
 * starts late) from what late noticing costs; sorting longest first gives the LPT schedule.
 */
export function listScheduleMakespan(stackSeconds: readonly number[], concurrency: number): number {
  makespanLowerBound(stackSeconds, concurrency); // same validation
  // min-heap of slot end times
  const heap: number[] = [];
  const push = (v: number) => {
    heap.push(v);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((heap[p] as number) <= v) break;
      heap[i] = heap[p] as number;
      i = p;
    }
    heap[i] = v;
  };
  const pop = (): number => {
    const top = heap[0] as number;
    const last = heap.pop() as number;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && (heap[r] as number) < (heap[l] as number) ? r : l;
        if ((heap[c] as number) >= last) break;
        heap[i] = heap[c] as number;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  let makespan = 0;
  for (const s of stackSeconds) {
    const start = heap.length < concurrency ? 0 : pop();
    const end = start + s;
    makespan = Math.max(makespan, end);
    push(end);
  }
  return makespan;
}
