/**
 * The page with 10,000 targets (2,500 accounts x 4 regions, in 4 OUs): every target is in the
 * matrix, grouped by OU with account names, the last row is not cut off, "Failed only" and the
 * search narrow the rows, the legend lists only deploy outcomes, and a large live update lands.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { FILTERED_OUT_COLOUR } from '../../src/ui/page/matrix';
import { outcomeColours, outcomesByMode } from '../../src/ui/wire';
import {
  SCALE_REGIONS,
  scaleAccount,
  scaleName,
  scaleOu,
  scaleOutcome,
  scalePageHtml,
} from '../helpers/ui-scale-fixture';
import { type Browser, describeWithChromium, launchChromium, TEST_OUTPUT } from './chromium';

const ACCOUNTS = 2500;

async function pixelAt(page: Page, point: { x: number; y: number }): Promise<string> {
  return page.evaluate(({ x, y }) => {
    const canvas = document.querySelector('.matrix canvas') as HTMLCanvasElement;
    const rect = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const d = canvas
      .getContext('2d')!
      .getImageData(Math.round((x - rect.left) * ratio), Math.round((y - rect.top) * ratio), 1, 1).data;
    return `#${Array.from(d.slice(0, 3), (v) => v.toString(16).padStart(2, '0')).join('')}`;
  }, point);
}

type Row = { kind: string; account?: string; ou?: string; name?: string };
const rows = (page: Page) => page.evaluate(() => window.stackfleetUi.matrix!.rows() as Row[]);
const accountRows = async (page: Page) => (await rows(page)).filter((r) => r.kind === 'account');

describeWithChromium('the page with 10,000 targets', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const file = path.join(TEST_OUTPUT, 'matrix-10k.html');
    writeFileSync(file, await scalePageHtml(ACCOUNTS));
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => window.stackfleetUi?.ready === true);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('holds every target, grouped by OU with account names', async () => {
    expect(await page.evaluate(() => window.stackfleetUi.matrix!.cells().length)).toBe(10_000);
    expect(await page.textContent('[data-field="progress"]')).toContain('/ 10,000 targets done');
    const all = await rows(page);
    const ous = all.filter((r) => r.kind === 'ou').map((r) => r.ou);
    expect(ous).toEqual([...new Set(Array.from({ length: ACCOUNTS }, (_, i) => scaleOu(i)))].sort());
    // Each account sits under its own OU, labelled with its name.
    let ou: string | undefined;
    for (const row of all) {
      if (row.kind === 'ou') ou = row.ou;
      else expect(ou).toBe(scaleOu(Number(row.account) - 300000000000));
    }
    expect(all.find((r) => r.account === scaleAccount(7))?.name).toBe(scaleName(7));
  });

  it('scrolls to the last row and shows it whole (no row cut off)', async () => {
    const last = (await accountRows(page)).pop()!;
    const a = Number(last.account) - 300000000000;
    const box = await page.evaluate(() => {
      const scroll = document.querySelector('.matrix-scroll') as HTMLElement;
      scroll.scrollTop = scroll.scrollHeight;
      const r = scroll.getBoundingClientRect();
      return { top: r.top + scroll.clientTop, bottom: r.top + scroll.clientTop + scroll.clientHeight };
    });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    const region = SCALE_REGIONS[3]!;
    const point = await page.evaluate(
      ([acc, r]) => window.stackfleetUi.matrix!.locate(acc!, r!),
      [last.account!, region],
    );
    const rowH = await page.evaluate(() => window.stackfleetUi.matrix!.rowHeight());
    expect(point).toBeDefined();
    expect(point!.y + rowH / 2).toBeLessThanOrEqual(box.bottom);
    expect(await pixelAt(page, point!)).toBe(outcomeColours[scaleOutcome(a, 3)]);
    await page.mouse.move(point!.x, point!.y);
    expect(await page.textContent('.matrix-tip')).toContain(`${last.account} · ${region}`);
  });

  it('lists in the legend only the outcomes a deploy rollout can have', async () => {
    const legend = await page.$$eval('[aria-label="Outcome legend"] [data-outcome]', (els) =>
      els.map((e) => e.getAttribute('data-outcome')),
    );
    expect(legend).toEqual(outcomesByMode.deploy);
    expect(legend).not.toContain('DRIFTED');
  });

  it('shows only accounts with a failed target after one click on "Failed only"', async () => {
    await page.click('button[data-filter="failed"]');
    const shown = await accountRows(page);
    const expected = Array.from({ length: ACCOUNTS }, (_, a) => a).filter((a) =>
      SCALE_REGIONS.some((_, r) => scaleOutcome(a, r) === 'FAILED'),
    );
    expect(shown.map((r) => r.account).sort()).toEqual(expected.map(scaleAccount).sort());
    expect(shown.length).toBeLessThan(ACCOUNTS);
    expect(await page.textContent('[data-field="filter-status"]')).toBe(
      `showing ${expected.length} of ${ACCOUNTS} accounts`,
    );
    // In a listed account, the failed cell is red and the others are greyed out.
    const a = expected[0]!;
    const failedRegion = SCALE_REGIONS.findIndex((_, r) => scaleOutcome(a, r) === 'FAILED');
    const otherRegion = SCALE_REGIONS.findIndex((_, r) => scaleOutcome(a, r) !== 'FAILED');
    const at = (r: number) =>
      page.evaluate(
        ([acc, reg]) => window.stackfleetUi.matrix!.locate(acc!, reg!),
        [scaleAccount(a), SCALE_REGIONS[r]!],
      );
    expect(await pixelAt(page, (await at(failedRegion))!)).toBe(outcomeColours.FAILED);
    expect(await pixelAt(page, (await at(otherRegion))!)).toBe(FILTERED_OUT_COLOUR);
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'matrix-10k-failed.png') });
    await page.click('button[data-filter="all"]');
    expect((await accountRows(page)).length).toBe(ACCOUNTS);
  });

  it('searches by account id, account name, OU and region', async () => {
    const search = page.locator('input[type="search"]');
    await search.fill(scaleAccount(1234));
    expect((await accountRows(page)).map((r) => r.account)).toEqual([scaleAccount(1234)]);
    await search.fill(scaleName(42));
    expect((await accountRows(page)).map((r) => r.account)).toEqual([scaleAccount(42)]);
    await search.fill('security');
    const inOu = await accountRows(page);
    expect(inOu.length).toBe(ACCOUNTS / 4);
    expect(new Set(inOu.map((r) => r.ou))).toEqual(new Set(['Root/Security']));
    await search.fill('us-west');
    expect(await page.evaluate(() => window.stackfleetUi.matrix!.columns())).toEqual(['us-west-2']);
    expect((await accountRows(page)).length).toBe(ACCOUNTS);
    await search.fill('no-such-thing');
    expect((await accountRows(page)).length).toBe(0);
    expect(await page.isVisible('.matrix-empty')).toBe(true);
    await search.fill('');
    expect((await accountRows(page)).length).toBe(ACCOUNTS);
  });

  it('takes a poll that changes 2,000 targets at once', async () => {
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
    process.stdout.write(`10,000 targets: 2,000-cell update painted in ${updateMs.toFixed(1)} ms\n`);
  });
});
