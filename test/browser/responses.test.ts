/**
 * The tamper responses page in headless Chromium (issue 16: "the UI lists response executions
 * with their graph"): after an IAM user stopped the baseline trail twice on the sandbox, through
 * the real event path, `?responses` lists both responses newest first with when, where, the call,
 * who made it, what was restored and contained and the outcome, and a row opens the execution's
 * graph with the states it ran painted succeeded.
 */
import type { Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../../src/ui/server';
import type { SandboxHarness } from '../helpers/sandbox-harness';
import { actAs, MEMBER, mallory, openTamperWorld, REGION, settle, TRAIL } from '../helpers/tamper-world';
import { type Browser, describeWithChromium, launchChromium } from './chromium';

describeWithChromium('the tamper responses page', () => {
  let h: SandboxHarness;
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    h = await openTamperWorld();
    for (let i = 0; i < 2; i++) {
      await actAs(h, mallory, 'cloudtrail', 'StopLogging', { Name: TRAIL });
      await settle(h);
    }
    ui = await startUiServer({
      sfn: h.sfn,
      rolloutStateMachineArn: h.admin?.rolloutStateMachineArn as string,
      targetStateMachineArns: Object.values(h.admin?.targetStateMachineArns ?? {}),
      responseStateMachineArn: h.admin?.respondToTamperingStateMachineArn as string,
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${ui.url}?responses`);
    await page.waitForFunction(() => window.stackfleetUi?.ready === true);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  const cells = (field: string) =>
    page.locator(`table.responses tbody tr [data-field="${field}"]`).allTextContents();

  it('lists each response: time, account, region, event, principal, actions taken, outcome', async () => {
    expect(errors).toEqual([]);
    await expect(page.locator('table.responses tbody tr').count()).resolves.toBe(2);
    expect(await cells('account')).toEqual([MEMBER, MEMBER]);
    expect(await cells('region')).toEqual([REGION, REGION]);
    expect(await cells('event')).toEqual(['StopLogging', 'StopLogging']);
    expect((await cells('principal')).every((p) => p.startsWith('IAM user mallory'))).toBe(true);
    expect(await cells('outcome')).toEqual(['HANDLED', 'HANDLED']);
    const actions = await cells('actions');
    // Newest first: the second offence contained mallory, the first only recorded it.
    expect(actions[0]).toContain('Restored: trail StackFleet-baseline logging again (StartLogging)');
    expect(actions[0]).toContain('Contained: deny-all policy StackFleetContainment on IAM user mallory');
    expect(actions[1]).toContain('Contained: nothing: first offence');
    const times = await page.locator('table.responses tbody tr td:first-child a').allTextContents();
    expect(times.every((t) => /^\d{4}-\d\d-\d\dT/.test(t))).toBe(true);
  });

  it("a row opens that execution's graph, the states it ran painted succeeded", async () => {
    await page.locator('table.responses tbody tr').first().click();
    await page.waitForFunction(() => window.stackfleetUi.openResponse !== undefined);
    const graph = page.locator('.response-detail svg[data-machine="respond-to-tampering"]');
    await expect(graph.count()).resolves.toBe(1);
    const status = (state: string) =>
      graph.locator(`g[data-state="${state}"]`).first().getAttribute('data-status');
    await expect(status('Read the event')).resolves.toBe('succeeded');
    await expect(status('Restore logging')).resolves.toBe('succeeded');
    await expect(status('Contain the principal')).resolves.toBe('succeeded');
    await expect(status('Redeploy the baseline')).resolves.toBe('not-started');
    expect(new URL(page.url()).searchParams.get('response')).toContain(':execution:');
    expect(errors).toEqual([]);
  });
});
