/**
 * Time for the sandbox and the local engine. A rollout waits on CloudFormation in 30-second
 * polls; under a virtual clock those waits cost nothing, so thousands of targets simulate in
 * seconds, and because time only moves when every piece of work is idle the result is the
 * same on every run. `serve --speed K` uses the same fake timers driven by real time x K.
 */

import FakeTimers from '@sinonjs/fake-timers';
import { bindToAmbientIdentity } from '../aws/ambient-identity';

/** The real timers and clock, captured before anything fakes them (for progress output). */
const realDate = Date;
export const realSetTimeout: typeof setTimeout = globalThis.setTimeout.bind(globalThis) as typeof setTimeout;
export const realClearTimeout: typeof clearTimeout = globalThis.clearTimeout.bind(globalThis);
export const realSetInterval: typeof setInterval = globalThis.setInterval.bind(
  globalThis,
) as typeof setInterval;
export const realClearInterval: typeof clearInterval = globalThis.clearInterval.bind(globalThis);
const realSetImmediate = globalThis.setImmediate.bind(globalThis);

/** Real wall-clock milliseconds, even while virtual time is installed. */
export function realNow(): number {
  return realDate.now();
}

/** The timers a virtual clock fakes: NOT setImmediate/nextTick/performance, which drive the event loop. */
const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

let active: 'virtual' | 'scaled' | undefined;

/** Whether a virtual or scaled clock currently owns `Date` and the timers. */
export function isVirtualTimeActive(): boolean {
  return active !== undefined;
}

/**
 * Async resources that mean "work is waiting on real I/O": while one is pending, jumping the
 * clock would make timeouts fire before the I/O could answer. Long-lived handles (servers,
 * idle sockets, TTYs, real timers) are not in this list.
 */
const PENDING_IO =
  /Req(?:Wrap|Callback|Promise)?$|^(?:TCPConnectWrap|PipeConnectWrap|WriteWrap|ShutdownWrap|SendWrap|Immediate|Zlib)$/;

function pendingIo(): boolean {
  const getInfo = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  if (!getInfo) return false;
  for (const kind of getInfo.call(process)) if (PENDING_IO.test(kind)) return true;
  return false;
}

/**
 * A `Date` that reads the virtual clock, installed over fake-timers' own. Theirs subclasses
 * `Date` behind a Proxy and defines a `constructor` property on every instance, which made
 * `new Date(...)` one of the hottest functions of a large simulated rollout (the SDK parses
 * every timestamp of every response with it). This one returns plain native Dates, so
 * instances, `instanceof Date` and `Date.prototype` behave as without virtual time; only
 * `new Date()`, `Date()` and `Date.now()` read the clock. The clock's uninstall restores the
 * real `Date` as before.
 */
function virtualDate(clock: { readonly now: number }): DateConstructor {
  const VirtualDate = function VirtualDate(this: unknown, ...args: unknown[]): Date | string {
    // Called without `new`, Date returns the current time as a string.
    if (!new.target) return new realDate(clock.now).toString();
    if (args.length === 0) return new realDate(clock.now);
    if (args.length === 1) return new realDate(args[0] as string | number | Date);
    return new (realDate as unknown as new (...a: unknown[]) => Date)(...args);
  } as unknown as DateConstructor & { now: () => number };
  Object.defineProperties(VirtualDate, {
    prototype: { value: realDate.prototype },
    now: { value: () => clock.now, writable: true, configurable: true },
    UTC: { value: realDate.UTC, writable: true, configurable: true },
    parse: { value: realDate.parse, writable: true, configurable: true },
  });
  return VirtualDate;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/**
 * Fake timers run callbacks from whoever advances the clock, outside the async context that
 * scheduled them; callbacks scheduled while a function runs as its role keep that identity
 * (src/aws/ambient-identity.ts). The clock's uninstall puts the real timers back.
 */
function bindTimersToAmbientIdentity(): void {
  const fakeSetTimeout = globalThis.setTimeout;
  const fakeSetInterval = globalThis.setInterval;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    fakeSetTimeout(bindToAmbientIdentity(callback), ms, ...args)) as typeof setTimeout;
  globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    fakeSetInterval(bindToAmbientIdentity(callback), ms, ...args)) as typeof setInterval;
}

export interface VirtualTimeOptions {
  /** Virtual epoch milliseconds to start at (default: real now). Pass `sandbox.now()` to continue a persisted world. */
  startAt?: number;
  /** Called after each jump of the clock, with the new virtual now. */
  onStep?: (virtualNow: number) => void;
  /**
   * Interrupts the run: the clock stops moving, work still in flight runs until it waits on the
   * clock (nothing can change after that), `whileFrozen` runs (to save that world whole), and
   * the run rejects with the signal's reason.
   */
  signal?: AbortSignal;
  whileFrozen?: () => Promise<void>;
  /** While this returns true the clock does not move (fault injection for tests of interrupts). */
  hold?: () => boolean;
}

/**
 * Runs `work` with fake timers: whenever all work is idle (microtasks drained, no pending I/O)
 * the clock jumps to the next timer. Returns when `work` settles and restores the real timers.
 * Deterministic with the in-process transport; over HTTP a response still on its way is not
 * pending I/O Node can show, so the clock may jump while it is in flight (correct, not repeatable).
 */
export async function runWithVirtualTime<T>(
  work: () => Promise<T>,
  options: VirtualTimeOptions = {},
): Promise<T> {
  if (active) throw new Error(`runWithVirtualTime cannot nest: a ${active} clock is already installed`);
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: options.startAt ?? realNow(),
    toFake: [...FAKED],
    loopLimit: Number.MAX_SAFE_INTEGER,
    // Timers made before the clock was installed (keep-alive sockets, the SDK) can still be cleared.
    shouldClearNativeTimers: true,
  });
  globalThis.Date = virtualDate(clock);
  bindTimersToAmbientIdentity();
  active = 'virtual';
  let settled = false;
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  const run = (async () => work())().then(
    (value) => {
      outcome = { ok: true, value };
      settled = true;
    },
    (error: unknown) => {
      outcome = { ok: false, error };
      settled = true;
    },
  );
  try {
    let idleRounds = 0;
    while (!settled) {
      await yieldToEventLoop();
      if (settled) break;
      if (options.signal?.aborted) {
        await freeze(options.whileFrozen);
        outcome = { ok: false, error: options.signal.reason };
        settled = true;
        break;
      }
      if (pendingIo()) {
        idleRounds = 0;
        continue;
      }
      if (options.hold?.()) {
        await new Promise((resolve) => realSetTimeout(resolve, 2));
        continue;
      }
      if (clock.countTimers() === 0) {
        // Nothing scheduled and nothing pending we can see: work waits on something real
        // (a socket, a real timer). Let real time pass a little instead of spinning.
        idleRounds += 1;
        if (idleRounds > 3) await new Promise((resolve) => realSetTimeout(resolve, 2));
        continue;
      }
      idleRounds = 0;
      try {
        clock.next();
      } catch (error) {
        // A timer callback threw: in real Node that is an uncaught exception; here it ends the run.
        if (!settled) outcome = { ok: false, error };
        settled = true;
        break;
      }
      options.onStep?.(clock.now);
    }
    // An interrupted run's work never settles (it waits on timers that will not fire): not awaited.
    if (outcome?.ok !== false) await run;
  } finally {
    clock.uninstall();
    active = undefined;
  }
  if (!outcome) throw new Error('virtual time ended before the work settled');
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Lets in-flight work run until it waits on the (stopped) clock, then runs `whileFrozen`. */
async function freeze(whileFrozen: (() => Promise<void>) | undefined): Promise<void> {
  let quiet = 0;
  while (quiet < 3) {
    await yieldToEventLoop();
    quiet = pendingIo() ? 0 : quiet + 1;
  }
  await whileFrozen?.();
}

/** A clock that runs K times faster than real time (for `sandbox serve --speed K`). */
export interface ScaledClock {
  readonly speed: number;
  /** Virtual now. */
  now(): number;
  /** Restores the real timers. */
  stop(): void;
}

/**
 * Where a scaled clock's virtual time should be after real time moved on: `speed` virtual
 * milliseconds per real one while the sandbox is idle, but only one while it is busy answering a
 * call (a function running, a request being handled). The emulator computes far slower than AWS
 * answers: at --speed 60 a planner that takes 5 real seconds would otherwise spend 5 virtual
 * minutes, past its function timeout, and a function running a real minute would outlive the
 * one-hour credentials it assumed (ExpiredToken). Waits still pass K times faster.
 */
export class ScaledTimeline {
  private virtual: number;
  private lastReal: number;

  constructor(
    readonly speed: number,
    startAt: number,
    realStart: number,
  ) {
    this.virtual = startAt;
    this.lastReal = realStart;
  }

  /** The virtual now at real time `realNow`, given whether the sandbox was busy since the last call. */
  advance(realNow: number, busy: boolean): number {
    const elapsed = Math.max(0, realNow - this.lastReal);
    this.lastReal = realNow;
    this.virtual += elapsed * (busy ? 1 : this.speed);
    return this.virtual;
  }
}

/**
 * Installs fake timers whose time advances `speed` times faster than real time (at real time
 * while `busy()` says calls are being answered, see ScaledTimeline), driven by a real interval;
 * timers due in between fire in order with microtasks flushed between them. A speed of 1 still
 * fakes the timers so the sandbox's persisted clock can continue.
 */
export function startScaledClock(options: {
  speed: number;
  startAt?: number;
  resolutionMs?: number;
  busy?: () => boolean;
}): ScaledClock {
  const { speed } = options;
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new Error(`speed must be a positive number. Received: ${String(speed)}`);
  }
  if (active) throw new Error(`a ${active} clock is already installed`);
  const startAt = options.startAt ?? realNow();
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: startAt,
    toFake: [...FAKED],
    loopLimit: Number.MAX_SAFE_INTEGER,
    // Timers made before the clock was installed (keep-alive sockets, the SDK) can still be cleared.
    shouldClearNativeTimers: true,
  });
  globalThis.Date = virtualDate(clock);
  bindTimersToAmbientIdentity();
  active = 'scaled';
  const timeline = new ScaledTimeline(speed, startAt, realNow());
  let busy = false;
  const interval = realSetInterval(() => {
    const target = timeline.advance(realNow(), options.busy?.() ?? false);
    if (busy) return;
    const delta = Math.floor(target - clock.now);
    if (delta <= 0) return;
    busy = true;
    clock.tickAsync(delta).then(
      () => {
        busy = false;
      },
      () => {
        busy = false;
      },
    );
  }, options.resolutionMs ?? 10);
  return {
    speed,
    now: () => clock.now,
    stop() {
      realClearInterval(interval);
      clock.uninstall();
      active = undefined;
    },
  };
}
