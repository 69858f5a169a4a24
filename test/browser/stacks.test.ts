/**
 * The stacks form (issue 17) on the page, in headless Chromium against a sandbox rollout of a
 * graph of stacks (topic -> group -> rule, and alerts beside them) in which `group` fails in one
 * target: the matrix shows each target's worst stack or one chosen stack, and a target's panel
 * lists its stacks in graph order with what each depends on and its outcome.
 */
import type { Page } from 'playwright-core';
import { awsClients } from '../../src/aws/clients';
import { startUiServer, type UiServer } from '../../src/ui/server';
import { GRAPH_MEMBERS, graphRequest, graphScenario, openGraphHarness } from '../helpers/graph-fixtures';
import type { RunResult } from '../helpers/sandbox-harness';
import { type Browser, describeWithChromium, launchChromium } from './chromium';

const FAILING = GRAPH_MEMBERS[1] as string;
const HEALTHY = GRAPH_MEMBERS[0] as string;

describeWithChromium('a graph-of-stacks rollout in the UI', () => {
  let run: RunResult;
  let ui: UiServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const { h, t } = await openGraphHarness(
      graphScenario({
        faults: {
          resourceFailures: [
            {
              accounts: [FAILING],
              regions: ['eu-west-1'],
              resourceType: 'AWS::Logs::LogGroup',
              reason: 'Resource handler returned message: "log group quota reached"',
              on: 'create',
            },
          ],
        },
      }),
    );
    run = await h.runRollout(graphRequest(t, 'ui-graph', { failureTolerance: { count: 2 } }), 'ui-graph');
    ui = await startUiServer({
      sfn: h.sfn,
      s3: h.s3,
      organizations: awsClients.organizations({ region: 'us-east-1' }),
      rolloutExecutionArn: run.executionArn,
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(ui.url);
    await page.waitForFunction(() => window.stackfleetUi?.ready === true);
    expect(errors).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  const outcomeOf = (account: string, region: string) =>
    page.evaluate(([a, r]) => window.stackfleetUi.matrix?.cell(a!, r!)?.outcome, [account, region]);

  it('switches the matrix between the worst outcome per target and one stack', async () => {
    expect(run.status).toBe('SUCCEEDED');
    const select = page.locator('[data-field="stack-select"]');
    await expect(select.isVisible()).resolves.toBe(true);
    const options = await select.locator('option').allTextContents();
    expect(options).toEqual(['All stacks — worst outcome', 'topic', 'group', 'rule', 'alerts']);

    // All stacks: the target where group failed is FAILED, a healthy one CREATED.
    expect(await outcomeOf(FAILING, 'eu-west-1')).toBe('FAILED');
    expect(await outcomeOf(HEALTHY, 'eu-west-1')).toBe('CREATED');

    await select.selectOption('rule');
    await page.waitForFunction(
      (a) => window.stackfleetUi.matrix?.cell(a, 'eu-west-1')?.outcome === 'BLOCKED',
      FAILING,
    );
    expect(await outcomeOf(HEALTHY, 'eu-west-1')).toBe('CREATED');

    // alerts depends on nothing: it was created even where group failed.
    await select.selectOption('alerts');
    await page.waitForFunction(
      (a) => window.stackfleetUi.matrix?.cell(a, 'eu-west-1')?.outcome === 'CREATED',
      FAILING,
    );

    await select.selectOption('');
    await page.waitForFunction(
      (a) => window.stackfleetUi.matrix?.cell(a, 'eu-west-1')?.outcome === 'FAILED',
      FAILING,
    );
  });

  it('keeps the stack shown in the address, so a reload or a shared link shows the same stack', async () => {
    const select = page.locator('[data-field="stack-select"]');
    await select.selectOption('rule');
    expect(new URL(page.url()).searchParams.get('stack')).toBe('rule');
    await page.reload();
    await page.waitForFunction(() => window.stackfleetUi?.ready === true);
    await expect(select.inputValue()).resolves.toBe('rule');
    await page.waitForFunction(
      (a) => window.stackfleetUi.matrix?.cell(a, 'eu-west-1')?.outcome === 'BLOCKED',
      FAILING,
    );
    // Back to every target's worst: the address no longer names a stack.
    await select.selectOption('');
    expect(new URL(page.url()).searchParams.has('stack')).toBe(false);
    await page.waitForFunction(
      (a) => window.stackfleetUi.matrix?.cell(a, 'eu-west-1')?.outcome === 'FAILED',
      FAILING,
    );
  });

  it("lists a target's stacks in graph order with dependencies and outcomes, BLOCKED naming the failed one", async () => {
    await page.evaluate((a) => window.stackfleetUi.openTarget(a, 'eu-west-1'), FAILING);
    const items = page.locator('#target-panel .stack-list li');
    await items.first().waitFor();
    const listed = await items.evaluateAll((lis) =>
      lis.map((li) => [li.getAttribute('data-stack'), li.getAttribute('data-outcome'), li.textContent]),
    );
    expect(listed.map(([name, outcome]) => [name, outcome])).toEqual([
      ['topic', 'CREATED'],
      ['group', 'FAILED'],
      ['rule', 'BLOCKED'],
      ['alerts', 'CREATED'],
    ]);
    expect(listed[1]![2]).toContain('depends on topic');
    expect(listed[2]![2]).toContain('depends on group');
    await expect(page.locator('[data-stack="rule"] [data-field="blocked-by"]').textContent()).resolves.toBe(
      ' — blocked by group',
    );
    // The drawing has a box per stack.
    await expect(page.locator('#target-panel svg.stack-graph g[data-stack]').count()).resolves.toBe(4);

    // With the matrix on `rule`, the target's cell is the blocked stack, which never ran: the panel
    // says why instead of looking for an execution.
    await page.locator('[data-field="stack-select"]').selectOption('rule');
    await page.waitForFunction(() =>
      document.querySelector('#target-panel h3')?.textContent?.includes('· rule'),
    );
    await expect(page.locator('#target-panel .target-info').textContent()).resolves.toContain(
      'its dependency group failed',
    );
    await expect(page.locator('#target-panel .stack-list li').count()).resolves.toBe(4);

    // Clicking a stack opens its own execution.
    await page.locator('#target-panel .stack-list li[data-stack="topic"]').click();
    await page.waitForFunction(() =>
      document.querySelector('#target-panel h3')?.textContent?.includes('· topic'),
    );
  });
});
