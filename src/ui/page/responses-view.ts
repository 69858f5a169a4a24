/**
 * The tamper responses page (`?responses`): the latest respond-to-tampering executions, one row
 * each with when, the account and region, the call, who made it, what the response did and how it
 * ended; a row opens that execution's graph with each state coloured by its status, beside what
 * was restored and contained. Polls like the rollout list, so a new response appears on its own.
 */
import type { ResponseDetail } from '../responses';
import type { ResponseRow } from '../responses-rows';
import { h } from './dom';
import { renderGraph } from './graph-view';

export interface ResponsesApi {
  ready: boolean;
  /** Execution names of the listed responses, newest first. */
  responses?: string[];
  /** Execution ARN of the response whose graph is shown. */
  openResponse?: string;
}

export interface ResponsesSource {
  list(): Promise<ResponseRow[]>;
  detail(arn: string): Promise<ResponseDetail>;
}

/** Outcome badge colours: handled green, action needed amber, failed red, the rest grey/blue. */
const OUTCOME_COLOURS: Record<string, string> = {
  HANDLED: '#188038',
  ACTION_NEEDED: '#e37400',
  DUPLICATE: '#5f6368',
  RUNNING: '#1a73e8',
  FAILED: '#d93025',
};

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function actionsOf(r: ResponseRow): HTMLElement {
  const cell = h('td', { 'data-field': 'actions' });
  if (r.restored) cell.append(h('div', {}, `Restored: ${r.restored}`));
  if (r.contained) cell.append(h('div', {}, `Contained: ${r.contained}`));
  for (const f of r.failures) cell.append(h('div', { class: 'error-text' }, `Could not: ${f}`));
  if (!r.restored && !r.contained && r.failures.length === 0) cell.append(h('span', { class: 'muted' }, '—'));
  return cell;
}

/** Renders the responses list into `root`, opens `?response=<arn>` if given, and keeps polling. */
export async function showResponses(
  root: HTMLElement,
  source: ResponsesSource,
  pollMs: number,
  api: ResponsesApi,
): Promise<void> {
  const body = h('tbody');
  const note = h('p', { class: 'muted', 'data-field': 'responses-note' });
  const detail = h(
    'section',
    { class: 'panel response-detail', 'aria-label': 'Response execution' },
    h('p', { class: 'muted' }, 'Click a response to open its execution graph.'),
  );
  const table = h(
    'table',
    { class: 'rollout-list responses', 'aria-label': 'Tamper responses' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Time', 'Account', 'Region', 'Event', 'Principal', 'Actions taken', 'Outcome'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    body,
  );
  root.replaceChildren(
    h(
      'header',
      { class: 'rollout' },
      h(
        'div',
        { class: 'title' },
        h('h1', {}, 'stackfleet tamper responses'),
        h('a', { href: '?rollouts', class: 'muted' }, 'Rollouts'),
      ),
    ),
    h('main', { style: 'padding:12px 16px' }, h('section', { class: 'panel' }, table, note), detail),
  );

  const open = async (arn: string) => {
    api.openResponse = undefined;
    detail.replaceChildren(h('p', { class: 'muted' }, 'Loading the execution…'));
    try {
      const d = await source.detail(arn);
      const graph = renderGraph(d.graph, 'Respond-to-tampering state machine');
      graph.setStatuses(d.statuses);
      const out = (d.output ?? {}) as {
        restore?: { restored?: string };
        containment?: { contained?: string };
      };
      detail.replaceChildren(
        h('h2', {}, `Response ${d.name}`),
        h(
          'p',
          { 'data-field': 'response-status' },
          h('span', { class: `badge ${d.status}` }, d.status),
          ` started ${iso(d.startDate)}${d.stopDate ? `, ended ${iso(d.stopDate)}` : ''}`,
        ),
        ...(out.restore?.restored ? [h('p', {}, `Restored: ${out.restore.restored}`)] : []),
        ...(out.containment?.contained ? [h('p', {}, `Contained: ${out.containment.contained}`)] : []),
        graph.element,
      );
      api.openResponse = arn;
    } catch (error) {
      detail.replaceChildren(
        h(
          'div',
          { class: 'error-box', role: 'alert' },
          `Could not load this response.\n${(error as Error).message}`,
        ),
      );
    }
  };

  const render = (rows: ResponseRow[]) => {
    body.replaceChildren(
      ...rows.map((r) => {
        const href = `?responses&response=${encodeURIComponent(r.executionArn)}`;
        const link = h(
          'a',
          { href },
          r.eventTime && r.eventTime !== 'unknown' ? r.eventTime : iso(r.startDate),
        );
        const row = h(
          'tr',
          { 'data-response': r.name, 'data-outcome': r.outcome },
          h('td', {}, link),
          h('td', { 'data-field': 'account' }, r.account),
          h('td', { 'data-field': 'region' }, r.region),
          h('td', { 'data-field': 'event' }, r.eventName),
          h('td', { 'data-field': 'principal' }, r.principal),
          actionsOf(r),
          h(
            'td',
            {},
            h(
              'span',
              {
                class: 'badge',
                style: `background:${OUTCOME_COLOURS[r.outcome] ?? '#5f6368'}`,
                'data-field': 'outcome',
              },
              r.outcome,
            ),
            r.incidentCount
              ? h('div', { class: 'muted' }, `incident ${r.incidentCount} of this principal`)
              : undefined,
          ),
        );
        row.addEventListener('click', (event) => {
          event.preventDefault();
          history.replaceState(null, '', href);
          open(r.executionArn).catch(() => undefined);
        });
        return row;
      }),
    );
    note.textContent = rows.length ? '' : 'No tamper responses yet.';
    api.responses = rows.map((r) => r.name);
  };

  const first = await source.list();
  render(first);
  const wanted = new URLSearchParams(location.search).get('response');
  if (wanted) await open(wanted);
  api.ready = true;
  if (pollMs <= 0) return;
  const poll = async () => {
    try {
      render(await source.list());
      note.classList.remove('error-box');
    } catch (error) {
      note.textContent = `Could not refresh the responses: ${(error as Error).message}`;
      note.classList.add('error-box');
    }
    setTimeout(poll, pollMs * 5);
  };
  setTimeout(poll, pollMs * 5);
}
