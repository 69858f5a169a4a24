/**
 * The page with 10,000 targets (1,250 accounts x 8 regions): every target is in the matrix and
 * reachable, cells far down the list paint and explain themselves, and a large live update
 * lands. Prints how long loading and updating took (figures, not limits).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { aslToGraph } from '../../src/ui/asl-graph';
import { layoutGraph } from '../../src/ui/layout';
import { pageScript, renderPageHtml } from '../../src/ui/page-html';
import { type ExportBundleWire, outcomeColours, type TargetRowWire } from '../../src/ui/wire';
import { type Browser, describeWithChromium, launchChromium, TEST_OUTPUT } from './chromium';

const ROOT = path.join(__dirname, '..', '..');
const REGIONS = [
  'af-south-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'us-east-1',
  'us-west-2',
];
const OUTCOMES = ['CREATED', 'UPDATED', 'NO_CHANGE', 'FAILED', 'IN_PROGRESS'];

async function bundle(): Promise<ExportBundleWire> {
  const graph = async (file: string, machine: string) =>
    layoutGraph(aslToGraph(readFileSync(path.join(ROOT, 'statemachines', file), 'utf8'), machine));
  const accounts = Array.from({ length: 1250 }, (_, i) => String(300000000000 + i));
  const rows: TargetRowWire[] = [];
  const counts: Record<string, number> = {};
  accounts.forEach((account, a) => {
    REGIONS.forEach((region, r) => {
      const o = (a * 7 + r * 3) % OUTCOMES.length;
      counts[OUTCOMES[o]!] = (counts[OUTCOMES[o]!] ?? 0) + 1;
      rows.push([
        a,
        r,
        o,
        `${account}-${region}-scale`,
        OUTCOMES[o] === 'FAILED' ? `Bucket in ${account} ${region} already exists` : '',
      ]);
    });
  });
  return {
    exportedAt: 0,
    definitions: {
      rollout: await graph('rollout.asl.json', 'rollout'),
      target: await graph('deploy-target.asl.json', 'deploy-target'),
    },
    rollout: {
      rollout: {
        executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:stackfleet-rollout:scale',
        name: 'scale',
        status: 'RUNNING',
        stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:stackfleet-rollout',
        startDate: 0,
        now: 600_000,
        mapRuns: [],
        counts,
        total: rows.length,
        done: rows.length - (counts.IN_PROGRESS ?? 0),
        statuses: {},
      },
      targets: {
        version: 1,
        reset: true,
        accountsOffset: 0,
        accounts,
        regionsOffset: 0,
        regions: REGIONS,
        outcomesOffset: 0,
        outcomes: OUTCOMES,
        executionPrefix: 'arn:aws:states:eu-west-1:111122223333:execution:stackfleet-deploy-target:',
        rows,
      },
    },
    targets: {},
  };
}

describeWithChromium('the page with 10,000 targets', () => {
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
  });

  it('shows, paints and explains every target and takes a large update', async () => {
    const data = await bundle();
    const file = path.join(TEST_OUTPUT, 'matrix-10k.html');
    writeFileSync(
      file,
      renderPageHtml({
        config: { mode: 'static', pollMs: 0 },
        data,
        script: await pageScript(),
        title: 'scale',
      }),
    );
    browser = await launchChromium();
    const page = await browser.context.newPage();
    const started = Date.now();
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => window.stackfleetUi?.ready === true);
    const loadMs = Date.now() - started;

    expect(await page.evaluate(() => window.stackfleetUi.matrix!.cells().length)).toBe(10_000);
    expect(await page.textContent('[data-field="progress"]')).toContain('/ 10,000 targets done');

    // The last account, far below the fold: scrolled to, painted with its outcome, explained on hover.
    const account = '300000001249';
    const region = 'us-west-2';
    const expected = OUTCOMES[(1249 * 7 + 7 * 3) % OUTCOMES.length]!;
    const point = await page.evaluate(
      ([a, r]) => window.stackfleetUi.matrix!.locate(a!, r!),
      [account, region],
    );
    expect(point).toBeDefined();
    const pixel = await page.evaluate(({ x, y }) => {
      const canvas = document.querySelector('.matrix canvas') as HTMLCanvasElement;
      const rect = canvas.getBoundingClientRect();
      const ratio = window.devicePixelRatio || 1;
      const d = canvas
        .getContext('2d')!
        .getImageData(Math.round((x - rect.left) * ratio), Math.round((y - rect.top) * ratio), 1, 1).data;
      return `#${Array.from(d.slice(0, 3), (v) => v.toString(16).padStart(2, '0')).join('')}`;
    }, point!);
    expect(pixel).toBe(outcomeColours[expected]);
    await page.mouse.move(point!.x, point!.y);
    expect(await page.textContent('.matrix-tip')).toContain(`${account} · ${region}\n${expected}`);

    // A poll that changes 2,000 targets at once is applied and painted in one frame.
    const updateMs = await page.evaluate(async () => {
      const matrix = window.stackfleetUi.matrix!;
      const changed = matrix
        .cells()
        .slice(0, 2000)
        .map((c) => ({ ...c, outcome: 'FAILED', reason: 'late failure' }));
      const t = performance.now();
      matrix.update(changed);
      await new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
      return performance.now() - t;
    });
    expect(
      await page.evaluate(
        () => window.stackfleetUi.matrix!.cells().filter((c) => c.reason === 'late failure').length,
      ),
    ).toBe(2000);
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'matrix-10k.png') });
    process.stdout.write(
      `10,000 targets: page ready in ${loadMs} ms; 2,000-cell update painted in ${updateMs.toFixed(1)} ms\n`,
    );
  }, 180_000);
});
