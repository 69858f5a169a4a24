/**
 * The execution graph view in headless Chromium against sandbox rollouts: the graphs show every
 * state of both machines, failed targets are painted failed and explain themselves, the static
 * export works offline, and the matrix changes while a rollout runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import type { Page } from 'playwright-core';
import { awsClients } from '../../src/aws/clients';
import { exportUiHtml } from '../../src/ui/export';
import { startUiServer, type UiServer } from '../../src/ui/server';
import { outcomeColours } from '../../src/ui/wire';
import { FOREIGN_SECRET, runForeignWorkflow } from '../helpers/foreign-workflow';
import { openSandboxHarness, type RunResult, type SandboxHarness } from '../helpers/sandbox-harness';
import { type Browser, describeWithChromium, launchChromium, TEST_OUTPUT } from './chromium';

const ROOT = path.join(__dirname, '..', '..');

interface AslScope {
  States: Record<string, Record<string, unknown>>;
}

/** Every state name of an ASL file, nested item processors and branches included. */
function stateNames(file: string): string[] {
  const walk = (scope: AslScope): string[] =>
    Object.entries(scope.States).flatMap(([name, state]) => [
      name,
      ...(state.ItemProcessor || state.Iterator
        ? walk((state.ItemProcessor ?? state.Iterator) as AslScope)
        : []),
      ...((state.Branches as AslScope[] | undefined) ?? []).flatMap(walk),
    ]);
  return walk(JSON.parse(readFileSync(path.join(ROOT, 'statemachines', file), 'utf8')) as AslScope);
}

/** One target of summary.json, the record the Summarize function writes (independent of the UI). */
interface SummaryTarget {
  accountId: string;
  region: string;
  outcome: string;
  reason?: string;
}

/** `#rrggbb` of the matrix canvas pixel at a viewport point. */
async function pixelAt(page: Page, point: { x: number; y: number }): Promise<string> {
  return page.evaluate(({ x, y }) => {
    const canvas = document.querySelector('.matrix canvas') as HTMLCanvasElement;
    const rect = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const [r, g, b] = canvas
      .getContext('2d')!
      .getImageData(Math.round((x - rect.left) * ratio), Math.round((y - rect.top) * ratio), 1, 1).data;
    return `#${[r, g, b].map((v) => (v ?? 0).toString(16).padStart(2, '0')).join('')}`;
  }, point);
}

async function locateCell(page: Page, account: string, region: string): Promise<{ x: number; y: number }> {
  const point = await page.evaluate(
    ([a, r]) => window.stackfleetUi.matrix?.locate(a!, r!),
    [account, region],
  );
  if (!point) throw new Error(`The matrix has no cell for ${account} ${region}`);
  return point;
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForFunction(() => window.stackfleetUi?.ready === true);
  expect(errors).toEqual([]);
  return page;
}

describeWithChromium('execution graph view of a finished sandbox rollout', () => {
  let harness: SandboxHarness;
  let result: RunResult;
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let summary: { counts: Record<string, number>; targets: SummaryTarget[] };
  let failures: Array<SummaryTarget & { reason: string }>;

  beforeAll(async () => {
    harness = await openSandboxHarness();
    result = await harness.runRollout(
      {
        rolloutId: 'ui-browser-1',
        mode: 'deploy',
        template: harness.template,
        stackName: 'stackfleet-baseline',
        executionRoleName: harness.sandbox.scenario.executionRoleName,
        capabilities: ['CAPABILITY_NAMED_IAM'],
        targets: {
          organizationalUnits: [harness.sandbox.scenario.organization.rootId],
          regions: 'ALL_ENABLED',
        },
        maxConcurrency: 25,
        failureTolerance: { percent: 25 },
      },
      'ui-browser-1',
    );
    const object = await harness.s3.send(
      new GetObjectCommand({
        Bucket: harness.admin!.artifactBucket,
        Key: 'rollouts/ui-browser-1/summary.json',
      }),
    );
    summary = JSON.parse((await object.Body?.transformToString()) ?? '{}');
    failures = summary.targets.filter((t) => t.outcome === 'FAILED') as typeof failures;
    ui = await startUiServer({
      sfn: harness.sfn,
      s3: harness.s3,
      organizations: awsClients.organizations({ region: 'us-east-1' }),
      rolloutExecutionArn: result.executionArn,
    });
    browser = await launchChromium();
    page = await openPage(browser, ui.url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  it('runs a rollout with failed targets to look at', () => {
    expect(['SUCCEEDED', 'FAILED']).toContain(result.status);
    expect(failures.length).toBeGreaterThan(0);
  });

  it('draws a node for every state of both state machines, coloured by the rollout history', async () => {
    for (const [machine, file] of [
      ['rollout', 'rollout.asl.json'],
      ['deploy-target', 'deploy-target.asl.json'],
    ] as const) {
      const names = stateNames(file);
      expect(names.length).toBeGreaterThan(3);
      const drawn = await page.$$eval(`[data-graph="${machine}"] g.node[data-state]`, (els) =>
        els.map((e) => e.getAttribute('data-state')),
      );
      expect(drawn.sort()).toEqual([...names].sort());
    }
    // States the rollout entered are coloured, the others are not (e.g. canaries when none were asked for).
    const history = await harness.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: result.executionArn, maxResults: 1000 }),
    );
    const entered = new Set(
      (history.events ?? []).flatMap((e) =>
        e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
      ),
    );
    const statuses = await page.$$eval('[data-graph="rollout"] g.node[data-state]', (els) =>
      els.map((e) => [e.getAttribute('data-state'), e.getAttribute('data-status')] as [string, string]),
    );
    for (const [name, status] of statuses) {
      if (entered.has(name)) expect([name, status]).not.toEqual([name, 'not-started']);
    }
    expect(statuses.find(([name]) => name === 'Deploy canary target')?.[1]).toBe('not-started');
    expect(statuses.find(([name]) => name === 'Deploy targets')?.[1]).toBe('succeeded');
  });

  it('shows the header with status, counts per outcome and the map run', async () => {
    const header = await page.textContent('header.rollout');
    expect(await page.textContent('[data-rollout-status]')).toBe(result.status);
    expect(header).toContain(`FAILED ${failures.length}`);
    for (const [outcome, n] of Object.entries(summary.counts))
      if (n > 0) expect(header).toContain(`${outcome} ${n}`);
    const total = summary.targets.length;
    expect(await page.textContent('[data-field="progress"]')).toBe(`${total} / ${total} targets done (100%)`);
    expect(await page.textContent('[data-field="map-runs"]')).toMatch(
      /Map run (succeeded|failed): \d+ items/,
    );
  });

  it('paints failed targets failed and explains them on hover and on click', async () => {
    for (const failure of failures.slice(0, 3)) {
      const point = await locateCell(page, failure.accountId, failure.region);
      expect(await pixelAt(page, point)).toBe(outcomeColours.FAILED);

      await page.mouse.move(point.x, point.y);
      const tip = page.locator('.matrix-tip');
      await tip.waitFor({ state: 'visible' });
      const tipText = (await tip.textContent()) ?? '';
      expect(tipText).toContain(`${failure.accountId} · ${failure.region}`);
      expect(tipText).toContain(`FAILED: ${failure.reason.slice(0, 60)}`);

      await page.mouse.click(point.x, point.y);
      const reason = page.locator('#target-panel [data-field="reason"]');
      await reason.waitFor();
      await page.waitForFunction(
        (t) => document.querySelector('#target-panel h3')?.textContent?.includes(t),
        `${failure.accountId} · ${failure.region}`,
      );
      expect(await reason.textContent()).toContain(failure.reason.slice(0, 60));
      // The target's own graph shows where it failed, and its history lists the events.
      expect(
        await page.locator('[data-graph="deploy-target"] g.node[data-status="failed"]').count(),
      ).toBeGreaterThan(0);
      expect(await page.locator('table.timeline tr').count()).toBeGreaterThan(2);
    }
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'ui-failed-target.png'), fullPage: true });
  });

  it('does not paint succeeded targets failed', async () => {
    const others = summary.targets.filter((t) => t.outcome !== 'FAILED' && t.region !== '*').slice(0, 3);
    expect(others.length).toBeGreaterThan(0);
    for (const target of others) {
      const colour = await pixelAt(page, await locateCell(page, target.accountId, target.region));
      expect(colour).toBe(outcomeColours[target.outcome]);
      expect(colour).not.toBe(outcomeColours.FAILED);
    }
  });

  it("shows a clicked target's panel in view, wherever the page was scrolled", async () => {
    const failure = failures[failures.length - 1]!;
    const point = await locateCell(page, failure.accountId, failure.region);
    await page.mouse.click(point.x, point.y);
    await page.waitForFunction(
      (t) => document.querySelector('#target-panel h3')?.textContent?.includes(t),
      `${failure.accountId} · ${failure.region}`,
    );
    const seen = await page.evaluate(() => {
      const panel = document.getElementById('target-panel')!;
      const r = panel.getBoundingClientRect();
      const title = panel.querySelector('h3')!.getBoundingClientRect();
      const atTitle = document.elementFromPoint(title.left + 5, title.top + title.height / 2);
      return {
        inView:
          r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && r.width > 300,
        titleInView: title.top >= 0 && title.bottom <= innerHeight,
        titleOnTop: panel.contains(atTitle),
      };
    });
    expect(seen).toEqual({ inView: true, titleInView: true, titleOnTop: true });
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'ui-target-panel.png') });
    await page.click('#target-panel button.close');
    expect(await page.isVisible('#target-panel')).toBe(false);
  });

  it("refuses another workload's execution: the page says why and shows none of it", async () => {
    const foreign = await runForeignWorkflow(harness);
    const refused = await browser.context.newPage();
    await refused.goto(`${ui.url}?rollout=${encodeURIComponent(foreign)}`);
    await refused.waitForFunction(() => window.stackfleetUi?.ready === true);
    const text = (await refused.textContent('[role="alert"]')) ?? '';
    expect(text).toContain('ForeignExecution');
    expect(text).toContain(`Received: ${foreign}`);
    expect(await refused.content()).not.toContain(FOREIGN_SECRET);
    const api = await refused.evaluate(async (arn) => {
      const res = await fetch(`/api/target?arn=${encodeURIComponent(arn)}`);
      return { status: res.status, body: await res.text() };
    }, foreign);
    expect(api.status).toBe(403);
    expect(api.body).not.toContain(FOREIGN_SECRET);
    await refused.close();
  });

  it('takes the screenshot for the README', async () => {
    // Show a target whose failure names the CloudFormation resource, when the rollout has one.
    const shown =
      (failures as Array<SummaryTarget & { failedResource?: unknown }>).find((f) => f.failedResource) ??
      failures[0]!;
    await page.evaluate(([a, r]) => window.stackfleetUi.openTarget(a!, r!), [shown.accountId, shown.region]);
    await page.locator('#target-panel [data-field="reason"]').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    const file = path.join(TEST_OUTPUT, 'ui.png');
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.STACKFLEET_UPDATE_DOCS_SCREENSHOT === '1')
      copyFileSync(file, path.join(ROOT, 'docs', 'ui.png'));
  });

  it('lists rollouts when started without one, and opens the one clicked', async () => {
    const listing = await startUiServer({
      sfn: harness.sfn,
      rolloutStateMachineArn: harness.admin!.rolloutStateMachineArn,
    });
    try {
      const list = await openPage(browser, listing.url);
      const item = list.locator('tr[data-rollout="ui-browser-1"]');
      expect(await item.getAttribute('data-status')).toBe(result.status);
      expect(await item.locator('[data-field="mode"]').textContent()).toBe('deploy');
      expect(await item.locator('[data-field="counts"]').textContent()).toContain(
        `FAILED ${failures.length}`,
      );
      await item.click();
      await list.waitForURL(/\?rollout=/);
      await list.waitForFunction(
        () => window.stackfleetUi?.ready === true && window.stackfleetUi.matrix !== undefined,
      );
      expect(await list.textContent('header h1')).toBe('Rollout ui-browser-1');
      await list.close();
    } finally {
      await listing.close();
    }
  });

  it('exports a self-contained page that works with the network cut off', async () => {
    const file = path.join(TEST_OUTPUT, 'rollout-export.html');
    await exportUiHtml({ sfn: harness.sfn, s3: harness.s3, rolloutExecutionArn: result.executionArn, file });
    const requests: string[] = [];
    const offline = await browser.context.newPage();
    await offline.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await offline.goto(`file://${file}`);
    await offline.waitForFunction(() => window.stackfleetUi?.ready === true);
    expect(requests).toEqual([]);
    expect(await offline.textContent('header.rollout')).toContain(`FAILED ${failures.length}`);
    const failure = failures[0]!;
    const point = await locateCell(offline, failure.accountId, failure.region);
    expect(await pixelAt(offline, point)).toBe(outcomeColours.FAILED);
    await offline.mouse.click(point.x, point.y);
    await offline.locator('#target-panel [data-field="reason"]').waitFor();
    expect(await offline.textContent('#target-panel [data-field="reason"]')).toContain(
      failure.reason.slice(0, 60),
    );
    await offline.screenshot({ path: path.join(TEST_OUTPUT, 'ui-export.png'), fullPage: true });
    await offline.close();
  });
});

describeWithChromium('execution graph view of a running sandbox rollout', () => {
  let child: ChildProcess;
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
    child?.stdin?.end();
    child?.kill();
  });

  it('lists a rollout started after the page loaded, and repaints its cells while it runs', async () => {
    // The rollout runs in its own process so its virtual clock never touches Playwright's timers.
    child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'live-rollout.ts')], {
      cwd: ROOT,
      env: { ...process.env, STEP_MS: '150' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const messages: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      messages.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of waiters.splice(0)) wake();
    });
    const message = <T>(key: string) =>
      new Promise<T>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`live-rollout exited with ${code}`)));
        const look = () => {
          const found = messages.find((m) => key in m);
          if (found) resolve(found[key] as T);
          else waiters.push(look);
        };
        look();
      });
    const url = await message<string>('url');
    browser = await launchChromium();

    // The landing page, open before the rollout exists.
    const page = await openPage(browser, url);
    expect(await page.evaluate(() => window.stackfleetUi.rollouts)).not.toContain('live-ui-1');
    child.stdin!.write('start\n');
    const executionArn = await message<string>('executionArn');

    // It appears without a reload, with its mode and status, and opens on click.
    await page.waitForFunction(() => window.stackfleetUi.rollouts?.includes('live-ui-1'), undefined, {
      timeout: 120_000,
    });
    const row = page.locator('tr[data-rollout="live-ui-1"]');
    expect(await row.getAttribute('data-status')).toBe('RUNNING');
    expect(await row.locator('[data-field="mode"]').textContent()).toBe('deploy');
    await row.click();
    await page.waitForURL(/\?rollout=/);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('rollout') ?? '')).toBe(executionArn);
    await page.waitForFunction(() => window.stackfleetUi?.ready === true && !!window.stackfleetUi.matrix);

    type Cell = { account: string; region: string; outcome: string };
    // A target the page shows running while the rollout runs (the clock holds it there until `go`)...
    const watched = (await (
      await page.waitForFunction(
        () => window.stackfleetUi.matrix!.cells().find((c) => c.outcome === 'IN_PROGRESS'),
        undefined,
        { timeout: 120_000 },
      )
    ).jsonValue()) as Cell;
    expect(await page.evaluate(() => window.stackfleetUi.status)).toBe('RUNNING');
    const { account, region } = watched;
    const before = await pixelAt(page, await locateCell(page, account, region));
    expect(before).toBe(outcomeColours.IN_PROGRESS);
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'ui-live-before.png'), fullPage: true });
    child.stdin!.write('go\n');

    // ...turns into a final outcome, repainted, while the rollout is still running.
    const changed = (await (
      await page.waitForFunction(
        ([a, r]) => {
          const cell = window.stackfleetUi.matrix!.cell(a!, r!);
          return cell && cell.outcome !== 'IN_PROGRESS' && cell.outcome !== 'PENDING'
            ? { outcome: cell.outcome, status: window.stackfleetUi.status }
            : undefined;
        },
        [account, region],
        { timeout: 120_000 },
      )
    ).jsonValue()) as { outcome: string; status: string };
    expect(changed.status).toBe('RUNNING');
    const after = await pixelAt(page, await locateCell(page, account, region));
    expect(after).toBe(outcomeColours[changed.outcome]);
    expect(after).not.toBe(before);
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'ui-live-after.png'), fullPage: true });

    // The header counts it too: progress and the outcome's chip.
    const progress = (await page.textContent('[data-field="progress"]')) ?? '';
    expect(Number(progress.split(' / ')[0])).toBeGreaterThanOrEqual(1);
    expect(await page.locator(`header .chip[data-outcome="${changed.outcome}"]`).count()).toBe(1);
  }, 360_000);
});
