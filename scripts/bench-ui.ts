/**
 * `npm run bench:ui`: renders a rollout page of 10,000 targets (2,500 accounts x 4 regions, the
 * self-contained export the browser test uses) in headless Chromium and prints the time to the
 * first full paint, the page's memory, and frame times while the matrix scrolls. Figures, not
 * limits (the target: under 1 s to the first full paint).
 *
 *   npm run bench:ui                       # 2,500 accounts, 5 runs, median
 *   npm run bench:ui -- --accounts 250 --runs 3 --json
 *   npm run bench:ui -- --polls            # what the server's polls cost at 10,000 targets (no browser)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM_PATH, hasChromium, launchChromium, TEST_OUTPUT } from '../test/browser/chromium';
import { SCALE_REGIONS, scalePageHtml } from '../test/helpers/ui-scale-fixture';
import { measurePollCost } from './bench-ui-polls';

interface Run {
  /**
   * Navigation start to the frame after the page applied its data (matrix drawn and painted), or
   * to Chromium's first-contentful-paint when that comes later: whichever is the later paint.
   */
  firstFullPaintMs: number;
  /** Chromium's first-contentful-paint entry (the shell). */
  firstContentfulPaintMs: number;
  jsHeapUsedMb: number;
  domNodes: number;
  /** Frame intervals while the matrix scrolls 150 px per frame for 120 frames. */
  scrollFrameMedianMs: number;
  scrollFrameMaxMs: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '2500' },
      runs: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      polls: { type: 'boolean', default: false },
    },
  });
  if (values.polls) {
    const cost = await measurePollCost(Number(values.accounts) * 4);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(cost)}\n`);
      return;
    }
    process.stdout.write(
      [
        `targets                 ${cost.targets} (${cost.concurrency} at once; ${cost.shortLived} started and ended between two polls)`,
        `polls                   ${cost.polls} (one per simulated second)`,
        `ListExecutions pages    median ${cost.listPagesPerPoll.median}, max ${cost.listPagesPerPoll.max} per poll (a full listing: ${cost.fullListingPages})`,
        `DescribeExecution calls median ${cost.describesPerPoll.median}, max ${cost.describesPerPoll.max} per poll`,
        `stale after a poll      at most ${cost.maxStaleAfterPoll} ended targets not shown final`,
        '',
      ].join('\n'),
    );
    return;
  }
  const accounts = Number(values.accounts);
  const runs = Number(values.runs);
  if (!Number.isInteger(accounts) || accounts < 1)
    throw new Error(`--accounts must be a positive integer. Received: ${values.accounts}`);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a positive integer. Received: ${values.runs}`);
  if (!hasChromium) throw new Error(`bench:ui needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);

  mkdirSync(TEST_OUTPUT, { recursive: true });
  const file = path.join(TEST_OUTPUT, `bench-ui-${accounts}.html`);
  const html = await scalePageHtml(accounts);
  writeFileSync(file, html);
  const targets = accounts * SCALE_REGIONS.length;
  process.stderr.write(`${targets} targets; page ${(html.length / 1e6).toFixed(1)} MB; ${runs} runs\n`);

  const browser = await launchChromium();
  const results: Run[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const page = await browser.context.newPage();
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => window.stackfleetUi?.paintedAt !== undefined, undefined, {
        timeout: 60_000,
      });
      const timing = await page.evaluate(() => ({
        paintedAt: window.stackfleetUi.paintedAt!,
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0,
        cells: window.stackfleetUi.matrix!.cells().length,
      }));
      if (timing.cells !== targets) throw new Error(`the page holds ${timing.cells} cells, not ${targets}`);
      // A string, not a function: tsx names inner functions with a helper the page lacks.
      const frames = (await page.evaluate(`new Promise((resolve) => {
        const scroll = document.querySelector('.matrix-scroll');
        const out = [];
        let last = 0;
        function step(t) {
          if (last) out.push(t - last);
          last = t;
          if (out.length >= 120) return resolve(out);
          scroll.scrollTop += 150;
          requestAnimationFrame(step);
        }
        requestAnimationFrame(step);
      })`)) as number[];
      const { metrics } = (await cdp.send('Performance.getMetrics')) as {
        metrics: Array<{ name: string; value: number }>;
      };
      const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      const run: Run = {
        firstFullPaintMs: Math.round(Math.max(timing.paintedAt, timing.fcp)),
        firstContentfulPaintMs: Math.round(timing.fcp),
        jsHeapUsedMb: Number((metric('JSHeapUsedSize') / 2 ** 20).toFixed(1)),
        domNodes: metric('Nodes'),
        scrollFrameMedianMs: Number(median(frames).toFixed(1)),
        scrollFrameMaxMs: Number(Math.max(...frames).toFixed(1)),
      };
      results.push(run);
      process.stderr.write(`run ${i + 1}: ${JSON.stringify(run)}\n`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const summary = Object.fromEntries(
    (Object.keys(results[0]!) as Array<keyof Run>).map((k) => [k, median(results.map((r) => r[k]))]),
  ) as unknown as Run;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ targets, accounts, runs: results, median: summary })}\n`);
    return;
  }
  process.stdout.write(
    [
      `targets                 ${targets} (${accounts} accounts x ${SCALE_REGIONS.length} regions)`,
      `first full paint        ${summary.firstFullPaintMs} ms (median of ${runs}; target < 1000 ms)`,
      `first contentful paint  ${summary.firstContentfulPaintMs} ms`,
      `JS heap used            ${summary.jsHeapUsedMb} MB`,
      `DOM nodes               ${summary.domNodes}`,
      `scroll frame interval   median ${summary.scrollFrameMedianMs} ms, max ${summary.scrollFrameMaxMs} ms`,
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
