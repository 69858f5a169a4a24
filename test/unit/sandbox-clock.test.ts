/**
 * Virtual time: long waits cost nothing and come out the same on every run, which is what lets
 * a rollout of thousands of targets with 30-second polls simulate in seconds.
 */
import { readFile } from 'node:fs/promises';
import { isVirtualTimeActive, realNow, runWithVirtualTime, startScaledClock } from '../../src/sandbox/clock';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ten "workers" that each poll every 30 s for 10 minutes, logging when each poll happened. */
async function tenMinutesOfPolling(): Promise<string[]> {
  const log: string[] = [];
  const start = Date.now();
  await Promise.all(
    Array.from({ length: 10 }, async (_, worker) => {
      await sleep(worker * 1000);
      while (Date.now() - start < 10 * 60 * 1000) {
        await sleep(30_000 + worker * 7);
        await Promise.resolve();
        log.push(`${worker}@${Date.now() - start}`);
      }
    }),
  );
  return log;
}

test('a 10-minute setTimeout chain finishes at once, deterministically, with Date following the clock', async () => {
  const wallStart = realNow();
  const first = await runWithVirtualTime(tenMinutesOfPolling, { startAt: Date.UTC(2030, 0, 1) });
  const second = await runWithVirtualTime(tenMinutesOfPolling, { startAt: Date.UTC(2030, 0, 1) });
  expect(realNow() - wallStart).toBeLessThan(5000);
  expect(first.length).toBeGreaterThan(190);
  expect(second).toEqual(first);
  expect(first[0]).toBe('0@30000');
  expect(isVirtualTimeActive()).toBe(false);
  // Real timers are back afterwards.
  const before = realNow();
  await sleep(20);
  expect(realNow() - before).toBeGreaterThanOrEqual(15);
});

test('the clock does not jump while real I/O is pending', async () => {
  const order: string[] = [];
  await runWithVirtualTime(async () => {
    const timer = sleep(60_000).then(() => order.push('timer'));
    await readFile(__filename);
    order.push('io');
    await timer;
  });
  expect(order).toEqual(['io', 'timer']);
});

test('virtual time starts where asked, reports each step, and passes errors through', async () => {
  const steps: number[] = [];
  const at = await runWithVirtualTime(
    async () => {
      await sleep(1000);
      await sleep(2000);
      return Date.now();
    },
    { startAt: 1_000_000, onStep: (now) => steps.push(now) },
  );
  expect(at).toBe(1_003_000);
  expect(steps).toEqual([1_001_000, 1_003_000]);
  await expect(
    runWithVirtualTime(async () => {
      await sleep(5000);
      throw new Error('failed after five virtual seconds');
    }),
  ).rejects.toThrow('failed after five virtual seconds');
  expect(isVirtualTimeActive()).toBe(false);
});

test('under virtual time Date reads the clock and dates with arguments are plain dates', async () => {
  const RealDate = Date;
  const seen = await runWithVirtualTime(
    async () => {
      await sleep(1500);
      const parsed = new Date('2030-01-01T00:00:10Z');
      const made = new Date();
      return {
        now: Date.now(),
        fresh: made.getTime(),
        text: Date(),
        parts: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)).toISOString(),
        local: new Date(2030, 0, 2).getDate(),
        copy: new Date(parsed).getTime(),
        isDate: parsed instanceof Date && parsed instanceof RealDate && parsed.constructor === RealDate,
      };
    },
    { startAt: Date.UTC(2030, 0, 1) },
  );
  expect(seen.now).toBe(Date.UTC(2030, 0, 1) + 1500);
  expect(seen.fresh).toBe(seen.now);
  expect(seen.text).toBe(new RealDate(seen.now).toString());
  expect(seen.parts).toBe('2030-01-02T03:04:05.000Z');
  expect(seen.local).toBe(2);
  expect(seen.copy).toBe(Date.UTC(2030, 0, 1, 0, 0, 10));
  expect(seen.isDate).toBe(true);
  expect(Date).toBe(RealDate);
  expect(Math.abs(Date.now() - realNow())).toBeLessThan(1000);
});

test('virtual time cannot be nested', async () => {
  await runWithVirtualTime(async () => {
    await expect(runWithVirtualTime(async () => 1)).rejects.toThrow('cannot nest');
  });
});

test('a scaled clock runs timers K times faster than real time', async () => {
  const clock = startScaledClock({ speed: 100, startAt: 0 });
  try {
    const wallStart = realNow();
    await sleep(3000); // three virtual seconds = about 30 real ms at speed 100
    const wall = realNow() - wallStart;
    expect(wall).toBeLessThan(1000);
    expect(clock.now()).toBeGreaterThanOrEqual(3000);
  } finally {
    clock.stop();
  }
  expect(isVirtualTimeActive()).toBe(false);
  expect(() => startScaledClock({ speed: 0 })).toThrow('speed must be a positive number. Received: 0');
});
