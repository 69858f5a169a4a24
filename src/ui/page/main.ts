/**
 * The rollout page: header, the two state machine graphs, the accounts x regions matrix and
 * the selected target's execution. Reads the UI server's JSON API while live (polling while
 * the rollout runs) or the data inlined into a static export.
 */

import type { ResponseDetail } from '../responses';
import type { ResponseRow } from '../responses-rows';
import type {
  DefinitionsWire,
  ExportBundleWire,
  RolloutHeaderWire,
  RolloutListItemWire,
  RolloutWire,
  TargetDetailWire,
} from '../wire';
import { Outcomes, outcomeColours, unknownOutcomeColour } from '../wire';
import { formatCount, formatDuration, h } from './dom';
import { type GraphView, renderGraph } from './graph-view';
import { renderHeader } from './header-view';
import { showRolloutList } from './list-view';
import { createMatrix, type MatrixCell, type MatrixView } from './matrix';
import { showResponses } from './responses-view';
import { createStackSelector, renderTargetStacks, StackCells } from './stacks-view';
import { createToolbar } from './toolbar';

const NEVER_RAN = new Set<string>([Outcomes.Blocked, Outcomes.NotStarted]);

interface PageConfig {
  mode: 'live' | 'static';
  rolloutExecutionArn?: string;
  pollMs: number;
}

interface DataSource {
  rollouts(): Promise<RolloutListItemWire[]>;
  definitions(arn: string): Promise<DefinitionsWire>;
  rollout(arn: string, since: number, offsets: { a: number; r: number; o: number }): Promise<RolloutWire>;
  target(name: string, arn: string): Promise<TargetDetailWire | undefined>;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as T & { error?: string; message?: string };
  if (!res.ok) throw new Error(`${body.error ?? res.status}: ${body.message ?? res.statusText}`);
  return body;
}

const liveSource: DataSource = {
  rollouts: async () => (await getJson<{ rollouts: RolloutListItemWire[] }>('/api/rollouts')).rollouts,
  definitions: (arn) => getJson(`/api/definitions?arn=${encodeURIComponent(arn)}`),
  rollout: (arn, since, o) =>
    getJson(`/api/rollout?arn=${encodeURIComponent(arn)}&since=${since}&a=${o.a}&r=${o.r}&o=${o.o}`),
  target: (_name, arn) => getJson(`/api/target?arn=${encodeURIComponent(arn)}`),
};

const responsesSource = {
  list: async () => (await getJson<{ responses: ResponseRow[] }>('/api/responses')).responses,
  detail: (arn: string) => getJson<ResponseDetail>(`/api/response?arn=${encodeURIComponent(arn)}`),
};

function staticSource(data: ExportBundleWire): DataSource {
  return {
    rollouts: async () => [],
    definitions: async () => data.definitions,
    rollout: async () => data.rollout,
    target: async (name) => data.targets[name],
  };
}

function readJsonElement<T>(id: string): T | undefined {
  const el = document.getElementById(id);
  return el?.textContent ? (JSON.parse(el.textContent) as T) : undefined;
}

interface PageApi {
  ready: boolean;
  version: number;
  matrix?: MatrixView;
  status?: string;
  /** `performance.now()` once the first rollout data was applied and painted (for npm run bench:ui). */
  paintedAt?: number;
  /** Names of the rollouts the landing page lists. */
  rollouts?: string[];
  /** Names of the tamper responses `?responses` lists, and the one whose graph is open. */
  responses?: string[];
  openResponse?: string;
  openTarget(account: string, region: string): Promise<void>;
}

declare global {
  interface Window {
    stackfleetUi: PageApi;
  }
}

const api: PageApi = { ready: false, version: 0, openTarget: async () => undefined };
window.stackfleetUi = api;

function showError(root: HTMLElement, error: unknown, what = 'the rollout') {
  root.replaceChildren(
    h(
      'div',
      { class: 'error-box', role: 'alert' },
      `Could not load ${what}.\n${(error as Error).message ?? error}`,
    ),
  );
}

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const config = readJsonElement<PageConfig>('stackfleet-config') ?? { mode: 'live', pollMs: 1000 };
  const data = readJsonElement<ExportBundleWire>('stackfleet-data');
  const source = config.mode === 'static' && data ? staticSource(data) : liveSource;
  const query = new URLSearchParams(location.search);
  if (query.has('responses') && config.mode === 'live') {
    await showResponses(root, responsesSource, config.pollMs, api);
    return;
  }
  const fromQuery = query.get('rollout') ?? undefined;
  const arn = query.has('rollouts')
    ? undefined
    : (fromQuery ?? config.rolloutExecutionArn ?? data?.rollout.rollout.executionArn);
  if (!arn) {
    await showRolloutList(root, () => source.rollouts(), config.mode === 'live' ? config.pollMs : 0, api);
    return;
  }
  await showRollout(root, source, arn, config);
}

async function showRollout(root: HTMLElement, source: DataSource, arn: string, config: PageConfig) {
  const definitions = await source.definitions(arn);
  let lastHeader: RolloutHeaderWire | undefined;
  const rolloutGraph = renderGraph(definitions.rollout, 'Rollout state machine', (id) =>
    mapRunNote(id, lastHeader, definitions),
  );
  const targetGraph: GraphView | undefined = definitions.target
    ? renderGraph(definitions.target, `${machineTitle(definitions.target.machine)} state machine`)
    : undefined;

  const header = h('header', { class: 'rollout' });
  const failedList = h('ul', { class: 'failed-list', 'aria-label': 'Failed targets' });
  const targetInfo = h(
    'div',
    { class: 'target-info' },
    h('p', { class: 'muted' }, 'Click a cell to open that target’s execution.'),
  );
  const timeline = h('div', { class: 'timeline-box' });
  const closePanel = h('button', { type: 'button', class: 'close', 'aria-label': 'Close' }, 'Close');
  // A side panel over the page: wherever the cell clicked was, its target is in view.
  const targetPanel = h(
    'aside',
    {
      class: 'panel target-panel',
      id: 'target-panel',
      hidden: '',
      tabindex: -1,
      'aria-label': 'Target execution',
    },
    closePanel,
    h('h2', {}, 'Target execution'),
    targetInfo,
    h('div', { class: 'target-grid' }, targetGraph?.element ?? h('div'), timeline),
  );
  closePanel.addEventListener('click', () => {
    targetPanel.hidden = true;
    document.body.classList.remove('panel-open');
    selected = undefined;
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !targetPanel.hidden) closePanel.click();
  });

  let selected: { account: string; region: string } | undefined;
  const openCell = async (cell: MatrixCell) => {
    selected = { account: cell.account, region: cell.region };
    targetPanel.hidden = false;
    // The page makes room for the panel, so the matrix stays visible and clickable beside it.
    document.body.classList.add('panel-open');
    targetPanel.scrollTop = 0;
    targetPanel.focus({ preventScroll: true });
    await showTarget(cell);
  };
  const matrix = createMatrix((cell) => {
    openCell(cell).catch((e) => showError(targetInfo, e, 'this target'));
  });
  api.matrix = matrix;
  api.openTarget = async (account, region) => {
    const cell = matrix.cell(account, region);
    if (cell) await openCell(cell);
  };

  // The stacks form: the matrix shows one stack, or each target's worst ('' = the server's target row).
  const stackCells = new StackCells();
  const stackSelector = createStackSelector((stack) => {
    matrix.replace(stackCells.of(stack));
    showCount();
    if (selected) api.openTarget(selected.account, selected.region).catch(() => undefined);
  });
  const directoryNote = h('p', { class: 'muted', 'data-field': 'directory', hidden: '' });
  const toolbar = createToolbar((state) => {
    matrix.filter(state);
    showCount();
  });
  const showCount = () => {
    const shown = matrix.rows().filter((r) => r.kind === 'account').length;
    toolbar.setShown(shown, new Set(matrix.cells().map((c) => c.account)).size);
  };
  root.replaceChildren(
    header,
    h(
      'main',
      { class: 'layout' },
      rolloutGraph.element,
      h(
        'div',
        { class: 'right' },
        h(
          'section',
          { class: 'panel matrix-panel' },
          h('h2', {}, 'Targets (accounts × regions, by OU)'),
          stackSelector.element,
          toolbar.element,
          directoryNote,
          matrix.element,
          h('h2', { style: 'margin-top:8px' }, 'Failed targets'),
          failedList,
        ),
      ),
      targetPanel,
    ),
  );

  // Client-side copies of the server's append-only tables.
  const accounts: string[] = [];
  const regions: string[] = [];
  const outcomes: string[] = [];
  let executionPrefix = '';
  const failed = new Map<string, MatrixCell>();

  // A stacks-form target's graph of stacks, above the execution of the stack shown.
  const stacksOf = (cell: MatrixCell): Node | string =>
    lastHeader?.stacks
      ? renderTargetStacks(
          lastHeader.stacks,
          (stack) => stackCells.get(stack, cell.account, cell.region),
          (c) => openCell(c).catch((e) => showError(targetInfo, e, 'this target')),
          cell.stack,
        )
      : '';
  const showTarget = async (cell: MatrixCell) => {
    const title = h(
      'h3',
      { style: 'margin:4px 0' },
      `${cell.account} · ${cell.region}${cell.stack ? ` · ${cell.stack}` : ''} `,
      outcomeBadge(cell.outcome),
    );
    // A BLOCKED or NOT_STARTED stack has an execution name in the plan but never ran.
    if (!cell.name || cell.outcome === Outcomes.Pending || NEVER_RAN.has(cell.outcome)) {
      const text =
        cell.outcome === Outcomes.Pending
          ? 'Not started yet.'
          : cell.reason || 'This target has no execution.';
      targetInfo.replaceChildren(title, stacksOf(cell), h('p', {}, text));
      targetGraph?.setStatuses({});
      timeline.replaceChildren();
      return;
    }
    targetInfo.replaceChildren(title, stacksOf(cell), h('p', { class: 'muted' }, 'Loading execution…'));
    const detail = await source.target(cell.name, executionPrefix + cell.name);
    if (selected?.account !== cell.account || selected.region !== cell.region) return;
    if (!detail) {
      targetInfo.replaceChildren(
        title,
        stacksOf(cell),
        cell.reason ? failureBox({ cause: cell.reason }) : h('span'),
        h('p', { class: 'muted' }, 'This export does not carry the history of this target.'),
      );
      targetGraph?.setStatuses({});
      timeline.replaceChildren();
      return;
    }
    renderTargetDetail(detail, cell);
  };

  const renderTargetDetail = (detail: TargetDetailWire, cell: MatrixCell) => {
    const outcome = detail.outcome === Outcomes.Succeeded && cell.outcome ? cell.outcome : detail.outcome;
    const took = (detail.stopDate ?? lastHeader?.now ?? detail.startDate) - detail.startDate;
    const parts: Array<Node | string> = [
      h(
        'h3',
        { style: 'margin:4px 0' },
        `${cell.account} · ${cell.region}${cell.stack ? ` · ${cell.stack}` : ''} `,
        outcomeBadge(outcome),
      ),
      stacksOf(cell),
      h('div', { class: 'muted' }, `${detail.name} · ${detail.status} · ${formatDuration(took)}`),
    ];
    const failure =
      detail.failure && (detail.status !== 'SUCCEEDED' || outcome === Outcomes.Failed)
        ? detail.failure
        : undefined;
    if (failure || cell.reason || detail.reason) {
      if (failure || outcome === Outcomes.Failed) {
        parts.push(failureBox({ ...failure, cause: failure?.cause ?? detail.reason ?? cell.reason }));
      } else if (detail.reason) {
        parts.push(h('p', {}, detail.reason));
      }
    }
    targetInfo.replaceChildren(...parts);
    targetGraph?.setStatuses(detail.statuses, detail.retries);
    const table = h('table', { class: 'timeline', 'aria-label': 'Event history' });
    for (const row of detail.timeline) {
      table.append(
        h(
          'tr',
          { class: row.kind },
          h('td', { class: 'muted' }, `+${formatDuration(row.elapsed)}`),
          h('td', {}, row.text),
        ),
      );
    }
    timeline.replaceChildren(h('h2', {}, `Event history (${detail.timeline.length})`), table);
    return detail;
  };

  let version = 0;
  const apply = (wire: RolloutWire) => {
    const t = wire.targets;
    if (t.reset) {
      accounts.length = t.accountsOffset;
      regions.length = t.regionsOffset;
      outcomes.length = t.outcomesOffset;
    }
    accounts.splice(t.accountsOffset, t.accounts.length, ...t.accounts);
    t.accounts.forEach((account, i) => {
      const name = t.accountNames?.[i] ?? '';
      const ou = t.accountOus?.[i] ?? '';
      if (name || ou) matrix.label(account, { name, ou });
    });
    if (t.directoryUnavailable) {
      directoryNote.hidden = false;
      directoryNote.textContent = `Account names and OUs are not shown: ${t.directoryUnavailable}.`;
    }
    regions.splice(t.regionsOffset, t.regions.length, ...t.regions);
    outcomes.splice(t.outcomesOffset, t.outcomes.length, ...t.outcomes);
    executionPrefix = t.executionPrefix;
    const all: MatrixCell[] = t.rows.map(([a, r, o, name, reason, stack]) => ({
      account: accounts[a] ?? '?',
      region: regions[r] ?? '?',
      outcome: outcomes[o] ?? '?',
      name,
      reason,
      ...(stack ? { stack } : {}),
    }));
    if (t.reset) stackCells.clear();
    stackCells.add(all);
    stackSelector.setStacks(wire.rollout.stacks);
    const shownStack = stackSelector.value();
    const cells = all.filter((c) => (c.stack ?? '') === shownStack);
    if (t.reset) matrix.replace(cells);
    else matrix.update(cells);
    // Failed targets: each target's own row (its worst stack's in the stacks form).
    for (const c of all.filter((x) => !x.stack)) {
      const key = `${c.account}|${c.region}`;
      if (c.outcome === Outcomes.Failed) failed.set(key, c);
      else failed.delete(key);
    }
    if (all.some((c) => c.outcome === Outcomes.Failed) || t.reset) renderFailed();
    version = t.version;
    api.version = version;
    lastHeader = wire.rollout;
    api.status = wire.rollout.status;
    renderHeader(header, wire.rollout, config.mode === 'live');
    toolbar.setLegend(wire.rollout.mode, outcomes);
    showCount();
    rolloutGraph.setStatuses(wire.rollout.statuses);
    if (selected) {
      const cell = matrix.cell(selected.account, selected.region);
      if (cell && all.some((c) => c.account === cell.account && c.region === cell.region)) {
        showTarget(cell).catch(() => undefined);
      }
    }
  };

  const renderFailed = () => {
    const items = [...failed.values()].sort((a, b) =>
      (a.account + a.region).localeCompare(b.account + b.region),
    );
    failedList.replaceChildren(
      ...items.slice(0, 200).map((c) => {
        const li = h(
          'li',
          { 'data-target': `${c.account}|${c.region}` },
          h('b', {}, `${c.account} · ${c.region}`),
          ` ${c.reason || 'failed'}`,
        );
        li.addEventListener('click', () => {
          openCell(c).catch((e) => showError(targetInfo, e, 'this target'));
        });
        return li;
      }),
    );
    if (items.length === 0) failedList.replaceChildren(h('li', { class: 'muted' }, 'None.'));
    if (items.length > 200)
      failedList.append(h('li', { class: 'muted' }, `… and ${formatCount(items.length - 200)} more`));
  };

  apply(await source.rollout(arn, 0, { a: 0, r: 0, o: 0 }));
  api.ready = true;
  // The matrix draws in the next frame; the task after that frame runs once it was painted.
  requestAnimationFrame(() =>
    setTimeout(() => {
      api.paintedAt = performance.now();
    }),
  );

  if (config.mode !== 'live' || config.pollMs <= 0) return;
  let quietPolls = 0;
  const poll = async () => {
    try {
      const wire = await source.rollout(arn, version, {
        a: accounts.length,
        r: regions.length,
        o: outcomes.length,
      });
      apply(wire);
      quietPolls = wire.rollout.status === 'RUNNING' || wire.targets.rows.length > 0 ? 0 : quietPolls + 1;
    } catch {
      quietPolls = 0;
    }
    // Keep polling while the rollout runs, then until finer outcomes stop arriving.
    if (quietPolls < 3) setTimeout(poll, config.pollMs);
  };
  setTimeout(poll, config.pollMs);
}

/** `deploy-target` -> `Deploy-target`: the graph's title names the machine the targets ran. */
function machineTitle(machine: string): string {
  return machine.charAt(0).toUpperCase() + machine.slice(1);
}

function outcomeBadge(outcome: string): HTMLElement {
  return h(
    'span',
    {
      class: 'badge',
      style: `background:${outcomeColours[outcome] ?? unknownOutcomeColour}`,
      'data-outcome': outcome,
    },
    outcome,
  );
}

function failureBox(failure: {
  state?: string;
  error?: string;
  cause?: string;
  resource?: string;
}): HTMLElement {
  const dl = h('dl', { class: 'failure', role: 'alert' });
  if (failure.resource)
    dl.append(h('dt', {}, 'Failed resource'), h('dd', { 'data-field': 'resource' }, failure.resource));
  if (failure.cause) dl.append(h('dt', {}, 'Reason'), h('dd', { 'data-field': 'reason' }, failure.cause));
  if (failure.error) dl.append(h('dt', {}, 'Error'), h('dd', { 'data-field': 'error' }, failure.error));
  if (failure.state) dl.append(h('dt', {}, 'State'), h('dd', { 'data-field': 'state' }, failure.state));
  return dl;
}

function mapRunNote(
  id: string,
  header: RolloutHeaderWire | undefined,
  defs: DefinitionsWire,
): string | undefined {
  const node = defs.rollout.nodes.find((n) => n.id === id);
  if (node?.type !== 'Map' || !header) return undefined;
  // Map run ARNs read `...:mapRun:<machine>/<label>:<id>`, the label being the Map's Label or name.
  const label = node.label ?? node.name;
  const run = header.mapRuns.filter((m) => m.mapRunArn.includes(`/${label}:`)).pop();
  if (!run) return undefined;
  const c = run.itemCounts;
  return `${c.succeeded ?? 0}/${c.total ?? 0} done${c.failed ? `, ${c.failed} failed` : ''}`;
}

main().catch((error) => {
  const root = document.getElementById('app');
  if (root) showError(root, error);
  api.ready = true;
});
